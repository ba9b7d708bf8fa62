"""Reactions to the clinical apps' events: safety, messaging, exercises, assessments,
alliance pulses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from tandem.care import caseload, ladder
from tandem.care import signals as sig
from tandem.care.handlers.common import GESTURE_CONTEXTS, _enrollment, _rule_context, _uuid
from tandem.care.kinds import DISENGAGEMENT
from tandem.care.kinds import SignalKind as K
from tandem.care.models import Signal, SignalState
from tandem.core.models import Event

# --- safety ---------------------------------------------------------------------------------


def on_alert(event: Event) -> None:
    data = event.data or {}
    if event.ref_uuid is None:
        return
    sig.open_signal(
        patient_id=event.patient_id,
        clinic_id=event.patient.clinic_id,
        kind=K.SAFETY_ALERT,
        dedupe_key=sig.key(K.SAFETY_ALERT, event.ref_uuid),
        since=event.occurred_at,
        reason_code="alert",
        params={
            "source": str(data.get("source", ""))[:16],
            "tier": str(data.get("tier", ""))[:8],
            "reason": str(data.get("reason", ""))[:64],
        },
        ref_type=event.ref_type,
        ref_uuid=event.ref_uuid,
    )


def on_alert_acknowledged(event: Event) -> None:
    if event.ref_uuid is not None:
        sig.resolve_key(
            sig.key(K.SAFETY_ALERT, event.ref_uuid),
            patient_id=event.patient_id,
            by=event.actor,
            now=event.occurred_at,
        )


# --- messaging ------------------------------------------------------------------------------


def reply_due(clinic: Any, since: datetime) -> datetime | None:
    """When a patient message waiting since ``since`` passes the clinic's promise."""
    if not apps.is_installed("tandem.messaging"):
        return None
    from tandem.core.workhours import add_working_hours
    from tandem.messaging.replytimes import policy_for

    policy = policy_for(clinic)
    try:
        return add_working_hours(since, float(policy.promise_hours), policy.calendar())
    except ValueError:
        return since + timedelta(hours=policy.promise_hours)


def on_message(event: Event) -> None:
    if not apps.is_installed("tandem.messaging"):
        return
    from tandem.messaging.models import Conversation

    data = event.data or {}
    conversation_uuid = _uuid(data.get("conversation"))
    if conversation_uuid is None:
        return
    conversation = (
        Conversation.objects.filter(uuid=conversation_uuid)
        .select_related("clinic")
        .only("id", "uuid", "awaiting_reply_since", "enrollment_id", "clinic")
        .first()
    )
    if conversation is None:
        return
    dedupe = sig.key(K.MESSAGE_WAITING, conversation.uuid)
    if data.get("direction") == "patient_to_team":
        since = conversation.awaiting_reply_since
        if since is None:
            return
        sig.open_signal(
            patient_id=event.patient_id,
            clinic_id=event.patient.clinic_id,
            kind=K.MESSAGE_WAITING,
            dedupe_key=dedupe,
            since=since,
            reason_code="message.waiting",
            enrollment_id=conversation.enrollment_id,
            ref_type="messaging.conversation",
            ref_uuid=conversation.uuid,
            due_at=reply_due(conversation.clinic, since),
        )
        return
    if conversation.awaiting_reply_since is None:
        sig.resolve_key(dedupe, patient_id=event.patient_id, by=event.actor, now=event.occurred_at)
    if data.get("context") in GESTURE_CONTEXTS and event.actor is not None:
        record_gesture_outreach(event, conversation.enrollment_id)


def record_gesture_outreach(event: Event, enrollment_id: int) -> None:
    """A gesture sent from a disengagement signal is the ladder's warm message."""
    from tandem.care import services

    signal = (
        Signal.objects.filter(
            patient_id=event.patient_id,
            state=SignalState.OPEN,
            kind__in=DISENGAGEMENT,
        )
        .filter(Q(enrollment_id=enrollment_id) | Q(enrollment__isnull=True))
        .order_by("priority", "since")
        .first()
    )
    if signal is None:
        return
    done = list(signal.outreach.values_list("step", flat=True))
    if ladder.Step.WARM_MESSAGE in done:
        return
    services.record_outreach(
        actor=event.actor, signal=signal, step=ladder.Step.WARM_MESSAGE, now=event.occurred_at
    )


# --- exercises ------------------------------------------------------------------------------


def _entry(entry_uuid: object) -> Any:
    if not apps.is_installed("tandem.exercises"):
        return None
    from tandem.exercises.models import ExerciseEntry

    key = _uuid(entry_uuid)
    if key is None:
        return None
    return (
        ExerciseEntry.objects.filter(uuid=key)
        .select_related("enrollment__version__program")
        .only(
            "id",
            "uuid",
            "module_key",
            "exercise_key",
            "submitted_at",
            "version_id",
            "enrollment__id",
            "enrollment__uuid",
            "enrollment__guidance_mode",
            "enrollment__pacing_policy",
            "enrollment__status",
            "enrollment__version__id",
            "enrollment__version__program__code",
        )
        .first()
    )


def _feedback_key(entry: Any) -> str:
    return sig.key(K.EXERCISE_FEEDBACK, entry.enrollment.uuid, entry.module_key, entry.exercise_key)


def on_exercise_submitted(event: Event) -> None:
    entry = _entry(event.ref_uuid)
    if entry is None or entry.enrollment.guidance_mode == "self_guided":
        return
    since = entry.submitted_at or event.occurred_at
    cfg_days = sig.config_for(
        K.EXERCISE_FEEDBACK,
        sig.rule_table(event.patient.clinic_id),
        program_code=entry.enrollment.version.program.code,
    ).days
    existing = (
        Signal.objects.unresolved()
        .filter(dedupe_key=_feedback_key(entry))
        .values_list("since", flat=True)
        .first()
    )
    start = existing or since
    sig.open_signal(
        patient_id=event.patient_id,
        clinic_id=event.patient.clinic_id,
        kind=K.EXERCISE_FEEDBACK,
        dedupe_key=_feedback_key(entry),
        since=start,
        reason_code="exercise.awaiting_feedback",
        params={
            "module": entry.module_key,
            "exercise": entry.exercise_key,
            "version": entry.version_id,
        },
        ref_type="exercises.exerciseentry",
        ref_uuid=entry.uuid,
        due_at=start + timedelta(days=cfg_days) if cfg_days is not None else None,
        **_rule_context(entry.enrollment),
    )


def on_feedback_given(event: Event) -> None:
    from tandem.exercises.models import ExerciseEntry

    entry = _entry((event.data or {}).get("entry") or event.ref_uuid)
    if entry is None:
        return
    waiting = (
        ExerciseEntry.objects.awaiting_feedback()
        .filter(
            enrollment_id=entry.enrollment.pk,
            module_key=entry.module_key,
            exercise_key=entry.exercise_key,
        )
        .order_by("submitted_at", "pk")
        .only("uuid", "submitted_at")
    )
    left = list(waiting[:1])
    dedupe = _feedback_key(entry)
    if not left:
        sig.resolve_key(dedupe, patient_id=event.patient_id, by=event.actor, now=event.occurred_at)
        return
    Signal.objects.unresolved().filter(dedupe_key=dedupe).update(
        since=left[0].submitted_at, ref_uuid=left[0].uuid
    )


def on_hard_reported(event: Event) -> None:
    if not apps.is_installed("tandem.exercises") or event.ref_uuid is None:
        return
    from tandem.exercises.models import HardMoment

    moment = (
        HardMoment.objects.filter(uuid=event.ref_uuid)
        .select_related("enrollment__version__program")
        .only(
            "id",
            "uuid",
            "answer_due_on",
            "module_key",
            "exercise_key",
            "distress",
            "version_id",
            "enrollment__id",
            "enrollment__guidance_mode",
            "enrollment__pacing_policy",
            "enrollment__version__program__code",
        )
        .first()
    )
    if moment is None:
        return
    due = datetime.combine(
        moment.answer_due_on + timedelta(days=1),
        datetime.min.time(),
        timezone.get_current_timezone(),
    )
    sig.open_signal(
        patient_id=event.patient_id,
        clinic_id=event.patient.clinic_id,
        kind=K.HARD_MOMENT,
        dedupe_key=sig.key(K.HARD_MOMENT, moment.uuid),
        since=event.occurred_at,
        reason_code="exercise.hard",
        params={
            "module": moment.module_key,
            "exercise": moment.exercise_key,
            "distress": moment.distress,
            "version": moment.version_id,
        },
        ref_type="exercises.hardmoment",
        ref_uuid=moment.uuid,
        due_at=due,
        **_rule_context(moment.enrollment),
    )


def on_hard_seen(event: Event) -> None:
    if event.ref_uuid is not None:
        sig.resolve_key(
            sig.key(K.HARD_MOMENT, event.ref_uuid),
            patient_id=event.patient_id,
            by=event.actor,
            now=event.occurred_at,
        )


# --- assessments ----------------------------------------------------------------------------


def _code(event: Event) -> str:
    return str((event.data or {}).get("code") or "")[:32]


def on_reliable_change(event: Event) -> None:
    data = event.data or {}
    code = _code(event)
    if not code:
        return
    dedupe = sig.key(K.RELIABLE_DETERIORATION, event.patient.uuid, code)
    if data.get("change") == "deteriorated":
        sig.open_signal(
            patient_id=event.patient_id,
            clinic_id=event.patient.clinic_id,
            kind=K.RELIABLE_DETERIORATION,
            dedupe_key=dedupe,
            since=event.occurred_at,
            reason_code="score.deteriorated",
            params={
                "code": code,
                "total": data.get("total"),
                "baseline": data.get("baseline_total"),
            },
            ref_type=event.ref_type,
            ref_uuid=event.ref_uuid,
            enrollment_id=_patient_enrollment_id(event.patient_id),
        )
    elif data.get("change") == "improved":
        sig.resolve_key(dedupe, patient_id=event.patient_id, now=event.occurred_at)


def _patient_enrollment_id(patient_id: int) -> int | None:
    from tandem.care.models import CaseloadRow

    return (
        CaseloadRow.objects.filter(patient_id=patient_id)
        .values_list("enrollment_id", flat=True)
        .first()
    )


def on_questionnaire_completed(event: Event) -> None:
    code = _code(event)
    if code:
        keys = [sig.key(K.MISSED_QUESTIONNAIRE, event.patient.uuid, code)]
        if (event.data or {}).get("change") not in ("deteriorated", "improved"):
            # A new score without a reliable change: the deterioration is no longer current.
            keys.append(sig.key(K.RELIABLE_DETERIORATION, event.patient.uuid, code))
        sig.resolve(Q(dedupe_key__in=keys), patient_id=event.patient_id, now=event.occurred_at)
    caseload.update_scores(event.patient_id)


def on_questionnaire_missed(event: Event) -> None:
    code = _code(event)
    if not code or not apps.is_installed("tandem.assessments"):
        return
    from tandem.assessments.models import Assignment

    enrollment_id = (
        Assignment.objects.filter(uuid=event.ref_uuid)
        .values_list("enrollment_id", flat=True)
        .first()
        if event.ref_uuid
        else None
    ) or _patient_enrollment_id(event.patient_id)
    sig.open_signal(
        patient_id=event.patient_id,
        clinic_id=event.patient.clinic_id,
        kind=K.MISSED_QUESTIONNAIRE,
        dedupe_key=sig.key(K.MISSED_QUESTIONNAIRE, event.patient.uuid, code),
        since=event.occurred_at,
        reason_code="questionnaire.missed",
        params={"code": code},
        ref_type=event.ref_type,
        ref_uuid=event.ref_uuid,
        enrollment_id=enrollment_id,
    )


# --- alliance -------------------------------------------------------------------------------


def on_alliance_dip(event: Event) -> None:
    data = event.data or {}
    therapist = _uuid(data.get("therapist"))
    if therapist is None:
        return
    enrollment = _enrollment(data.get("enrollment"))
    sig.open_signal(
        patient_id=event.patient_id,
        clinic_id=event.patient.clinic_id,
        kind=K.ALLIANCE_DIP,
        dedupe_key=sig.key(K.ALLIANCE_DIP, event.patient.uuid, therapist),
        since=event.occurred_at,
        reason_code="alliance.dip",
        params={"latest": data.get("latest"), "median": data.get("median")},
        ref_type=event.ref_type,
        ref_uuid=event.ref_uuid,
        **_rule_context(enrollment),
    )


def on_alliance_answered(event: Event) -> None:
    therapist = _uuid((event.data or {}).get("therapist"))
    if therapist is not None:
        sig.resolve_key(
            sig.key(K.ALLIANCE_DIP, event.patient.uuid, therapist),
            patient_id=event.patient_id,
            now=event.occurred_at,
        )
