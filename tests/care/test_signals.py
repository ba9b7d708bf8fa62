"""Each signal rule appears on the right event (or when its time comes) and resolves on
the event that answers it. Handlers run on commit; ``commit()`` runs them as a real
commit would. Time-based rules run through the periodic job with the clock frozen."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tandem.care import periodic
from tandem.care.kinds import SignalKind as K
from tandem.care.models import CaseloadRow, OutreachStep, Signal, SignalState
from tandem.core import events
from tests.care import factories
from tests.exercises import factories as ex

pytestmark = pytest.mark.django_db


def open_kinds(patient) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        Signal.objects.filter(patient=patient, state=SignalState.OPEN).values_list(
            "kind", flat=True
        )
    )


def the(patient, kind):  # type: ignore[no-untyped-def]
    return Signal.objects.filter(patient=patient, kind=kind).order_by("-pk").first()


# --- event-driven rules ---------------------------------------------------------------------


def test_safety_alert_opens_first_and_resolves_on_acknowledgement(personas, commit):
    from tandem.safety import services as safety

    with commit():
        alert = safety.raise_alert(
            patient=personas.patient, source="assessment", tier="urgent", reason="phq9.item9"
        )
    signal = the(personas.patient, K.SAFETY_ALERT)
    assert signal.state == SignalState.OPEN and signal.ref_uuid == alert.uuid
    assert signal.priority == 0
    assert signal.reason_params == {
        "source": "assessment",
        "tier": "urgent",
        "reason": "phq9.item9",
    }
    with commit():
        safety.acknowledge(actor=personas.therapist, alert=alert, note="Phoned the patient.")
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED and signal.resolved_by == personas.therapist


def test_message_waiting_until_the_team_replies(personas, enrollment, commit):
    from tandem.messaging import services as messaging

    with commit():
        messaging.send_message(
            actor=personas.patient.user,
            enrollment=enrollment,
            body="I could not do the exercise this week.",
            client_token=uuid.uuid4(),
        )
    signal = the(personas.patient, K.MESSAGE_WAITING)
    assert signal.state == SignalState.OPEN
    assert signal.enrollment == enrollment
    assert signal.due_at is not None and signal.due_at > signal.since  # the reply promise
    with commit():
        messaging.send_message(
            actor=personas.therapist,
            enrollment=enrollment,
            body="Thank you for telling me. Shall we make it smaller?",
            client_token=uuid.uuid4(),
        )
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED


def test_exercise_feedback_opens_on_submission_and_resolves_on_feedback(
    personas, enrollment, commit
):
    from tandem.exercises import services as exercises

    with commit():
        entry = ex.submitted(enrollment, "reflection", ex.REFLECTION_ANSWERS)
    signal = the(personas.patient, K.EXERCISE_FEEDBACK)
    assert signal.state == SignalState.OPEN and signal.ref_uuid == entry.uuid
    assert signal.reason_params["exercise"] == "reflection"
    with commit():
        exercises.give_feedback(actor=personas.therapist, entry=entry, text="Thank you, well done.")
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED


def test_self_guided_submissions_wait_for_nobody(personas, commit):
    enrollment = factories.enroll(
        personas.patient, by=personas.therapist, guidance_mode="self_guided"
    )
    with commit():
        ex.submitted(enrollment, "reflection", ex.REFLECTION_ANSWERS)
    assert the(personas.patient, K.EXERCISE_FEEDBACK) is None


def test_hard_moment_until_seen(personas, enrollment, commit):
    from tandem.exercises import services as exercises

    with commit():
        moment = exercises.report_hard(
            actor=personas.patient.user,
            enrollment=enrollment,
            ref=ex.ref(enrollment, "reflection"),
            distress=8,
            note="I am stuck",
        )
    signal = the(personas.patient, K.HARD_MOMENT)
    assert signal.state == SignalState.OPEN and signal.reason_params["distress"] == 8
    assert "stuck" not in str(signal.reason_params)  # no free text in a signal
    with commit():
        exercises.mark_hard_seen(actor=personas.therapist, moment=moment)
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED


def _phq9(personas, answers, commit):  # type: ignore[no-untyped-def]
    from tandem.assessments import services as assessments

    with commit():
        assignment = assessments.assign(
            actor=None, patient=personas.patient, instrument="phq9", source="schedule"
        )
        return assessments.submit_response(
            actor=personas.patient.user, assignment=assignment, answers=answers
        )


def test_reliable_deterioration_and_its_resolution(personas, commit):
    _phq9(personas, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], commit)
    assert the(personas.patient, K.RELIABLE_DETERIORATION) is None
    worse = _phq9(personas, [2, 2, 2, 2, 2, 2, 2, 2, 0, 1], commit)
    assert worse.change == "deteriorated"
    signal = the(personas.patient, K.RELIABLE_DETERIORATION)
    assert signal.state == SignalState.OPEN
    assert signal.reason_params == {"code": "phq9", "total": 16, "baseline": 0}
    row = CaseloadRow.objects.get(patient=personas.patient)
    assert row.scores["phq9"]["total"] == 16 and row.score_change == "deteriorated"
    _phq9(personas, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0], commit)  # back near the baseline
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED


def test_missed_questionnaire_from_the_event_and_resolved_by_answering(personas, commit):
    from tandem.assessments.models import Assignment

    now = timezone.now()
    assignment = Assignment.objects.create(
        patient=personas.patient,
        instrument="phq9",
        source="schedule",
        available_at=now - timedelta(days=20),
        due_at=now - timedelta(days=17),
        expires_at=now - timedelta(days=6),
        missed_at=now - timedelta(days=6),
    )
    with commit():
        events.record(
            patient=personas.patient,
            kind="questionnaire.missed",
            ref=assignment,
            data={"code": "phq9"},
        )
    signal = the(personas.patient, K.MISSED_QUESTIONNAIRE)
    assert signal.state == SignalState.OPEN and signal.reason_params == {"code": "phq9"}
    _phq9(personas, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0], commit)
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED


def test_alliance_dip_until_the_next_pulse(personas, enrollment, commit):
    data = {"therapist": str(personas.therapist.uuid), "enrollment": str(enrollment.uuid)}
    with commit():
        events.record(
            patient=personas.patient,
            kind="alliance.dip",
            actor=personas.patient.user,
            data={**data, "latest": 2.0, "median": 4.5},
        )
    signal = the(personas.patient, K.ALLIANCE_DIP)
    assert signal.state == SignalState.OPEN and signal.enrollment == enrollment
    with commit():
        events.record(
            patient=personas.patient,
            kind="alliance.answered",
            actor=personas.patient.user,
            data={"therapist": str(personas.therapist.uuid), "understood": 4, "helps": 5},
        )
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED


def test_session_without_agenda(personas, commit):
    from tandem.blended import services as blended
    from tests.blended import factories as bl

    enrollment = bl.blended(personas.patient, by=personas.therapist)
    session = bl.session(enrollment, personas.therapist, timezone.now() + timedelta(hours=30))
    with commit():
        events.record(patient=personas.patient, kind="appointment.scheduled", ref=session)
    signal = the(personas.patient, K.SESSION_WITHOUT_AGENDA)
    assert signal.state == SignalState.OPEN and signal.ref_uuid == session.uuid
    with commit():
        blended.prepare(actor=personas.therapist, appointment=session)
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED


def test_a_paused_enrollment_rests(personas, enrollment, commit):
    from tandem.programs import services as programs

    factories.signal(personas.patient, K.MODULE_OVERDUE, enrollment=enrollment)
    waiting = factories.signal(personas.patient, K.MESSAGE_WAITING, enrollment=enrollment)
    with commit():
        programs.set_status(actor=personas.therapist, enrollment=enrollment, status="paused")
    assert open_kinds(personas.patient) == [K.MESSAGE_WAITING]  # a message still waits
    assert Signal.objects.get(pk=waiting.pk).state == SignalState.OPEN


# --- time-based rules (the periodic job) --------------------------------------------------------


def test_silence_appears_after_n_days_and_resolves_on_activity(backdated, commit):
    personas = backdated
    start = timezone.now() - timedelta(days=60)
    enrollment = factories.enroll(
        personas.patient,
        by=personas.therapist,
        policy="weekly",
        started_at=start,
        last_activity_at=timezone.now() - timedelta(days=9),
        modules_completed=2,
        pace_per_week=0.5,
    )
    periodic.run()
    assert K.SILENCE not in open_kinds(personas.patient)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        periodic.run()
        signal = the(personas.patient, K.SILENCE)
        assert signal.state == SignalState.OPEN and signal.enrollment == enrollment
        periodic.run()  # idempotent
        assert Signal.objects.filter(patient=personas.patient, kind=K.SILENCE).count() == 1
        step = OutreachStep.objects.create(
            patient=personas.patient,
            clinic=personas.clinic,
            signal=signal,
            signal_kind=signal.kind,
            step="warm_message",
            done_by=personas.therapist,
        )
        with commit():
            events.record(
                patient=personas.patient,
                kind="checkin.recorded",
                actor=personas.patient.user,
                data={"mood": 5},
            )
    signal.refresh_from_db()
    assert signal.state == SignalState.RESOLVED and signal.resolution == "re_engaged"
    step.refresh_from_db()
    assert step.outcome == "re_engaged"


def test_not_started_fourteen_days_after_the_start(backdated, commit):
    from tandem.programs import services as programs

    personas = backdated
    enrollment = factories.enroll(
        personas.patient, by=personas.therapist, started_at=timezone.now() - timedelta(days=13)
    )
    periodic.run()
    assert open_kinds(personas.patient) == []
    with time_machine.travel(timezone.now() + timedelta(days=1, hours=1), tick=False):
        periodic.run()
        assert open_kinds(personas.patient) == [K.NOT_STARTED]
        with commit():
            programs.open_module(
                actor=personas.patient.user, enrollment=enrollment, module_key=ex.MODULE
            )
        assert open_kinds(personas.patient) == []
    assert the(personas.patient, K.NOT_STARTED).resolution == "re_engaged"


def test_module_overdue_against_the_pace_and_resolved_by_catching_up(backdated, commit):
    from tandem.programs import services as programs

    personas = backdated
    enrollment = factories.enroll(
        personas.patient,
        by=personas.therapist,
        started_at=timezone.now() - timedelta(days=22),
        last_activity_at=timezone.now() - timedelta(days=1),
        pace_per_week=1,
    )
    periodic.run()
    signal = the(personas.patient, K.MODULE_OVERDUE)
    assert signal.state == SignalState.OPEN
    assert signal.reason_params == {"completed": 0, "expected": 2}
    with commit():
        programs.complete_module(
            actor=personas.patient.user, enrollment=enrollment, module_key=ex.MODULE
        )
    assert K.MODULE_OVERDUE in open_kinds(personas.patient)  # 1 of 2: still behind
    with commit():
        programs.complete_module(
            actor=personas.patient.user, enrollment=enrollment, module_key=ex.LATER
        )
    assert K.MODULE_OVERDUE not in open_kinds(personas.patient)


def test_enrollment_ending_and_ended(personas, enrollment, commit):
    from tandem.programs import services as programs

    enrollment.ends_at = timezone.now() + timedelta(days=5)
    enrollment.last_activity_at = timezone.now()
    enrollment.save(update_fields=["ends_at", "last_activity_at"])
    periodic.run()
    assert open_kinds(personas.patient) == [K.ENROLLMENT_ENDING]
    with commit():
        programs.set_status(actor=personas.therapist, enrollment=enrollment, status="completed")
    assert open_kinds(personas.patient) == []
    assert the(personas.patient, K.ENROLLMENT_ENDING).resolution == "ended"


def test_missed_questionnaire_found_by_the_periodic_job(personas):
    from tandem.assessments.models import Assignment

    now = timezone.now()
    Assignment.objects.create(
        patient=personas.patient,
        instrument="gad7",
        source="schedule",
        available_at=now - timedelta(days=16),
        due_at=now - timedelta(days=13),
        expires_at=now - timedelta(days=2),
    )
    periodic.run()
    signal = the(personas.patient, K.MISSED_QUESTIONNAIRE)
    assert signal is not None and signal.reason_params == {"code": "gad7"}


def test_the_periodic_job_catches_up_what_a_handler_missed(personas, enrollment):
    """Events recorded without their handlers running (a crashed handler, a restore):
    the job finds the state and opens the signals; answered state resolves them."""
    from tandem.messaging.models import Conversation
    from tandem.safety.models import Alert

    conversation = Conversation.objects.create(
        enrollment=enrollment,
        patient=personas.patient,
        clinic=personas.clinic,
        awaiting_reply_since=timezone.now() - timedelta(hours=30),
    )
    entry = ex.submitted(enrollment, "reflection", ex.REFLECTION_ANSWERS)  # no commit: no handler
    alert = Alert.objects.create(
        patient=personas.patient,
        clinic=personas.clinic,
        source="message",
        tier="urgent",
        reason="message.risk_language",
        due_at=timezone.now() + timedelta(hours=4),
    )
    periodic.run()
    assert open_kinds(personas.patient) == sorted(
        [K.EXERCISE_FEEDBACK, K.MESSAGE_WAITING, K.SAFETY_ALERT]
    )
    assert the(personas.patient, K.EXERCISE_FEEDBACK).ref_uuid == entry.uuid
    row = CaseloadRow.objects.get(patient=personas.patient)
    assert row.open_signals == 3 and row.top_priority == 0
    Conversation.objects.filter(pk=conversation.pk).update(awaiting_reply_since=None)
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=timezone.now())
    periodic.run()
    assert open_kinds(personas.patient) == [K.EXERCISE_FEEDBACK]
    assert CaseloadRow.objects.get(patient=personas.patient).open_signals == 1


def test_a_clinic_can_turn_a_rule_off(personas, enrollment):
    from tandem.care import services

    enrollment.last_activity_at = timezone.now() - timedelta(days=30)
    enrollment.save(update_fields=["last_activity_at"])
    services.save_rule(actor=personas.supervisor, kind=K.SILENCE, enabled=False)
    periodic.run()
    assert K.SILENCE not in open_kinds(personas.patient)
    services.save_rule(actor=personas.supervisor, kind=K.SILENCE, enabled=True, days=40)
    periodic.run()
    assert K.SILENCE not in open_kinds(personas.patient)
    services.save_rule(actor=personas.supervisor, kind=K.SILENCE, enabled=True, days=20)
    periodic.run()
    assert K.SILENCE in open_kinds(personas.patient)
