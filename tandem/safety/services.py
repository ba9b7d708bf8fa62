"""Safety use cases: raise, route, acknowledge and escalate alerts; crisis resources.

The API other apps call (keyword-only, explicit actor)::

    raise_alert(*, patient, source, tier, reason, ref=None, actor=None, detail=None) -> Alert
    crisis_resources(*, clinic, language) -> CrisisResources
    acknowledge(*, actor, alert, note, request=None) -> Alert
    escalate_due(now=None) -> list[Alert]

``raise_alert`` runs inside the caller's transaction, so the answer that caused the alert
and the alert are stored together or not at all.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import CareTeamMember, Clinic, Patient, Role, User
from tandem.audit import services as audit
from tandem.core import events
from tandem.core.workhours import WorkCalendar
from tandem.safety import registry
from tandem.safety.crisis import CrisisLine, CrisisResources
from tandem.safety.crisis import crisis_resources as _crisis_resources
from tandem.safety.models import (
    TIER_RANK,
    Alert,
    EscalationPolicy,
    EscalationReason,
    Source,
    Tier,
)

__all__ = [
    "AlreadyAcknowledged",
    "CrisisLine",
    "CrisisResources",
    "acknowledge",
    "care_team_route",
    "crisis_resources",
    "escalate_due",
    "policy_for",
    "raise_alert",
    "supervisor_for",
]

logger = logging.getLogger(__name__)

REASON_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
NOTE_MAX = 4000


class AlreadyAcknowledged(ValidationError):
    """The alert was acknowledged before (by someone else, or in another tab)."""

    def __init__(self, alert: Alert) -> None:
        who = alert.acknowledged_by.full_name if alert.acknowledged_by else _("someone")
        when = formats.date_format(
            timezone.localtime(alert.acknowledged_at), "SHORT_DATETIME_FORMAT"
        )
        super().__init__(
            _("This alert was already acknowledged by %(who)s on %(when)s.")
            % {"who": who, "when": when},
            code="already_acknowledged",
        )
        self.alert = alert


def crisis_resources(*, clinic: Clinic | None, language: str) -> CrisisResources:
    """The clinic's crisis resources for ``language``; never raises (see ``crisis``)."""
    return _crisis_resources(clinic=clinic, language=language)


# --- routing -----------------------------------------------------------------------------


def policy_for(clinic_id: int) -> EscalationPolicy:
    policy = EscalationPolicy.objects.filter(clinic_id=clinic_id).first()
    return policy or EscalationPolicy(clinic_id=clinic_id)


def calendar_for(policy: EscalationPolicy, clinic: Clinic) -> WorkCalendar:
    try:
        tz = ZoneInfo(clinic.timezone)
    except (ValueError, KeyError, OSError):
        tz = ZoneInfo("Europe/Helsinki")
    return WorkCalendar(
        tz=tz,
        day_start=policy.workday_start,
        day_end=policy.workday_end,
        holiday_country=policy.holiday_country,
    )


def due_at(*, clinic: Clinic, tier: str, start: datetime) -> datetime:
    policy = policy_for(clinic.pk)
    return calendar_for(policy, clinic).add_working_hours(start, policy.hours_for(tier))


def care_team_route(patient: Patient, at: datetime | None = None) -> list[User]:
    """Who on the care team can take an alert now: active members whose accounts are
    active and who are not away (``registry.register_unavailability``), the primary
    therapist first, then cover (longest-standing first)."""
    members = (
        CareTeamMember.objects.active(at)
        .filter(
            patient=patient,
            therapist__is_active=True,
            therapist__role=Role.THERAPIST,
            therapist__clinic_id=patient.clinic_id,
        )
        .select_related("therapist")
        .annotate(
            _rank=Case(
                When(team_role=CareTeamMember.TeamRole.PRIMARY, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("_rank", "started_at", "pk")
    )
    therapists = []
    for member in members:
        if all(t.pk != member.therapist_id for t in therapists):
            therapists.append(member.therapist)
    away = registry.unavailable([t.pk for t in therapists], at or timezone.now())
    return [t for t in therapists if t.pk not in away]


def supervisor_for(clinic_id: int) -> User | None:
    return (
        User.objects.filter(role=Role.SUPERVISOR, clinic_id=clinic_id, is_active=True)
        .order_by("date_joined", "pk")
        .first()
    )


def _escalate(alert: Alert, *, now: datetime, why: str) -> bool:
    """Hand the alert to the clinic's supervisor. False when the clinic has none."""
    supervisor = supervisor_for(alert.clinic_id)
    if supervisor is None:
        logger.error(
            "alert %s cannot be escalated: clinic %s has no active supervisor",
            alert.uuid,
            alert.clinic_id,
        )
        if alert.unrouted_since is None:
            alert.unrouted_since = now
            alert.save(update_fields=["unrouted_since", "updated_at"])
            audit.record(
                actor=None,
                action="safety.alert.unrouted",
                patient=alert.patient,
                target=alert,
                outcome="failed",
                detail={"why": why, "tier": alert.tier, "reason": alert.reason},
            )
        return False
    alert.escalated_at = now
    alert.escalated_to = supervisor
    alert.escalation_reason = why
    alert.unrouted_since = None
    alert.save(
        update_fields=[
            "escalated_at",
            "escalated_to",
            "escalation_reason",
            "unrouted_since",
            "updated_at",
        ]
    )
    audit.record(
        actor=None,
        action="safety.alert.escalated",
        patient=alert.patient,
        target=alert,
        detail={"why": why, "to": str(supervisor.uuid), "tier": alert.tier, "reason": alert.reason},
    )
    events.record(
        patient=alert.patient,
        kind="alert.escalated",
        ref=alert,
        data={"why": why, "tier": alert.tier, "reason": alert.reason, "to": str(supervisor.uuid)},
    )
    return True


# --- raising -------------------------------------------------------------------------------


def _ref_of(ref: Any) -> tuple[str, str]:
    if ref is None:
        return "", ""
    ref_type = ref._meta.label_lower
    key = getattr(ref, "uuid", None) or getattr(ref, "pk", None)
    if key is None:
        raise ValueError("raise_alert: ref must be a saved object")
    return ref_type, str(key)


def _check(source: str, tier: str, reason: str) -> None:
    if source not in Source.values:
        raise ValueError(f"raise_alert: unknown source {source!r} (one of {Source.values})")
    if tier not in Tier.values:
        raise ValueError(f"raise_alert: unknown tier {tier!r} (one of {Tier.values})")
    if not isinstance(reason, str) or len(reason) > 64 or not REASON_RE.match(reason):
        raise ValueError(
            "raise_alert: reason must be a short code like 'phq9.item9' "
            "(lowercase letters, digits, '_' and '.'; at most 64 characters)"
        )


def raise_alert(
    *,
    patient: Patient,
    source: str,
    tier: str,
    reason: str,
    ref: Any = None,
    actor: Any = None,
    detail: dict[str, Any] | None = None,
) -> Alert:
    """Create the safety alert for ``patient`` (or update the identical open one).

    Runs in the caller's transaction: if the caller's transaction rolls back, the alert
    is gone too, and if this raises, the caller's transaction must roll back (the
    assessments service lets the exception propagate). The alert goes to the primary
    therapist, else to an active cover therapist; with nobody active on the care team it
    is escalated to the clinic's supervisor at once. An identical open alert (same
    patient, source, reason and ref) is updated instead of duplicated: its tier can only
    rise, and a rise to urgent brings its deadline forward.
    """
    _check(source, tier, reason)
    ref_type, ref_key = _ref_of(ref)
    now = timezone.now()
    clinic = patient.clinic
    raised_by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        same = dict(
            patient=patient, source=source, reason=reason, ref_type=ref_type, ref_key=ref_key
        )
        existing = Alert.objects.select_for_update(of=("self",)).open().filter(**same).first()
        if existing is None:
            route = care_team_route(patient, now)
            alert = Alert(
                **same,
                clinic_id=patient.clinic_id,
                tier=tier,
                detail=detail or {},
                raised_by=raised_by,
                raised_at=now,
                last_raised_at=now,
                assigned_to=route[0] if route else None,
                due_at=due_at(clinic=clinic, tier=tier, start=now),
            )
            try:
                with transaction.atomic():
                    alert.save(force_insert=True)
            except IntegrityError:
                # A concurrent identical alert won the race: update that one instead.
                existing = Alert.objects.select_for_update(of=("self",)).open().get(**same)
            else:
                audit.record(
                    actor=actor,
                    action="safety.alert.raised",
                    patient=patient,
                    target=alert,
                    detail={
                        "source": source,
                        "tier": tier,
                        "reason": reason,
                        "assigned_to": str(alert.assigned_to.uuid) if route else None,
                    },
                )
                events.record(
                    patient=patient,
                    kind="alert.raised",
                    actor=actor,
                    ref=alert,
                    data={"source": source, "tier": tier, "reason": reason},
                )
                if not route:
                    _escalate(alert, now=now, why=EscalationReason.NO_CARE_TEAM)
                return alert
        return _repeat(existing, tier=tier, detail=detail, actor=actor, now=now)


def _repeat(
    alert: Alert, *, tier: str, detail: dict[str, Any] | None, actor: Any, now: datetime
) -> Alert:
    raised_tier = alert.tier
    alert.raise_count += 1
    alert.last_raised_at = now
    if detail:
        alert.detail = detail
    fields = ["raise_count", "last_raised_at", "detail", "updated_at"]
    if TIER_RANK[Tier(tier)] > TIER_RANK[Tier(alert.tier)]:
        alert.tier = tier
        sooner = due_at(clinic=alert.patient.clinic, tier=tier, start=now)
        alert.due_at = min(alert.due_at, sooner)
        fields += ["tier", "due_at"]
    alert.save(update_fields=fields)
    audit.record(
        actor=actor,
        action="safety.alert.repeated",
        patient=alert.patient,
        target=alert,
        detail={
            "tier": alert.tier,
            "was": raised_tier,
            "reason": alert.reason,
            "count": alert.raise_count,
        },
    )
    events.record(
        patient=alert.patient,
        kind="alert.repeated",
        actor=actor,
        ref=alert,
        data={"tier": alert.tier, "reason": alert.reason, "count": alert.raise_count},
    )
    return alert


# --- acknowledging -----------------------------------------------------------------------------


def may_handle(user: Any, alert: Alert) -> bool:
    """Care team (and break-glass) or the clinic's supervisor: the patient's scoped path."""
    if getattr(user, "role", None) not in (Role.THERAPIST, Role.SUPERVISOR):
        return False
    return Patient.objects.for_user(user).filter(pk=alert.patient_id).exists()


def acknowledge(
    *, actor: User, alert: Alert, note: str, request: HttpRequest | None = None
) -> Alert:
    """Record that ``actor`` has seen the alert and what they did about it.

    A note of the action taken is required. Acknowledging an alert a second time raises
    ``AlreadyAcknowledged`` (a ``ValidationError`` with a clear message) and changes nothing.
    """
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {
                "note": _(
                    "Write down what you did about this alert (for example: phoned the "
                    "patient, agreed a plan)."
                )
            }
        )
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX}}
        )
    if not may_handle(actor, alert):
        raise PermissionDenied("not on the care team or supervising this clinic")
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("patient__clinic", "acknowledged_by")
            .get(pk=alert.pk)
        )
        if locked.acknowledged_at is not None:
            raise AlreadyAcknowledged(locked)
        locked.acknowledged_at = now
        locked.acknowledged_by = actor
        locked.acknowledgement_note = note
        locked.save(
            update_fields=[
                "acknowledged_at",
                "acknowledged_by",
                "acknowledgement_note",
                "updated_at",
            ]
        )
        minutes = int((now - locked.raised_at).total_seconds() // 60)
        audit.record(
            actor=actor,
            action="safety.alert.acknowledged",
            request=request,
            patient=locked.patient,
            target=locked,
            detail={
                "tier": locked.tier,
                "reason": locked.reason,
                "minutes": minutes,
                "escalated": locked.escalated_at is not None,
            },
        )
        events.record(
            patient=locked.patient,
            kind="alert.acknowledged",
            actor=actor,
            ref=locked,
            data={
                "tier": locked.tier,
                "reason": locked.reason,
                "minutes": minutes,
                "escalated": locked.escalated_at is not None,
            },
        )
    alert.acknowledged_at = locked.acknowledged_at
    alert.acknowledged_by = actor
    alert.acknowledgement_note = note
    return locked


# --- escalation ---------------------------------------------------------------------------------


def _reroute(alert: Alert, now: datetime) -> None:
    """Move an open alert off a therapist who left the care team or was deactivated."""
    route = care_team_route(alert.patient, now)
    if alert.assigned_to_id is not None and any(u.pk == alert.assigned_to_id for u in route):
        return
    if not route:
        if alert.escalated_at is None:
            _escalate(alert, now=now, why=EscalationReason.NO_CARE_TEAM)
        return
    previous = alert.assigned_to
    alert.assigned_to = route[0]
    alert.save(update_fields=["assigned_to", "updated_at"])
    audit.record(
        actor=None,
        action="safety.alert.reassigned",
        patient=alert.patient,
        target=alert,
        detail={"from": str(previous.uuid) if previous else None, "to": str(route[0].uuid)},
    )
    events.record(
        patient=alert.patient,
        kind="alert.reassigned",
        ref=alert,
        data={"to": str(route[0].uuid), "tier": alert.tier, "reason": alert.reason},
    )


def escalate_due(now: datetime | None = None) -> list[Alert]:
    """The periodic job (``manage.py safety_escalate``); idempotent.

    1. Open alerts whose therapist left the care team or was deactivated move to the
       next active care-team member (cover), or to the supervisor when there is none.
    2. Open alerts past their deadline and not yet escalated go to the clinic's
       supervisor. Returns the alerts escalated in this run.
    """
    now = now or timezone.now()
    escalated: list[Alert] = []
    # Ids first: each alert is then re-read and locked in its own short transaction.
    candidates = list(
        Alert.objects.open()
        .filter(escalated_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in candidates:
        with transaction.atomic():
            alert = (
                Alert.objects.select_for_update(of=("self",))
                .select_related("patient__clinic", "assigned_to")
                .filter(pk=pk, acknowledged_at__isnull=True, escalated_at__isnull=True)
                .first()
            )
            if alert is None:
                continue
            _reroute(alert, now)
            if alert.escalated_at is None and alert.due_at <= now:
                _escalate(alert, now=now, why=EscalationReason.OVERDUE)
            if alert.escalated_at is not None:
                escalated.append(alert)
    return escalated


def open_alerts_for(user: Any):  # type: ignore[no-untyped-def]
    """Open alerts of the patients ``user`` may see, in triage order (urgent first,
    oldest first) — for the therapist's and supervisor's workspaces."""
    from tandem.safety.policies import visible_alerts

    return (
        visible_alerts(user)
        .open()
        .select_related("patient__user", "assigned_to", "escalated_to")
        .triage_order()
    )
