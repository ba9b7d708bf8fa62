"""Worksheet form data for the fixture package's exercises: one good answer per type,
and a text field of each where an XSS payload goes."""

from __future__ import annotations

from typing import Any

EXERCISES = {
    # exercise id → type
    "reflection": "reflection",
    "thought-record": "thought_record",
    "activity-plan": "activity_plan",
    "ladder": "exposure_ladder",
    "sleep": "sleep_diary",
    "goals": "goals",
    "checklist": "checklist",
    "values": "card_sort",
    "mood-diary": "diary",
}

GOOD: dict[str, dict[str, Any]] = {
    "reflection": {"ws-matters": "My family", "ws-notice": ""},
    "thought-record": {
        "ws-situation": "A colleague did not answer",
        "ws-emotions-0-name": "Sad",
        "ws-emotions-0-intensity": "80",
        "ws-emotions-0-rerate": "40",
        "ws-automatic_thoughts": "She is annoyed with me",
        "ws-thinking_patterns": ["catastrophising"],
        "ws-evidence_for": "",
        "ws-evidence_against": "She is busy",
        "ws-balanced_thought": "She is probably busy",
    },
    "activity-plan": {
        "ws-activities-0-day": "2026-01-05",
        "ws-activities-0-activity": "Walk",
        "ws-activities-0-done": "on",
        "ws-activities-0-mastery": "5",
        "ws-activities-0-pleasure": "7",
        "ws-activities-1-day": "2026-01-06",
        "ws-activities-1-activity": "Call Anna",
    },
    "ladder": {
        "ws-steps-0-situation": "Go to a busy shop",
        "ws-steps-0-distress": "60",
        "ws-steps-1-situation": "Take the bus",
        "ws-steps-1-distress": "30",
        "ws-practice-0-date": "2026-01-05",
        "ws-practice-0-step": "1",
        "ws-practice-0-before": "30",
        "ws-practice-0-peak": "50",
        "ws-practice-0-after": "10",
    },
    "sleep": {
        "ws-night": "2026-01-04",
        "ws-bedtime": "23:00",
        "ws-lights_out": "23:30",
        "ws-sleep_latency_minutes": "30",
        "ws-awakenings": "2",
        "ws-awake_minutes": "30",
        "ws-final_wake": "06:30",
        "ws-out_of_bed": "07:00",
        "ws-quality": "3",
        "ws-naps_minutes": "",
        "ws-notes": "Coffee at 17",
    },
    "goals": {
        "ws-goals-0-goal": "Walk three mornings a week",
        "ws-goals-0-progress": "20",
        "ws-goals-0-deadline": "2026-02-01",
    },
    "checklist": {"ws-checked": ["walk"]},
    "values": {"ws-card__family": "very", "ws-card__work": "less"},
    "mood-diary": {
        "ws-when": "2026-01-05T20:00",
        "ws-mood": "6",
        "ws-hours": "7.5",
        "ws-feeling": "calm",
        "ws-tags": ["work", "sport"],
        "ws-wake": "07:15",
        "ws-note": "A good day",
    },
}

TEXT_FIELD = {
    "reflection": "ws-matters",
    "thought-record": "ws-situation",
    "activity-plan": "ws-activities-0-activity",
    "ladder": "ws-steps-0-situation",
    "sleep": "ws-notes",
    "goals": "ws-goals-0-goal",
    "checklist": "ws-note",
    "values": "ws-custom-0-text",
    "mood-diary": "ws-note",
}

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def good(exercise: str, **changes: Any) -> dict[str, Any]:
    data = dict(GOOD[exercise])
    data.update(changes)
    return data


def with_payload(exercise: str, payload: str = XSS) -> dict[str, Any]:
    data = good(exercise)
    data[TEXT_FIELD[exercise]] = payload
    if exercise == "values":
        data["ws-custom-0-pile"] = "less"
    return data
