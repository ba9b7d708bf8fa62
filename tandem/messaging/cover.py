"""Absences and cover: while a therapist is away, a named cover of the same clinic
answers. The cover sees the patients through the care team: for each patient of the
absent therapist, a time-bounded ``CareTeamMember`` (team role *cover*) from the first
to the last day away, unless the cover is already on the team. Ending an absence early
ends those memberships; otherwise they end by themselves when the absence ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import CareTeamMember, Patient, Role, User
from tandem.audit import services as audit
from tandem.core import events
from tandem.messaging.models import Absence, AbsenceCover


def _bounds(absence: Absence) -> tuple[datetime, datetime]:
    tz = ZoneInfo(absence.clinic.timezone)
    start = datetime.combine(absence.starts_on, time(0), tzinfo=tz)
    end = datetime.combine(absence.ends_on + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def _local_today(clinic: Any, now: datetime) -> date:
    return now.astimezone(ZoneInfo(clinic.timezone)).date()


def mark_absence(
    *,
    actor: User,
    therapist: User,
    cover: User,
    starts_on: date,
    ends_on: date,
    request: HttpRequest | None = None,
) -> Absence:
    """Record an absence and give the cover access to the absent therapist's patients."""
    if not (
        (actor.role == Role.THERAPIST and actor.pk == therapist.pk)
        or (actor.role == Role.SUPERVISOR and actor.clinic_id == therapist.clinic_id)
    ):
        raise PermissionDenied
    if therapist.role != Role.THERAPIST:
        raise ValidationError(_("Only a therapist's absence can be recorded."))
    if cover.pk == therapist.pk:
        raise ValidationError({"cover": _("Choose someone else to cover.")})
    if (
        cover.role != Role.THERAPIST
        or cover.clinic_id != therapist.clinic_id
        or not cover.is_active
    ):
        raise ValidationError({"cover": _("The cover must be an active therapist of your clinic.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day must not be before the first day.")})
    today = _local_today(therapist.clinic, timezone.now())
    if ends_on < today:
        raise ValidationError({"ends_on": _("This absence would already be over.")})
    if ends_on - starts_on > timedelta(days=366):
        raise ValidationError({"ends_on": _("An absence can last at most a year.")})
    overlapping = Absence.objects.filter(
        therapist=therapist,
        cancelled_at__isnull=True,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    )
    with transaction.atomic():
        if overlapping.exists():
            raise ValidationError(_("An absence on these dates is already recorded."))
        absence = Absence.objects.create(
            therapist=therapist,
            cover=cover,
            clinic_id=therapist.clinic_id,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="messaging.absence.created",
            request=request,
            target=absence,
            clinic=therapist.clinic_id,
            detail={
                "therapist": str(therapist.uuid),
                "cover": str(cover.uuid),
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
        sync_cover(absence, actor=actor, request=request)
    return absence


def sync_cover(
    absence: Absence, *, actor: User | None = None, request: HttpRequest | None = None
) -> int:
    """Give the cover a time-bounded membership for every patient of the absent
    therapist who lacks one (idempotent; run again when patients are added). Returns
    the number of memberships created."""
    if absence.cancelled_at is not None:
        return 0
    start, end = _bounds(absence)
    now = timezone.now()
    if end <= now:
        return 0
    begins = max(start, now)
    patient_ids = set(
        CareTeamMember.objects.filter(therapist=absence.therapist, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=begins))
        .values_list("patient_id", flat=True)
    )
    covered = set(
        CareTeamMember.objects.filter(
            therapist=absence.cover, patient_id__in=patient_ids, started_at__lte=begins
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=end))
        .values_list("patient_id", flat=True)
    ) | set(absence.memberships.values_list("member__patient_id", flat=True))
    created = 0
    for patient in Patient.objects.filter(pk__in=patient_ids - covered).select_related("clinic"):
        with transaction.atomic():
            member = CareTeamMember.objects.create(
                patient=patient,
                therapist=absence.cover,
                team_role=CareTeamMember.TeamRole.COVER,
                started_at=begins,
                ended_at=end,
            )
            AbsenceCover.objects.create(absence=absence, member=member)
            audit.record(
                actor=actor,
                action="accounts.care_team.added",
                request=request,
                patient=patient,
                target=member,
                detail={
                    "therapist": str(absence.cover.uuid),
                    "team_role": "cover",
                    "absence": str(absence.uuid),
                    "until": end.isoformat(),
                },
            )
            events.record(
                patient=patient,
                kind="care_team.changed",
                actor=actor,
                ref=member,
                data={"reason": "absence_cover"},
            )
        created += 1
    return created


def end_absence(*, actor: User, absence: Absence, request: HttpRequest | None = None) -> None:
    """End an absence now (or cancel a future one); the cover's access ends with it."""
    if not (
        (actor.role == Role.THERAPIST and actor.pk == absence.therapist_id)
        or (actor.role == Role.SUPERVISOR and actor.clinic_id == absence.clinic_id)
    ):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        if absence.cancelled_at is not None:
            return
        Absence.objects.filter(pk=absence.pk).update(cancelled_at=now)
        absence.cancelled_at = now
        for link in absence.memberships.select_related("member__patient"):
            member = link.member
            if member.ended_at is None or member.ended_at > now:
                member.ended_at = max(now, member.started_at)
                member.save(update_fields=["ended_at", "updated_at"])
                audit.record(
                    actor=actor,
                    action="accounts.care_team.removed",
                    request=request,
                    patient=member.patient,
                    target=member,
                    detail={
                        "therapist": str(absence.cover_id and absence.cover.uuid),
                        "absence": str(absence.uuid),
                    },
                )
                events.record(
                    patient=member.patient,
                    kind="care_team.changed",
                    actor=actor,
                    ref=member,
                    data={"reason": "absence_ended"},
                )
        audit.record(
            actor=actor,
            action="messaging.absence.ended",
            request=request,
            target=absence,
            clinic=absence.clinic_id,
        )


def current_absences(*, therapist_ids: list[int], clinic: Any, now: datetime | None = None):  # type: ignore[no-untyped-def]
    today = _local_today(clinic, now or timezone.now())
    return Absence.objects.filter(
        therapist_id__in=therapist_ids,
        cancelled_at__isnull=True,
        starts_on__lte=today,
        ends_on__gte=today,
    ).select_related("therapist", "cover")


@dataclass(frozen=True)
class Answering:
    """Who answers a patient's messages now, and who is away."""

    answering: list[User]
    away: list[Absence]


def answering_now(patient: Patient, now: datetime | None = None) -> Answering:
    now = now or timezone.now()
    team = list(
        CareTeamMember.objects.active(now)
        .filter(patient=patient, therapist__is_active=True)
        .select_related("therapist")
    )
    ids = [m.therapist_id for m in team]
    away = list(current_absences(therapist_ids=ids, clinic=patient.clinic, now=now))
    away_ids = {a.therapist_id for a in away}
    answering = [m.therapist for m in team if m.therapist_id not in away_ids]
    primary_first = sorted(
        answering,
        key=lambda u: next(
            (0 if m.team_role == CareTeamMember.TeamRole.PRIMARY else 1)
            for m in team
            if m.therapist_id == u.pk
        ),
    )
    return Answering(primary_first, away)


def absent_therapist_ids(user_ids: list[int], at: datetime) -> set[int]:
    """Therapists among ``user_ids`` on an absence at ``at`` (their clinic's local date).

    Registered with ``tandem.safety.registry.register_unavailability`` so that a new
    safety alert goes to the cover therapist while the primary therapist is away."""
    absences = Absence.objects.filter(
        therapist_id__in=user_ids, cancelled_at__isnull=True
    ).select_related("clinic")
    return {a.therapist_id for a in absences if _bounds(a)[0] <= at < _bounds(a)[1]}
