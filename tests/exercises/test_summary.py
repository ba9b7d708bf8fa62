"""The therapist's list: awaiting feedback first, each diary as one summary table with
its trend, and a fixed number of queries whatever the number of entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.exercises.types import worksheet_class
from tests.exercises import factories
from tests.exercises.data import good
from tests.exercises.test_types import exercise, sheet

pytestmark = pytest.mark.django_db


def diary_entry(enrollment, mood: int, day: int, hours: str = "7"):  # type: ignore[no-untyped-def]
    ws = sheet(
        "mood-diary",
        good(
            "mood-diary",
            **{
                "ws-mood": str(mood),
                "ws-hours": hours,
                "ws-when": f"2026-01-{day:02d}T20:00",
            },
        ),
    )
    assert ws.is_valid()
    return factories.submitted(
        enrollment, "mood-diary", ws.answers(), now=timezone.now() - timedelta(days=30 - day)
    )


def test_diary_summary_table_and_trend(enrollment):
    entries = [diary_entry(enrollment, mood, day) for day, mood in ((3, 2), (1, 4), (2, 8))]
    summary = worksheet_class("diary").summarize(exercise("mood-diary"), entries, "en")
    assert summary.columns[:3] == ["When", "Mood", "Hours slept"]
    # ordered by the diary's own time field, not by submission
    assert [row["cells"][1] for row in summary.rows] == ["4", "8", "2"]
    mood = next(t for t in summary.trends if t.label == "Mood")
    assert mood.values == [4.0, 8.0, 2.0]
    assert (mood.low, mood.high, mood.mean) == (0.0, 10.0, 4.7)
    assert len(mood.dots) == 3 and mood.polyline.count(",") == 3
    assert ("Average Mood", "4.7") in summary.stats


def test_sleep_summary(enrollment):
    entries = []
    for night, wake in (("2026-01-01", "06:30"), ("2026-01-02", "07:00")):
        ws = sheet(
            "sleep",
            good("sleep", **{"ws-night": night, "ws-final_wake": wake, "ws-out_of_bed": "07:00"}),
        )
        assert ws.is_valid()
        entries.append(factories.submitted(enrollment, "sleep", ws.answers()))
    summary = worksheet_class("sleep_diary").summarize(exercise("sleep"), entries, "en")
    assert [row["cells"][5] for row in summary.rows] == ["75 %", "81.2 %"]
    assert ("Average sleep efficiency", "78.1 %") in summary.stats


def test_patient_exercises_puts_awaiting_first_and_shows_diaries_as_summaries(
    personas,
    enrollment,
    login,
):
    for day, mood in enumerate((3, 5, 7), start=1):
        diary_entry(enrollment, mood, day)
    factories.submitted(enrollment, "reflection", {"responses": {"matters": "x"}})
    html = (
        login(personas.therapist)
        .get(reverse("patient_exercises", args=[personas.patient.uuid]))
        .content.decode()
    )
    awaiting = html.index("Waiting for feedback")
    assert awaiting < html.index("<table")
    assert "3 new entries since" in html
    assert html.count("<svg") >= 1 and 'role="img"' in html
    assert "Mood: from 3.0 to 7.0 over 3 entries" in html


def test_patient_exercises_query_count_does_not_grow_with_entries(personas, enrollment, login):
    client = login(personas.therapist)
    url = reverse("patient_exercises", args=[personas.patient.uuid])
    diary_entry(enrollment, 4, 1)
    factories.submitted(enrollment, "reflection", {"responses": {"matters": "x"}})
    client.get(url)  # warm the content cache
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for day in range(2, 14):
        diary_entry(enrollment, day % 10, day)
    entry = factories.submitted(enrollment, "thought-record", {"situation": "s", "emotions": []})
    login(personas.therapist).post(reverse("exercise_feedback", args=[entry.uuid]), {"text": "ok"})
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
