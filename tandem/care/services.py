"""Workspace use cases: one function per change, keyword-only arguments, an explicit
``actor``, one transaction each, with their audit entries.

- signals: ``snooze``, ``resolve_signal``;
- outreach ladder: ``record_outreach``, ``record_outcome``;
- time budget: ``heartbeat``, ``add_time``, ``edit_time``;
- supervision: ``reassign``, ``save_rule``, ``set_planned_minutes``.

The caller has already authorised access to the patient through the scoped path
(``policies.py``); the services re-check what the role may do.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import CareTeamMember, Patient, Role, User
from tandem.audit import services as audit
from tandem.care import caseload, ladder
from tandem.care import signals as sig
from tandem.care.kinds import DISENGAGEMENT, SignalKind
from tandem.care.models import (
    ClinicCarePolicy,
    OutreachStep,
    Signal,
    SignalRule,
    SignalState,
    TimeEntry,
    TimeSource,
)
from tandem.care.rules import MAX_DAYS
from tandem.core import events

MAX_SNOOZE_DAYS = 90
NOTE_MAX = 2000
# Heartbeats arrive every 60 s while the page is visible and used; a longer gap means
# the therapist was idle or away, and the time in between is not counted.
BEAT_SECONDS = 60
IDLE_GAP = timedelta(seconds=150)
MAX_MANUAL_MINUTES = 480


def _clinical(actor: Any) -> None:
    if getattr(actor, "role", None) not in (Role.THERAPIST, Role.SUPERVISOR):
        raise PermissionDenied("therapists and supervisors only")


def _visible(actor: Any, patient_id: int) -> None:
    if not Patient.objects.for_user(actor).filter(pk=patient_id).exists():
        raise PermissionDenied("patient not visible")


def _note(text: str, field: str = "note") -> str:
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise ValidationError({field: _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX}})
    return text


# --- signals ----------------------------------------------------------------------------------


def snooze(
    *,
    actor: User,
    signal: Signal,
    until: datetime,
    reason: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Signal:
    """Put a signal aside until a future moment (at most 90 days); the supervisor sees
    who snoozed what, until when and why. Safety alerts cannot be snoozed."""
    _clinical(actor)
    _visible(actor, signal.patient_id)
    now = now or timezone.now()
    if signal.kind == SignalKind.SAFETY_ALERT:
        raise ValidationError(
            {"until": _("A safety alert cannot be snoozed: acknowledge it instead.")}
        )
    if until is None or until <= now:
        raise ValidationError({"until": _("Choose a date in the future.")})
    if until > now + timedelta(days=MAX_SNOOZE_DAYS):
        raise ValidationError(
            {"until": _("Snooze for at most %(n)d days.") % {"n": MAX_SNOOZE_DAYS}}
        )
    reason = _note(reason, "reason")
    with transaction.atomic():
        locked = Signal.objects.select_for_update().get(pk=signal.pk)
        if locked.state == SignalState.RESOLVED:
            raise ValidationError(_("This signal has already been resolved."))
        locked.state = SignalState.SNOOZED
        locked.snoozed_at = now
        locked.snoozed_until = until
        locked.snoozed_by = actor
        locked.snooze_reason = reason
        locked.save(
            update_fields=[
                "state",
                "snoozed_at",
                "snoozed_until",
                "snoozed_by",
                "snooze_reason",
                "updated_at",
            ]
        )
        sig.recount(locked.patient_id)
        audit.record(
            actor=actor,
            action="care.signal.snoozed",
            request=request,
            patient=locked.patient,
            target=locked,
            detail={"kind": locked.kind, "until": until.isoformat(), "has_reason": bool(reason)},
        )
    return locked


def resolve_signal(
    *,
    actor: User,
    signal: Signal,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Signal:
    """The therapist marks a signal as dealt with. A safety alert is resolved only by
    acknowledging the alert itself (``tandem.safety``)."""
    _clinical(actor)
    _visible(actor, signal.patient_id)
    if signal.kind == SignalKind.SAFETY_ALERT:
        raise ValidationError(_("Acknowledge the safety alert on its own page."))
    now = now or timezone.now()
    with transaction.atomic():
        count = sig.resolve(
            Q(pk=signal.pk),
            patient_id=signal.patient_id,
            by=actor,
            resolution="manual",
            now=now,
        )
        if not count:
            raise ValidationError(_("This signal has already been resolved."))
        audit.record(
            actor=actor,
            action="care.signal.resolved",
            request=request,
            patient=signal.patient,
            target=signal,
            detail={"kind": signal.kind},
        )
    signal.state = SignalState.RESOLVED
    return signal


def wake_snoozed(now: datetime | None = None) -> list[int]:
    """Snoozes that are over: the signals show again. Returns the patients touched."""
    now = now or timezone.now()
    woken = list(
        Signal.objects.filter(state=SignalState.SNOOZED, snoozed_until__lte=now).values_list(
            "pk", "patient_id"
        )
    )
    if woken:
        for start in range(0, len(woken), 500):
            chunk = woken[start : start + 500]
            Signal.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
                state=SignalState.OPEN, updated_at=now
            )
    return sorted({patient for _, patient in woken})


# --- outreach ladder ----------------------------------------------------------------------------


def proposed_step(signal: Signal) -> str | None:
    done = [ladder.Done(s.step, s.outcome) for s in signal.outreach.order_by("done_at", "pk")]
    return ladder.next_step(done)


def record_outreach(
    *,
    actor: User,
    signal: Signal,
    step: str,
    outcome: str = ladder.Outcome.PENDING,
    note: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> OutreachStep:
    """Record a rung of the ladder for a disengagement signal. The signal then rests
    for the step's waiting time (visible to the supervisor as a snooze) unless the
    outcome already closes it (re-engaged, a new plan, paused, ended)."""
    _clinical(actor)
    if signal.kind not in DISENGAGEMENT:
        raise ValidationError(_("Outreach is recorded for disengagement signals."))
    if step not in ladder.Step.values:
        raise ValidationError({"step": _("Choose a step.")})
    if outcome not in ladder.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    note = _note(note)
    now = now or timezone.now()
    with transaction.atomic():
        done = OutreachStep.objects.create(
            patient_id=signal.patient_id,
            clinic_id=signal.clinic_id,
            enrollment_id=signal.enrollment_id,
            signal=signal,
            signal_kind=signal.kind,
            step=step,
            done_at=now,
            done_by=actor,
            outcome=outcome,
            outcome_at=now if outcome != ladder.Outcome.PENDING else None,
            note=note,
        )
        if outcome in ladder.CLOSING:
            sig.resolve(
                Q(pk=signal.pk),
                patient_id=signal.patient_id,
                by=actor,
                resolution="outreach",
                now=now,
            )
        elif signal.state != SignalState.RESOLVED:
            until = now + timedelta(days=ladder.wait_days(step))
            Signal.objects.filter(pk=signal.pk).exclude(state=SignalState.RESOLVED).update(
                state=SignalState.SNOOZED,
                snoozed_at=now,
                snoozed_until=until,
                snoozed_by=actor,
                updated_at=now,
            )
            sig.recount(signal.patient_id)
        audit.record(
            actor=actor,
            action="care.outreach.recorded",
            request=request,
            patient=Patient.objects.get(pk=signal.patient_id),
            target=done,
            detail={"step": step, "outcome": outcome, "kind": signal.kind},
        )
    return done


def record_outcome(
    *,
    actor: User,
    step: OutreachStep,
    outcome: str,
    note: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> OutreachStep:
    """What came of a step recorded earlier (a call answered, a message unanswered)."""
    _clinical(actor)
    _visible(actor, step.patient_id)
    if outcome not in ladder.Outcome.values or outcome == ladder.Outcome.PENDING:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    note = _note(note)
    now = now or timezone.now()
    with transaction.atomic():
        step.outcome = outcome
        step.outcome_at = now
        fields = ["outcome", "outcome_at", "updated_at"]
        if note:
            step.note = note
            fields.append("note")
        step.save(update_fields=fields)
        if outcome in ladder.CLOSING and step.signal_id:
            sig.resolve(
                Q(pk=step.signal_id),
                patient_id=step.patient_id,
                by=actor,
                resolution="outreach",
                now=now,
            )
        audit.record(
            actor=actor,
            action="care.outreach.outcome",
            request=request,
            patient=step.patient,
            target=step,
            detail={"step": step.step, "outcome": outcome},
        )
    return step


# --- time budget ----------------------------------------------------------------------------------


def _minutes(seconds: int) -> int:
    return math.floor(seconds / 60 + 0.5)


def heartbeat(*, actor: User, patient: Patient, now: datetime | None = None) -> TimeEntry:
    """A heartbeat from a patient's page (every 60 s while visible and in use).

    Beats less than 150 s apart extend the therapist's running entry for the patient by
    the time between them (at most 60 s each); a longer gap — the therapist was idle or
    away — starts a new entry, so idle time is never counted."""
    if actor.role != Role.THERAPIST:
        raise PermissionDenied("time is recorded for therapists")
    now = now or timezone.now()
    with transaction.atomic():
        entry = (
            TimeEntry.objects.select_for_update()
            .filter(
                therapist=actor,
                patient=patient,
                source=TimeSource.AUTO,
                last_beat_at__gte=now - IDLE_GAP,
                last_beat_at__lte=now,
            )
            .order_by("-last_beat_at")
            .first()
        )
        if entry is None:
            return TimeEntry.objects.create(
                therapist=actor,
                patient=patient,
                clinic_id=patient.clinic_id,
                started_at=now,
                last_beat_at=now,
                source=TimeSource.AUTO,
                activity="workspace",
            )
        elapsed = int(min((now - entry.last_beat_at).total_seconds(), BEAT_SECONDS))
        entry.seconds += max(elapsed, 0)
        entry.minutes = _minutes(entry.seconds)
        entry.last_beat_at = now
        entry.save(update_fields=["seconds", "minutes", "last_beat_at", "updated_at"])
    return entry


def _check_minutes(minutes: object) -> int:
    try:
        value = int(str(minutes))
    except (TypeError, ValueError):
        raise ValidationError({"minutes": _("Enter a whole number of minutes.")}) from None
    if not 0 <= value <= MAX_MANUAL_MINUTES:
        raise ValidationError(
            {"minutes": _("Enter between 0 and %(n)d minutes.") % {"n": MAX_MANUAL_MINUTES}}
        )
    return value


def add_time(
    *,
    actor: User,
    patient: Patient,
    minutes: object,
    started_at: datetime,
    activity: str = "phone_call",
    note: str = "",
    request: HttpRequest | None = None,
) -> TimeEntry:
    """A manual entry (a phone call, a case conference)."""
    if actor.role != Role.THERAPIST:
        raise PermissionDenied("time is recorded for therapists")
    _visible(actor, patient.pk)
    value = _check_minutes(minutes)
    if value == 0:
        raise ValidationError({"minutes": _("Enter at least one minute.")})
    if started_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"started_at": _("Time spent cannot be in the future.")})
    with transaction.atomic():
        entry = TimeEntry.objects.create(
            therapist=actor,
            patient=patient,
            clinic_id=patient.clinic_id,
            started_at=started_at,
            minutes=value,
            seconds=value * 60,
            source=TimeSource.MANUAL,
            activity=activity[:16],
            note=_note(note),
        )
        audit.record(
            actor=actor,
            action="care.time.added",
            request=request,
            patient=patient,
            target=entry,
            detail={"minutes": value, "activity": entry.activity},
        )
    return entry


def edit_time(
    *,
    actor: User,
    entry: TimeEntry,
    minutes: object,
    note: str | None = None,
    request: HttpRequest | None = None,
) -> TimeEntry:
    """A therapist corrects one of their own entries (0 minutes removes it from sums)."""
    if entry.therapist_id != actor.pk:
        raise PermissionDenied("only one's own entries")
    value = _check_minutes(minutes)
    with transaction.atomic():
        old = entry.minutes
        entry.minutes = value
        entry.seconds = value * 60
        entry.edited_at = timezone.now()
        fields = ["minutes", "seconds", "edited_at", "updated_at"]
        if note is not None:
            entry.note = _note(note)
            fields.append("note")
        # An edited automatic entry stops growing from heartbeats.
        entry.last_beat_at = None
        fields.append("last_beat_at")
        entry.save(update_fields=fields)
        audit.record(
            actor=actor,
            action="care.time.edited",
            request=request,
            patient=entry.patient,
            target=entry,
            detail={"from": old, "to": value},
        )
    return entry


def planned_minutes(clinic_id: int | None) -> int:
    policy = ClinicCarePolicy.objects.filter(clinic_id=clinic_id).first()
    return policy.planned_minutes_per_week if policy else 15


def set_planned_minutes(
    *, actor: User, minutes: object, request: HttpRequest | None = None
) -> ClinicCarePolicy:
    if actor.role != Role.SUPERVISOR or actor.clinic_id is None:
        raise PermissionDenied("supervisors only")
    value = _check_minutes(minutes)
    with transaction.atomic():
        policy, _created = ClinicCarePolicy.objects.get_or_create(clinic_id=actor.clinic_id)
        old = policy.planned_minutes_per_week
        policy.planned_minutes_per_week = value
        policy.save(update_fields=["planned_minutes_per_week", "updated_at"])
        audit.record(
            actor=actor,
            action="care.policy.changed",
            request=request,
            target=policy,
            detail={"planned_minutes_per_week": {"from": old, "to": value}},
        )
    return policy


# --- supervision ---------------------------------------------------------------------------


def reassign(
    *,
    actor: User,
    patients: list[Patient],
    to: User,
    request: HttpRequest | None = None,
) -> int:
    """Move patients to another therapist of the clinic as their primary therapist.

    The old primary membership ends now and a new one starts, so access changes on the
    next request of either therapist (access is read per request from the care team).
    Audited per patient. Returns how many patients moved."""
    if actor.role != Role.SUPERVISOR or actor.clinic_id is None:
        raise PermissionDenied("supervisors only")
    if to.role != Role.THERAPIST or to.clinic_id != actor.clinic_id or not to.is_active:
        raise ValidationError({"to": _("Choose an active therapist of your clinic.")})
    now = timezone.now()
    moved = 0
    with transaction.atomic():
        for patient in patients:
            if patient.clinic_id != actor.clinic_id:
                raise PermissionDenied("patient of another clinic")
            active = list(
                CareTeamMember.objects.select_for_update()
                .active(now)
                .filter(patient=patient)
                .select_related("therapist")
            )
            old = [m for m in active if m.team_role == CareTeamMember.TeamRole.PRIMARY]
            if [m.therapist_id for m in old] == [to.pk]:
                continue
            ending = [*old, *(m for m in active if m.therapist_id == to.pk and m not in old)]
            CareTeamMember.objects.filter(pk__in=[m.pk for m in ending]).update(ended_at=now)
            member = CareTeamMember.objects.create(
                patient=patient,
                therapist=to,
                team_role=CareTeamMember.TeamRole.PRIMARY,
                started_at=now,
            )
            audit.record(
                actor=actor,
                action="care.patient.reassigned",
                request=request,
                patient=patient,
                target=member,
                detail={
                    "from": [str(m.therapist.uuid) for m in old],
                    "to": str(to.uuid),
                },
            )
            events.record(
                patient=patient,
                kind="care_team.changed",
                actor=actor,
                ref=member,
                data={"change": "reassigned", "to": str(to.uuid)},
            )
            caseload.set_primary(patient.pk, now=now)
            moved += 1
    return moved


def save_rule(
    *,
    actor: User,
    kind: str,
    program_code: str = "",
    enabled: bool = True,
    days: object = None,
    priority: object = None,
    request: HttpRequest | None = None,
) -> SignalRule:
    """A supervisor changes a signal rule for the clinic (or one program)."""
    if actor.role != Role.SUPERVISOR or actor.clinic_id is None:
        raise PermissionDenied("supervisors only")
    if kind not in SignalKind.values:
        raise ValidationError({"kind": _("Unknown signal.")})
    if kind == SignalKind.SAFETY_ALERT and not enabled:
        raise ValidationError({"enabled": _("Safety alerts cannot be turned off.")})
    threshold = None
    if days not in (None, ""):
        try:
            threshold = int(str(days))
        except ValueError:
            threshold = -1
        if not 0 <= threshold <= MAX_DAYS:
            raise ValidationError({"days": _("Enter between 0 and %(n)d days.") % {"n": MAX_DAYS}})
    rank = None
    if priority not in (None, ""):
        try:
            rank = int(str(priority))
        except ValueError:
            rank = -1
        if not 1 <= rank <= 99:
            raise ValidationError({"priority": _("Enter a priority from 1 to 99.")})
    with transaction.atomic():
        rule, _created = SignalRule.objects.update_or_create(
            clinic_id=actor.clinic_id,
            program_code=program_code[:50],
            kind=kind,
            defaults={
                "enabled": enabled,
                "threshold_days": threshold,
                "priority": rank,
                "updated_by": actor,
            },
        )
        audit.record(
            actor=actor,
            action="care.rule.changed",
            request=request,
            target=rule,
            detail={
                "kind": kind,
                "program": program_code,
                "enabled": enabled,
                "days": threshold,
                "priority": rank,
            },
        )
    sig.forget_rules(actor.clinic_id)
    return rule
