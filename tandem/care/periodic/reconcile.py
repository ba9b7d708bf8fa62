"""State-based signals reconciled with their source tables (catching up anything an
event handler missed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from tandem.care import rules
from tandem.care import signals as sig
from tandem.care.kinds import SignalKind as K
from tandem.care.periodic.common import Differ, Summary, Want

# --- 3. state-based reconciliation --------------------------------------------------------


def _policies() -> dict[int, Any]:
    from tandem.accounts.models import Clinic
    from tandem.messaging.replytimes import policy_for

    return {clinic.pk: policy_for(clinic) for clinic in Clinic.objects.all()}


def reconcile_messages(differ: Differ) -> None:
    if not apps.is_installed("tandem.messaging"):
        return
    from tandem.core.workhours import add_working_hours
    from tandem.messaging.models import Conversation

    policies = _policies()
    calendars = {pk: policy.calendar() for pk, policy in policies.items()}
    wanted = []
    waiting = Conversation.objects.filter(awaiting_reply_since__isnull=False).values_list(
        "uuid", "patient_id", "clinic_id", "enrollment_id", "awaiting_reply_since"
    )
    for conv_uuid, patient_id, clinic_id, enrollment_id, since in waiting.iterator(5000):
        policy = policies.get(clinic_id)
        due = None
        if policy is not None:
            try:
                due = add_working_hours(since, float(policy.promise_hours), calendars[clinic_id])
            except ValueError:
                due = since + timedelta(hours=policy.promise_hours)
        wanted.append(
            Want(
                kind=K.MESSAGE_WAITING,
                key=sig.key(K.MESSAGE_WAITING, conv_uuid),
                patient_id=patient_id,
                clinic_id=clinic_id,
                since=since,
                reason_code="message.waiting",
                params={},
                enrollment_id=enrollment_id,
                ref_type="messaging.conversation",
                ref_uuid=conv_uuid,
                due_at=due,
            )
        )
    differ.apply([K.MESSAGE_WAITING], wanted)


def reconcile_feedback(differ: Differ) -> None:
    if not apps.is_installed("tandem.exercises"):
        return
    from tandem.exercises.models import ExerciseEntry

    entries = (
        ExerciseEntry.objects.awaiting_feedback()
        .filter(enrollment__status="active")
        .exclude(enrollment__guidance_mode="self_guided")
        .order_by("submitted_at", "pk")
        .values_list(
            "uuid",
            "enrollment_id",
            "enrollment__uuid",
            "enrollment__patient_id",
            "enrollment__patient__clinic_id",
            "module_key",
            "exercise_key",
            "submitted_at",
            "version_id",
            "enrollment__version__program__code",
            "enrollment__pacing_policy",
            "enrollment__guidance_mode",
        )
    )
    groups: dict[str, Want] = {}
    for row in entries.iterator(5000):
        (
            entry_uuid,
            enrollment_id,
            enrollment_uuid,
            patient_id,
            clinic_id,
            module,
            exercise,
            submitted_at,
            version_id,
            code,
            pacing,
            guidance,
        ) = row
        dedupe = sig.key(K.EXERCISE_FEEDBACK, enrollment_uuid, module, exercise)
        want = groups.get(dedupe)
        if want is None:
            days = rules.config_for(
                K.EXERCISE_FEEDBACK, differ.tables.get(clinic_id, {}), program_code=code
            ).days
            groups[dedupe] = Want(
                kind=K.EXERCISE_FEEDBACK,
                key=dedupe,
                patient_id=patient_id,
                clinic_id=clinic_id,
                since=submitted_at,
                reason_code="exercise.awaiting_feedback",
                params={"module": module, "exercise": exercise, "version": version_id},
                enrollment_id=enrollment_id,
                ref_type="exercises.exerciseentry",
                ref_uuid=entry_uuid,
                due_at=submitted_at + timedelta(days=days) if days is not None else None,
                program_code=code,
                pacing=pacing,
                guidance=guidance,
            )
        else:
            want.ref_uuid = entry_uuid
            want.params = {"module": module, "exercise": exercise, "version": version_id}
    differ.apply([K.EXERCISE_FEEDBACK], list(groups.values()))


def reconcile_alerts(differ: Differ) -> None:
    if not apps.is_installed("tandem.safety"):
        return
    from tandem.safety.models import Alert

    wanted = [
        Want(
            kind=K.SAFETY_ALERT,
            key=sig.key(K.SAFETY_ALERT, alert_uuid),
            patient_id=patient_id,
            clinic_id=clinic_id,
            since=raised_at,
            reason_code="alert",
            params={"source": source, "tier": tier, "reason": reason},
            ref_type="safety.alert",
            ref_uuid=alert_uuid,
        )
        for alert_uuid, patient_id, clinic_id, raised_at, source, tier, reason in (
            Alert.objects.open()
            .values_list("uuid", "patient_id", "clinic_id", "raised_at", "source", "tier", "reason")
            .iterator(5000)
        )
    ]
    differ.apply([K.SAFETY_ALERT], wanted)


def hard_due(answer_due_on: date) -> datetime:
    return datetime.combine(
        answer_due_on + timedelta(days=1), datetime.min.time(), timezone.get_current_timezone()
    )


def reconcile_hard_moments(differ: Differ) -> None:
    if not apps.is_installed("tandem.exercises"):
        return
    from tandem.exercises.models import HardMoment

    moments = (
        HardMoment.objects.filter(seen_at__isnull=True)
        .values_list(
            "uuid",
            "enrollment_id",
            "enrollment__patient_id",
            "enrollment__patient__clinic_id",
            "created_at",
            "answer_due_on",
            "module_key",
            "exercise_key",
            "distress",
            "version_id",
        )
        .iterator(5000)
    )
    wanted = [
        Want(
            kind=K.HARD_MOMENT,
            key=sig.key(K.HARD_MOMENT, moment_uuid),
            patient_id=patient_id,
            clinic_id=clinic_id,
            since=created_at,
            reason_code="exercise.hard",
            params={
                "module": module,
                "exercise": exercise,
                "distress": distress,
                "version": version_id,
            },
            enrollment_id=enrollment_id,
            ref_type="exercises.hardmoment",
            ref_uuid=moment_uuid,
            due_at=hard_due(due_on),
        )
        for (
            moment_uuid,
            enrollment_id,
            patient_id,
            clinic_id,
            created_at,
            due_on,
            module,
            exercise,
            distress,
            version_id,
        ) in moments
    ]
    differ.apply([K.HARD_MOMENT], wanted)


MISSED_WINDOW = timedelta(days=14)


def reconcile_missed(differ: Differ) -> None:
    """Questionnaires whose time ran out in the last 14 days, with no later completion of
    the same instrument: a *missed questionnaire* (opened only; answering resolves it)."""
    if not apps.is_installed("tandem.assessments"):
        return
    from django.db.models import Exists, OuterRef

    from tandem.assessments.models import Assignment

    now = differ.now
    later = Assignment.objects.filter(
        patient_id=OuterRef("patient_id"),
        instrument=OuterRef("instrument"),
        completed_at__isnull=False,
        completed_at__gte=OuterRef("due_at"),
    )
    missed = (
        Assignment.objects.filter(
            completed_at__isnull=True,
            expires_at__gt=now - MISSED_WINDOW,
            expires_at__lte=now,
        )
        .filter(~Exists(later))
        .order_by("expires_at")
        .values_list(
            "uuid",
            "patient_id",
            "patient__uuid",
            "patient__clinic_id",
            "enrollment_id",
            "instrument",
            "expires_at",
        )
    )
    groups: dict[str, Want] = {}
    for (
        assignment_uuid,
        patient_id,
        patient_uuid,
        clinic_id,
        enrollment_id,
        code,
        expired,
    ) in missed.iterator(5000):
        dedupe = sig.key(K.MISSED_QUESTIONNAIRE, patient_uuid, code)
        groups[dedupe] = Want(
            kind=K.MISSED_QUESTIONNAIRE,
            key=dedupe,
            patient_id=patient_id,
            clinic_id=clinic_id,
            since=expired,
            reason_code="questionnaire.missed",
            params={"code": code},
            enrollment_id=enrollment_id,
            ref_type="assessments.assignment",
            ref_uuid=assignment_uuid,
        )
    differ.apply([K.MISSED_QUESTIONNAIRE], list(groups.values()), resolve_stale=False)


def session_wants(now: datetime, appointment_uuid: Any = None) -> list[Want] | None:
    """Blended sessions starting soon without a prepared agenda (``tandem.blended``'s
    ``upcoming_without_agenda``, within the clinic's lead time). None without the app."""
    if not apps.is_installed("tandem.blended"):
        return None
    from tandem.blended.services.agenda import upcoming_without_agenda

    rows = upcoming_without_agenda(now)
    if appointment_uuid is not None:
        rows = rows.filter(uuid=appointment_uuid)
    wanted = []
    for row in rows.values(
        "uuid", "patient_id", "patient__clinic_id", "enrollment_id", "starts_at"
    ).iterator(2000):
        wanted.append(
            Want(
                kind=K.SESSION_WITHOUT_AGENDA,
                key=sig.key(K.SESSION_WITHOUT_AGENDA, row["uuid"]),
                patient_id=row["patient_id"],
                clinic_id=row["patient__clinic_id"],
                since=now,
                reason_code="session.no_agenda",
                params={"starts_at": row["starts_at"].isoformat()},
                enrollment_id=row["enrollment_id"],
                ref_type="blended.appointment",
                ref_uuid=row["uuid"],
            )
        )
    return wanted


def reconcile_sessions(differ: Differ) -> None:
    """Blended sessions without an agenda (resolved by ``agenda.prepared``, a cancelled,
    attended or missed session, or by the session starting)."""
    wanted = session_wants(differ.now)
    if wanted is not None:
        differ.apply([K.SESSION_WITHOUT_AGENDA], wanted)


def reevaluate_session(appointment_uuid: Any, now: datetime | None = None) -> None:
    """One session after it was scheduled or moved."""
    now = now or timezone.now()
    wanted = session_wants(now, appointment_uuid)
    if wanted is None:
        return
    summary = Summary()
    clinic_ids = {w.clinic_id for w in wanted}
    differ = Differ({c: sig.rule_table(c) for c in clinic_ids}, now, summary)
    differ.apply(
        [K.SESSION_WITHOUT_AGENDA],
        wanted,
        scope=Q(dedupe_key=sig.key(K.SESSION_WITHOUT_AGENDA, appointment_uuid)),
    )
    sig.recount_many(differ.touched)
