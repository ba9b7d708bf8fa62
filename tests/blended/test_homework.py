"""Homework that bridges sessions: given at the end of a session, seen by the patient as
"between our sessions", completed from the event stream, reported in the next agenda;
bounded by the weekly load limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tandem.assessments.models import Assignment
from tandem.audit.models import AuditEntry
from tandem.blended import services
from tandem.blended.models import Homework, LoadLimit
from tandem.programs import services as programs
from tests.blended import factories
from tests.exercises import factories as ex

pytestmark = pytest.mark.django_db


def _next(bl, days=7):  # type: ignore[no-untyped-def]
    return factories.session(bl.enrollment, bl.therapist, timezone.now() + timedelta(days=days))


def test_homework_round_trip_into_the_next_agenda(bl, login, django_capture_on_commit_callbacks):
    """Session 2 (tomorrow) gives an exercise and a custom task; the patient sees them at
    home, does the exercise; session 3's agenda reports one done, one not done."""
    now = timezone.now()
    bl.upcoming.starts_at = now - timedelta(minutes=50)
    bl.upcoming.ends_at = now
    bl.upcoming.status = "attended"
    bl.upcoming.save()
    third = _next(bl)
    exercise = services.assign_homework(
        actor=bl.therapist,
        enrollment=bl.enrollment,
        kind="exercise",
        module_key=factories.MODULE,
        exercise_key="reflection",
        due_at=third.starts_at - timedelta(days=1),
        appointment=bl.upcoming,
    )
    custom = services.assign_homework(
        actor=bl.therapist,
        enrollment=bl.enrollment,
        kind="custom",
        text="Phone my sister on Sunday",
        due_at=third.starts_at - timedelta(days=1),
        appointment=bl.upcoming,
    )
    home = login(bl.patient.user).get(reverse("journey_home")).content.decode()
    assert "Between our sessions" in home
    assert "Phone my sister on Sunday" in home
    assert (
        reverse(
            "exercise_fill",
            kwargs={
                "enrollment": bl.enrollment.uuid,
                "module": factories.MODULE,
                "exercise": "reflection",
            },
        )
        in home
    )
    with django_capture_on_commit_callbacks(execute=True):
        ex.submitted(
            bl.enrollment, "reflection", {"responses": {"matters": "My family", "notice": ""}}
        )
    exercise.refresh_from_db()
    custom.refresh_from_db()
    assert exercise.is_done and not custom.is_done
    later = third.starts_at - timedelta(hours=1)
    digest = services.agenda_for(third, now=later).digest
    assert [h.homework.pk for h in digest.homework_done] == [exercise.pk]
    assert [h.homework.pk for h in digest.homework_not_done] == [custom.pk]


def test_patient_ticks_a_custom_task(bl, login):
    homework = factories.custom_homework(bl.enrollment, bl.therapist)
    client = login(bl.patient.user)
    response = client.post(reverse("blended_homework_tick", args=[homework.uuid]))
    assert response.status_code == 302
    homework.refresh_from_db()
    assert homework.is_done
    # Another patient cannot tick it: 404.
    other = login(bl.p.other_patient.user)
    assert other.post(reverse("blended_homework_tick", args=[homework.uuid])).status_code == 404
    page = client.get(reverse("blended_my_sessions")).content.decode()
    assert "Walk for 15 minutes" in page


def test_program_tasks_are_not_ticked_by_hand(bl):
    homework = services.assign_homework(
        actor=bl.therapist,
        enrollment=bl.enrollment,
        kind="module",
        module_key=factories.MODULE,
        due_at=timezone.now() + timedelta(days=3),
    )
    with pytest.raises(ValidationError):
        services.tick(actor=bl.patient.user, homework=homework)


def test_a_module_task_opens_a_locked_module(bl, django_capture_on_commit_callbacks):
    views = {v.key: v for v in programs.module_states(enrollment=bl.enrollment)}
    assert not views[factories.LATER].is_open
    homework = services.assign_homework(
        actor=bl.therapist,
        enrollment=bl.enrollment,
        kind="module",
        module_key=factories.LATER,
        due_at=timezone.now() + timedelta(days=3),
    )
    bl.enrollment.refresh_from_db()
    views = {v.key: v for v in programs.module_states(enrollment=bl.enrollment)}
    assert views[factories.LATER].is_open
    with django_capture_on_commit_callbacks(execute=True):
        programs.complete_module(
            actor=bl.patient.user, enrollment=bl.enrollment, module_key=factories.LATER
        )
    homework.refresh_from_db()
    assert homework.is_done


def test_a_questionnaire_task_creates_an_assignment(bl, django_capture_on_commit_callbacks):
    from tandem.assessments import services as assessments

    homework = services.assign_homework(
        actor=bl.therapist,
        enrollment=bl.enrollment,
        kind="questionnaire",
        instrument="gad7",
        due_at=timezone.now() + timedelta(days=3),
    )
    assignment = Assignment.objects.get(pk=homework.assessment_id)
    assert assignment.instrument == "gad7" and assignment.patient == bl.patient
    with django_capture_on_commit_callbacks(execute=True):
        assessments.submit_response(
            actor=bl.patient.user, assignment=assignment, answers=[0, 1, 0, 1, 0, 1, 0]
        )
    homework.refresh_from_db()
    assert homework.is_done


def test_homework_for_another_patient_is_refused(bl, login):
    other = factories.blended(bl.p.other_patient, by=bl.p.other_therapist)
    other_session = factories.session(
        other, bl.p.other_therapist, timezone.now() + timedelta(days=3)
    )
    with pytest.raises(PermissionDenied):
        services.assign_homework(
            actor=bl.therapist,
            enrollment=other,
            kind="custom",
            text="x",
            due_at=timezone.now() + timedelta(days=2),
        )
    with pytest.raises(PermissionDenied):
        services.assign_homework(
            actor=bl.therapist,
            enrollment=bl.enrollment,
            kind="custom",
            text="x",
            due_at=timezone.now() + timedelta(days=2),
            appointment=other_session,
        )
    client = login(bl.therapist)
    url = reverse("blended_homework_new", args=[bl.enrollment.uuid])
    # Another patient's session in the form: 404, nothing stored.
    response = client.post(
        url,
        {
            "task": "custom:",
            "text": "x",
            "due_day": (timezone.now() + timedelta(days=2)).date().isoformat(),
            "due_at": "10:00",
            "appointment": str(other_session.uuid),
        },
    )
    assert response.status_code == 404
    # A module that is not in this patient's program: a form error, not a 500.
    response = client.post(
        url,
        {
            "task": "module:not-a-module",
            "due_day": (timezone.now() + timedelta(days=2)).date().isoformat(),
            "due_at": "10:00",
        },
    )
    assert response.status_code == 400
    assert not Homework.objects.exists()


def _give(bl, minutes, **extra):  # type: ignore[no-untyped-def]
    return services.assign_homework(
        actor=bl.therapist,
        enrollment=bl.enrollment,
        kind="custom",
        text=f"Task of {minutes} minutes",
        minutes=minutes,
        due_at=timezone.now() + timedelta(days=5),
        **extra,
    )


def test_the_weekly_load_limit_cannot_be_exceeded_silently(bl):
    LoadLimit.objects.create(enrollment=bl.enrollment, minutes_per_week=60, assignments_per_week=2)
    _give(bl, 30)
    _give(bl, 20)
    check = services.check_load(bl.enrollment, due_at=timezone.now() + timedelta(days=5))
    assert (check.minutes, check.tasks) == (50, 2)
    with pytest.raises(ValidationError) as caught:
        _give(bl, 5)  # a third task: over the number of tasks
    assert "weekly load" in str(caught.value)
    with pytest.raises(ValidationError):
        _give(bl, 5, override=True)  # an override needs a reason
    assert Homework.objects.count() == 2
    over = _give(bl, 5, override=True, override_reason="Exam week is over; she asked for more")
    assert over.over_limit
    entry = AuditEntry.objects.get(action="blended.homework.load_override")
    assert entry.detail["tasks"] == 3 and entry.detail["tasks_limit"] == 2
    assert "Exam" not in str(entry.detail)  # the reason stays encrypted on the homework


def test_the_load_spreads_over_the_weeks_until_the_due_date(bl):
    LoadLimit.objects.create(enrollment=bl.enrollment, minutes_per_week=60, assignments_per_week=3)
    check = services.check_load(
        bl.enrollment, due_at=timezone.now() + timedelta(days=14), minutes=100, tasks=1
    )
    assert check.weeks == 2 and check.minutes_limit == 120 and not check.exceeded


def test_the_form_shows_the_load_and_asks_for_an_override(bl, login):
    LoadLimit.objects.create(enrollment=bl.enrollment, minutes_per_week=20, assignments_per_week=3)
    services.reschedule(
        actor=bl.therapist, appointment=bl.upcoming, starts_at=timezone.now() + timedelta(days=3)
    )
    client = login(bl.therapist)
    url = reverse("blended_homework_new", args=[bl.enrollment.uuid])
    page = client.get(url)
    assert page.status_code == 200 and "0 of 20 minutes" in page.content.decode()
    data = {
        "task": f"module:{factories.MODULE}",
        "due_day": (timezone.now() + timedelta(days=1)).date().isoformat(),
        "due_at": "20:00",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "more than the patient" in response.content.decode()
    response = client.post(url, {**data, "override": "on", "override_reason": "Agreed together"})
    assert response.status_code == 302
    assert Homework.objects.get().over_limit


def test_homework_due_after_the_next_session_is_a_form_error(bl, login):
    client = login(bl.therapist)
    url = reverse("blended_homework_new", args=[bl.enrollment.uuid])
    response = client.post(
        url,
        {
            "task": "custom:",
            "text": "x",
            "due_day": (timezone.now() + timedelta(days=6)).date().isoformat(),
            "due_at": "20:00",
        },
    )
    assert response.status_code == 400
    assert "before the next session" in response.content.decode()
