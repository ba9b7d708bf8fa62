"""Drift indicators: the pure rules, and the facts gathered for an enrollment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.blended import drift, services
from tandem.blended.models import AppointmentStatus
from tandem.programs import services as programs
from tests.blended import factories

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def s(days_ago: int, status: str = "attended", given: int = 1, reviewed: bool = True):  # type: ignore[no-untyped-def]
    return drift.SessionFact(NOW - timedelta(days=days_ago), status, given, reviewed, str(days_ago))


def test_sessions_without_reviewed_homework():
    sessions = [s(30), s(20, reviewed=False), s(10, given=0), s(3, reviewed=True)]
    found = drift.sessions_without_reviewed_homework(sessions)
    assert found.count == 1 and found.keys == ("20",)
    # Homework not given in a session cannot be missed in the next one.
    assert drift.sessions_without_reviewed_homework([s(10, given=0), s(3, reviewed=False)]) is None
    # Missed and cancelled sessions do not count.
    assert drift.sessions_without_reviewed_homework([s(10), s(5, "did_not_attend")]) is None


def test_homework_not_linked_to_the_plan():
    items = [
        drift.HomeworkFact("module", "activity", None, "a"),
        drift.HomeworkFact("exercise", "thoughts", None, "b"),
        drift.HomeworkFact("custom", "", 0, "c"),
        drift.HomeworkFact("custom", "", None, "d"),
        drift.HomeworkFact("custom", "", 5, "e"),  # a goal that no longer exists
        drift.HomeworkFact("questionnaire", "", None, "f"),
    ]
    found = drift.homework_not_linked(items, ["activity"], goals=2)
    assert found.keys == ("b", "d", "e")


def test_modules_far_behind_the_plan():
    plan = {1: ["intro"], 2: ["activity"], 3: ["thoughts"], 5: ["problems"]}
    assert drift.modules_behind_plan(plan, 3, {"intro", "activity"}) is None  # one behind
    found = drift.modules_behind_plan(plan, 3, {"intro"})
    assert found.keys == ("activity", "thoughts")
    assert drift.modules_behind_plan(plan, 0, set()) is None


def test_long_gaps_between_sessions():
    assert drift.long_gaps([s(30), s(14), s(3)], NOW) is None
    found = drift.long_gaps([s(60), s(30)], NOW)
    # 30 days between the two, and 30 days since the last with nothing scheduled.
    assert found.count == 2
    scheduled = drift.SessionFact(NOW + timedelta(days=2), "scheduled")
    found = drift.long_gaps([s(60), s(50), scheduled], NOW)
    assert found.count == 1 and "52" in found.message  # 50 days ago → 2 days ahead
    assert drift.long_gaps([s(60), s(50)], NOW, ongoing=False) is None


def test_indicators_order_and_empty_plan():
    found = drift.indicators(
        sessions=[s(40), s(10, reviewed=False, given=0)],
        homework=[],
        session_modules={},
        goals=0,
        completed_modules=set(),
        now=NOW,
    )
    assert [i.code for i in found] == [
        "homework_not_reviewed",
        "long_gap",
        "session_without_homework",
    ]


@pytest.mark.django_db
def test_drift_of_an_enrollment(bl, login):
    now = timezone.now()
    enrollment = bl.enrollment
    # Session a week ago gave homework; the one before (5 weeks ago) too; the last one
    # did not review it (no note, nothing marked as talked through).
    earlier = factories.session(
        enrollment, bl.therapist, now - timedelta(days=35), status=AppointmentStatus.ATTENDED
    )
    factories.custom_homework(
        enrollment, bl.therapist, appointment=earlier, assigned_at=earlier.starts_at
    )
    services.save_plan(
        actor=bl.therapist,
        enrollment=enrollment,
        goals=["Sleep better"],
        planned_sessions=4,
        session_modules={1: [factories.MODULE], 2: [factories.LATER]},
    )
    codes = {i.code for i in services.drift_indicators(enrollment, now)}
    assert {
        "homework_not_reviewed",
        "long_gap",
        "modules_behind_plan",
        "homework_not_in_plan",
    } <= codes
    # Complete the planned module and review: those indicators go away.
    programs.complete_module(
        actor=bl.patient.user, enrollment=enrollment, module_key=factories.MODULE
    )
    services.save_note(
        actor=bl.therapist, appointment=bl.previous, sections={"homework_review": "Walked twice"}
    )
    codes = {i.code for i in services.drift_indicators(enrollment, now)}
    assert "homework_not_reviewed" not in codes and "modules_behind_plan" not in codes
    page = login(bl.therapist).get(reverse("blended_enrollment", args=[enrollment.uuid]))
    assert page.status_code == 200
    assert "not linked to the treatment plan" in page.content.decode()


@pytest.mark.django_db
def test_drift_for_many_enrollments_in_constant_queries(personas):
    now = timezone.now()
    therapist = personas.therapist

    def make(n: int) -> list:  # type: ignore[type-arg]
        from tests.personas import make_patient

        out = []
        for _ in range(n):
            enrollment = factories.blended(make_patient(personas.clinic, therapist), by=therapist)
            factories.session(enrollment, therapist, now - timedelta(days=9), status="attended")
            factories.custom_homework(enrollment, therapist)
            out.append(enrollment)
        return out

    def count(enrollments) -> int:  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as ctx:
            services.drift_for_enrollments(enrollments, now)
        return len(ctx.captured_queries)

    two = make(2)
    count(two)
    small = count(two)
    many = two + make(6)
    assert count(many) == small
