"""Each exercise type validates good and bad input (boundaries included), turns answers
back into form data, and renders its read-only view — without the database."""

from __future__ import annotations

from functools import lru_cache

import pytest
from django.template.loader import render_to_string

from tandem.exercises.types import WORKSHEETS, worksheet_class
from tandem.exercises.types.base import MAX_FIELD_BYTES, raw_draft
from tandem.programs.content import Exercise, parse_package
from tests.exercises.data import EXERCISES, GOOD, XSS, good, with_payload
from tests.exercises.factories import FIXTURE


@lru_cache(maxsize=1)
def _package():  # type: ignore[no-untyped-def]
    return parse_package(FIXTURE, instruments_dir=FIXTURE.parents[3] / "content" / "instruments")


def exercise(key: str) -> Exercise:
    found = _package().program.exercise(key)
    assert found is not None
    return found


def sheet(key: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    ex = exercise(key)
    return worksheet_class(ex.type)(ex, data=data, **kwargs)


def errors_of(ws) -> str:  # type: ignore[no-untyped-def]
    """Every error message of a worksheet, flattened."""
    out = list(ws.errors)
    for part in ws._parts:
        if hasattr(part, "forms"):
            out += [str(e) for e in part.non_form_errors()]
            for form in part.forms:
                out += [f"{k}: {v}" for k, vs in form.errors.items() for v in vs]
        else:
            out += [f"{k}: {v}" for k, vs in part.errors.items() for v in vs]
    return " | ".join(out)


def test_every_type_is_covered():
    assert set(EXERCISES.values()) == set(WORKSHEETS)


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_good_answers_validate_and_round_trip(key):
    ws = sheet(key, GOOD[key])
    assert ws.is_valid(), errors_of(ws)
    answers = ws.answers()
    ex = exercise(key)
    # answers → form data → the same answers (how a submission is revised)
    again = sheet(key, type(ws).to_data(ex, answers))
    assert again.is_valid(), errors_of(again)
    assert again.answers() == answers


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_fresh_and_draft_worksheets_render_without_errors(key):
    ex = exercise(key)
    cls = worksheet_class(ex.type)
    for ws in (
        sheet(key),
        sheet(key, {"ws-junk": "1", "ws-x-0-y": "z"}, quiet=True),
        sheet(key, with_payload(key), quiet=True),
    ):
        html = render_to_string(f"{cls.template}#form", {"ws": ws, "show_errors": False})
        assert "<label" in html
        assert "<script>alert" not in html
        assert 'class="error"' not in html


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_answer_view_escapes_html(key):
    ws = sheet(key, with_payload(key))
    assert ws.is_valid(), errors_of(ws)
    ex = exercise(key)
    cls = type(ws)
    html = render_to_string(f"{cls.template}#answer", {"view": cls.display(ex, ws.answers(), "en")})
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert XSS not in html and "<img" not in html


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_empty_submission_is_refused(key):
    ws = sheet(key, {})
    assert not ws.is_valid()
    assert errors_of(ws)


@pytest.mark.parametrize(
    ("key", "changes", "expect"),
    [
        # reflection
        ("reflection", {"ws-matters": ""}, "matters"),
        ("reflection", {"ws-matters": "x" * 2001}, "at most 2000"),
        ("reflection", {"ws-notice": "€" * 18000}, "too long"),  # 54 kB, < 20 000 characters
        # thought record
        ("thought-record", {"ws-emotions-0-intensity": "140"}, "intensity"),
        ("thought-record", {"ws-emotions-0-intensity": "-1"}, "intensity"),
        ("thought-record", {"ws-emotions-0-intensity": "abc"}, "whole number"),
        ("thought-record", {"ws-emotions-0-rerate": "101"}, "rerate"),
        ("thought-record", {"ws-emotions-0-intensity": ""}, "Rate how strong"),
        (
            "thought-record",
            {"ws-emotions-0-name": "", "ws-emotions-0-rerate": ""},
            "Name the emotion",
        ),
        (
            "thought-record",
            {"ws-emotions-0-name": "", "ws-emotions-0-intensity": "", "ws-emotions-0-rerate": ""},
            "at least one emotion",
        ),
        ("thought-record", {"ws-thinking_patterns": ["no-such-pattern"]}, "thinking_patterns"),
        ("thought-record", {"ws-situation": ""}, "situation"),
        # activity plan
        ("activity-plan", {"ws-activities-0-mastery": "11"}, "mastery"),
        ("activity-plan", {"ws-activities-0-day": ""}, "day of the activity"),
        ("activity-plan", {"ws-activities-0-day": "2026-02-30"}, "Enter a date"),
        ("activity-plan", {"ws-activities-1-activity": ""}, "what the activity is"),
        # exposure ladder
        ("ladder", {"ws-steps-0-distress": "101"}, "distress"),
        ("ladder", {"ws-steps-0-distress": ""}, "Rate how distressing"),
        ("ladder", {"ws-practice-0-peak": "20"}, "cannot be lower"),
        ("ladder", {"ws-practice-0-step": "4"}, "Choose a step of your ladder"),
        ("ladder", {"ws-practice-0-after": ""}, "distress after"),
        (
            "ladder",
            {
                "ws-steps-0-situation": "",
                "ws-steps-0-distress": "",
                "ws-steps-1-situation": "",
                "ws-steps-1-distress": "",
                "ws-practice-0-date": "",
                "ws-practice-0-step": "",
                "ws-practice-0-before": "",
                "ws-practice-0-peak": "",
                "ws-practice-0-after": "",
            },
            "at least one situation",
        ),
        # sleep diary
        (
            "sleep",
            {"ws-final_wake": "22:30", "ws-lights_out": "", "ws-out_of_bed": ""},
            "final_wake",
        ),
        ("sleep", {"ws-out_of_bed": "06:00"}, "out_of_bed"),
        ("sleep", {"ws-lights_out": "07:00"}, "lights_out"),
        ("sleep", {"ws-sleep_latency_minutes": "500"}, "sleep_latency_minutes"),
        ("sleep", {"ws-awake_minutes": "400"}, "awake_minutes"),
        ("sleep", {"ws-quality": "6"}, "quality"),
        ("sleep", {"ws-bedtime": "25:00"}, "such as 07:30"),
        ("sleep", {"ws-night": "2999-01-01"}, "not happened yet"),
        ("sleep", {"ws-awakenings": "51"}, "awakenings"),
        ("sleep", {"ws-final_wake": ""}, "final_wake"),
        # goals
        ("goals", {"ws-goals-0-progress": "101"}, "progress"),
        ("goals", {"ws-goals-0-goal": ""}, "goal itself"),
        # checklist
        ("checklist", {"ws-checked": ["nope"]}, "checked"),
        ("checklist", {"ws-checked": []}, "Tick at least one"),
        # card sort
        ("values", {"ws-card__work": "very"}, "at most 1"),
        ("values", {"ws-card__work": "elsewhere"}, "Choose one of the piles"),
        ("values", {"ws-custom-0-text": "Me", "ws-custom-0-pile": "very"}, "at most 1"),
        ("values", {"ws-card__family": "", "ws-card__work": ""}, "at least one card"),
        # structured diary
        ("mood-diary", {"ws-mood": "11"}, "mood"),
        ("mood-diary", {"ws-mood": ""}, "mood"),
        ("mood-diary", {"ws-hours": "7.3"}, "steps of 0.5"),
        ("mood-diary", {"ws-hours": "25"}, "from 0 to 24"),
        ("mood-diary", {"ws-hours": "1e400"}, "hours"),
        ("mood-diary", {"ws-feeling": "angry"}, "feeling"),
        ("mood-diary", {"ws-tags": ["work", "nap"]}, "tags"),
        ("mood-diary", {"ws-when": "yesterday"}, "date and time"),
        ("mood-diary", {"ws-when": "2999-01-01T10:00"}, "in the future"),
        ("mood-diary", {"ws-wake": "7am"}, "such as 07:30"),
        ("mood-diary", {"ws-note": "n" * 501}, "at most 500"),
    ],
)
def test_bad_input_is_a_field_error(key, changes, expect):
    ws = sheet(key, good(key, **changes))
    assert not ws.is_valid()
    assert expect.lower() in errors_of(ws).lower()


@pytest.mark.parametrize(
    ("key", "changes"),
    [
        ("thought-record", {"ws-emotions-0-intensity": "0", "ws-emotions-0-rerate": "100"}),
        ("thought-record", {"ws-emotions-0-intensity": "100"}),
        ("activity-plan", {"ws-activities-0-mastery": "0", "ws-activities-0-pleasure": "10"}),
        ("ladder", {"ws-steps-0-distress": "100", "ws-steps-1-distress": "0"}),
        (
            "ladder",
            {"ws-practice-0-before": "50", "ws-practice-0-peak": "50", "ws-practice-0-after": "50"},
        ),
        ("sleep", {"ws-quality": "1", "ws-sleep_latency_minutes": "0", "ws-awake_minutes": "0"}),
        ("sleep", {"ws-quality": "5", "ws-awakenings": "50"}),
        ("goals", {"ws-goals-0-progress": "0"}),
        ("goals", {"ws-goals-0-progress": "100"}),
        ("mood-diary", {"ws-mood": "0", "ws-hours": "0"}),
        ("mood-diary", {"ws-mood": "10", "ws-hours": "24"}),
        ("mood-diary", {"ws-note": "n" * 500}),
        ("reflection", {"ws-matters": "x" * 2000}),
        ("reflection", {"ws-notice": "é" * 20000}),  # 40 kB: under the limit
    ],
)
def test_boundaries_are_accepted(key, changes):
    ws = sheet(key, good(key, **changes))
    assert ws.is_valid(), errors_of(ws)


def test_reflection_answers():
    ws = sheet("reflection", good("reflection"))
    assert ws.is_valid()
    assert ws.answers() == {"responses": {"matters": "My family", "notice": ""}}


def test_thought_record_answers_keep_rows_and_patterns():
    ws = sheet(
        "thought-record",
        good(
            "thought-record",
            **{
                "ws-emotions-1-name": "Anxious",
                "ws-emotions-1-intensity": "50",
            },
        ),
    )
    assert ws.is_valid(), errors_of(ws)
    answers = ws.answers()
    assert answers["emotions"] == [
        {"name": "Sad", "intensity": 80, "rerate": 40},
        {"name": "Anxious", "intensity": 50, "rerate": None},
    ]
    assert answers["thinking_patterns"] == ["catastrophising"]


def test_ladder_is_ranked_by_distress_and_practice_follows_its_step():
    ws = sheet("ladder", good("ladder"))
    assert ws.is_valid(), errors_of(ws)
    answers = ws.answers()
    assert [s["situation"] for s in answers["steps"]] == ["Take the bus", "Go to a busy shop"]
    assert answers["steps"][0]["id"] == "s0"
    assert answers["practice"][0]["step"] == "s0"  # "Take the bus", entered second
    view = type(ws).display(exercise("ladder"), answers, "en")
    assert view["practice"][0]["situation"] == "Take the bus"
    assert view["practice"][0]["rank"] == 1


def test_activity_plan_rows_sorted_by_day_and_blank_rows_ignored():
    ws = sheet(
        "activity-plan",
        good(
            "activity-plan",
            **{
                "ws-activities-0-day": "2026-01-09",
                "ws-activities-4-activity": "",
                "ws-activities-TOTAL_FORMS": "999",  # tampered management form
            },
        ),
    )
    assert ws.is_valid(), errors_of(ws)
    assert [a["day"] for a in ws.answers()["activities"]] == ["2026-01-06", "2026-01-09"]


def test_sleep_diary_computes_efficiency():
    ws = sheet("sleep", good("sleep"))
    assert ws.is_valid(), errors_of(ws)
    assert ws.answers()["computed"] == {"time_in_bed": 480, "total_sleep": 360, "efficiency": 75.0}


def test_card_sort_answers():
    ws = sheet(
        "values", good("values", **{"ws-custom-0-text": "Music", "ws-custom-0-pile": "less"})
    )
    assert ws.is_valid(), errors_of(ws)
    assert ws.answers() == {
        "piles": {"very": ["family"], "less": ["work"]},
        "unsorted": ["health"],
        "custom": [{"text": "Music", "pile": "less"}],
    }


def test_diary_answers_are_typed():
    ws = sheet("mood-diary", good("mood-diary"))
    assert ws.is_valid(), errors_of(ws)
    assert ws.answers() == {
        "values": {
            "when": "2026-01-05T20:00",
            "mood": 6,
            "hours": 7.5,
            "feeling": "calm",
            "tags": ["work", "sport"],
            "wake": "07:15",
            "note": "A good day",
        }
    }


def test_raw_draft_keeps_worksheet_fields_only_and_refuses_oversized():
    from django.http import QueryDict

    from tandem.exercises.types import TooLarge

    post = QueryDict(mutable=True)
    post.update({"ws-a": "1", "csrfmiddlewaretoken": "t", "token": "x"})
    post.setlist("ws-b", ["1", "2"])
    assert raw_draft(post) == {"ws-a": ["1"], "ws-b": ["1", "2"]}
    post["ws-c"] = "x" * (MAX_FIELD_BYTES + 1)
    with pytest.raises(TooLarge):
        raw_draft(post)


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_demo_samples_validate_for_every_type(key):
    from django.utils import timezone

    from tandem.exercises import demo

    for n in range(3):
        ws = sheet(key, demo.sample(exercise(key), timezone.now(), n))
        assert ws.is_valid(), errors_of(ws)
