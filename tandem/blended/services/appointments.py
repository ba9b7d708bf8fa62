"""Scheduling sessions: schedule (once or as a weekly/fortnightly series), reschedule,
cancel with a reason, record attendance; upcoming sessions for a therapist or a patient.

Times arrive aware (the form turns the therapist's local input into an aware datetime) and
are stored in UTC. A series keeps its local wall-clock time across daylight-saving changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import CareTeamMember, Patient, Role, User
from tandem.audit import services as audit
from tandem.blended.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentQuerySet,
    AppointmentStatus,
)
from tandem.blended.services import notify
from tandem.blended.services.common import now_or, record_event, require_manage, zone_of
from tandem.programs.models import Enrollment
from tandem.programs.services import ONGOING

REPEATS = {"none": 0, "weekly": 7, "biweekly": 14}
MAX_OCCURRENCES = 26
DURATION_RANGE = (15, 240)


def _local(value: datetime, zone: ZoneInfo) -> str:
    return formats.date_format(value.astimezone(zone), "j M Y, H:i")


def _series_starts(first: datetime, every_days: int, count: int, zone: ZoneInfo) -> list[datetime]:
    """Occurrences at the same local wall-clock time (DST-safe)."""
    local = first.astimezone(zone).replace(tzinfo=None)
    out = []
    for index in range(count):
        naive = local + timedelta(days=every_days * index)
        out.append(naive.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")))
    return out


def _check_therapist(therapist: Any, enrollment: Enrollment, at: datetime) -> None:
    if (
        getattr(therapist, "role", None) != Role.THERAPIST
        or not therapist.is_active
        or not CareTeamMember.objects.active(at)
        .filter(patient=enrollment.patient, therapist=therapist)
        .exists()
    ):
        raise ValidationError({"therapist": _("Choose a therapist on the patient's care team.")})


def _check_times(starts_at: datetime, minutes: int, now: datetime) -> datetime:
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be aware")
    if not DURATION_RANGE[0] <= minutes <= DURATION_RANGE[1]:
        raise ValidationError(
            {
                "duration": _("A session lasts from %(low)d to %(high)d minutes.")
                % {"low": DURATION_RANGE[0], "high": DURATION_RANGE[1]}
            }
        )
    if starts_at <= now:
        raise ValidationError(
            {"starts_at": _("This time is in the past. Choose a time in the future.")}
        )
    return starts_at + timedelta(minutes=minutes)


def _conflicts(
    slots: Iterable[tuple[datetime, datetime]],
    *,
    therapist: User,
    enrollment: Enrollment,
    exclude: Iterable[int] = (),
) -> list[tuple[datetime, Appointment]]:
    """Slots that overlap another session of the therapist, or of the patient."""
    slots = list(slots)
    if not slots:
        return []
    lo = min(s for s, _e in slots)
    hi = max(e for _s, e in slots)
    existing = list(
        Appointment.objects.not_cancelled()
        .filter(starts_at__lt=hi, ends_at__gt=lo)
        .filter(Q(therapist=therapist) | Q(patient_id=enrollment.patient_id))
        .exclude(pk__in=list(exclude))
    )
    clashes = []
    for start, end in slots:
        for other in existing:
            if other.starts_at < end and other.ends_at > start:
                clashes.append((start, other))
                break
    return clashes


def _overlap_error(clashes: list[tuple[datetime, Appointment]], therapist: User, zone: ZoneInfo):  # type: ignore[no-untyped-def]
    lines = []
    for start, other in clashes[:5]:
        whose = (
            _("%(name)s already has a session then") % {"name": therapist.full_name}
            if other.therapist_id == therapist.pk
            else _("the patient already has a session then")
        )
        lines.append(
            _("%(when)s: %(whose)s (%(start)s–%(end)s).")
            % {
                "when": _local(start, zone),
                "whose": whose,
                "start": _local(other.starts_at, zone),
                "end": formats.time_format(other.ends_at.astimezone(zone), "TIME_FORMAT"),
            }
        )
    return ValidationError(
        {"starts_at": [_("This overlaps another session."), *lines]}, code="overlap"
    )


def _lock_therapist(therapist: User) -> None:
    """Serialise scheduling for one therapist, so two requests cannot book one slot."""
    User.objects.select_for_update(of=("self",)).filter(pk=therapist.pk).first()


def schedule(
    *,
    actor: Any,
    enrollment: Enrollment,
    starts_at: datetime,
    kind: str = AppointmentKind.IN_PERSON,
    duration_minutes: int = 50,
    therapist: User | None = None,
    location: str = "",
    repeat: str = "none",
    occurrences: int = 1,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> list[Appointment]:
    """Schedule one session, or a series of ``occurrences`` sessions every week or
    fortnight (each its own row). Nothing is stored when any occurrence is in the past
    or overlaps another session of the therapist or the patient."""
    require_manage(actor, enrollment.patient)
    now = now_or(now)
    therapist = therapist or actor
    if kind not in AppointmentKind.values:
        raise ValidationError({"kind": _("Choose face to face, video or phone.")})
    if repeat not in REPEATS:
        raise ValidationError({"repeat": _("Choose how the session repeats.")})
    if enrollment.status not in ONGOING:
        raise ValidationError(_("The enrollment has ended: no new sessions can be scheduled."))
    count = 1 if repeat == "none" else occurrences
    if not 1 <= count <= MAX_OCCURRENCES:
        raise ValidationError(
            {
                "occurrences": _("A series has from 1 to %(max)d sessions.")
                % {"max": MAX_OCCURRENCES}
            }
        )
    _check_therapist(therapist, enrollment, now)
    ends = _check_times(starts_at, duration_minutes, now)
    zone = zone_of(actor)
    starts = _series_starts(starts_at, REPEATS[repeat], count, zone) if count > 1 else [starts_at]
    length = ends - starts_at
    series = uuid.uuid4() if count > 1 else None
    with transaction.atomic():
        _lock_therapist(therapist)
        clashes = _conflicts(
            [(s, s + length) for s in starts], therapist=therapist, enrollment=enrollment
        )
        if clashes:
            raise _overlap_error(clashes, therapist, zone)
        made = []
        for index, start in enumerate(starts):
            appointment = Appointment.objects.create(
                patient=enrollment.patient,
                enrollment=enrollment,
                therapist=therapist,
                kind=kind,
                starts_at=start,
                ends_at=start + length,
                location=location.strip()[:200],
                series=series,
                series_index=index + 1 if series else None,
                scheduled_by=actor,
            )
            made.append(appointment)
            audit.record(
                actor=actor,
                action="blended.appointment.scheduled",
                request=request,
                patient=enrollment.patient,
                target=appointment,
                detail={"kind": kind, "series": str(series) if series else None},
            )
            record_event(
                patient=enrollment.patient,
                kind="appointment.scheduled",
                actor=actor,
                ref=appointment,
                now=now,
                starts_at=start.isoformat(),
                appointment_kind=kind,
                therapist=str(therapist.uuid),
            )
        for appointment in made:
            notify.session_booked(appointment)
    return made


def _require_scheduled(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise ValidationError(
            _("This session is %(status)s and can no longer be changed.")
            % {"status": appointment.get_status_display().lower()}
        )


def _lock(appointment: Appointment) -> None:
    appointment.refresh_from_db(
        from_queryset=Appointment.objects.select_for_update(of=("self",)).select_related(
            "patient__user", "enrollment", "therapist"
        )
    )


def reschedule(
    *,
    actor: Any,
    appointment: Appointment,
    starts_at: datetime,
    duration_minutes: int | None = None,
    kind: str | None = None,
    location: str | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Appointment:
    require_manage(actor, appointment.patient)
    now = now_or(now)
    with transaction.atomic():
        _lock(appointment)
        _require_scheduled(appointment)
        minutes = duration_minutes or appointment.duration_minutes
        ends = _check_times(starts_at, minutes, now)
        if kind is not None and kind not in AppointmentKind.values:
            raise ValidationError({"kind": _("Choose face to face, video or phone.")})
        _lock_therapist(appointment.therapist)
        clashes = _conflicts(
            [(starts_at, ends)],
            therapist=appointment.therapist,
            enrollment=appointment.enrollment,
            exclude=[appointment.pk],
        )
        if clashes:
            raise _overlap_error(clashes, appointment.therapist, zone_of(actor))
        before = appointment.starts_at
        appointment.starts_at = starts_at
        appointment.ends_at = ends
        if kind is not None:
            appointment.kind = kind
        if location is not None:
            appointment.location = location.strip()[:200]
        appointment.sequence += 1
        appointment.save()
        audit.record(
            actor=actor,
            action="blended.appointment.rescheduled",
            request=request,
            patient=appointment.patient,
            target=appointment,
            detail={"from": before.isoformat(), "to": starts_at.isoformat()},
        )
        record_event(
            patient=appointment.patient,
            kind="appointment.rescheduled",
            actor=actor,
            ref=appointment,
            now=now,
            starts_at=starts_at.isoformat(),
            previous=before.isoformat(),
        )
        notify.session_moved(appointment)
    return appointment


def cancel(
    *,
    actor: Any,
    appointment: Appointment,
    reason: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Appointment:
    require_manage(actor, appointment.patient)
    now = now_or(now)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the session is cancelled.")})
    if len(reason) > 1000:
        raise ValidationError({"reason": _("Keep the reason under 1000 characters.")})
    with transaction.atomic():
        _lock(appointment)
        _require_scheduled(appointment)
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = now
        appointment.cancelled_by = actor
        appointment.cancel_reason = reason
        appointment.sequence += 1
        appointment.save()
        audit.record(
            actor=actor,
            action="blended.appointment.cancelled",
            request=request,
            patient=appointment.patient,
            target=appointment,
        )
        record_event(
            patient=appointment.patient,
            kind="appointment.cancelled",
            actor=actor,
            ref=appointment,
            now=now,
        )
        notify.session_cancelled(appointment)
    return appointment


def record_attendance(
    *,
    actor: Any,
    appointment: Appointment,
    attended: bool,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Mark a session attended or not attended (once it has started). A wrong mark can
    be corrected the same day; after that the record stands."""
    require_manage(actor, appointment.patient)
    now = now_or(now)
    status = AppointmentStatus.ATTENDED if attended else AppointmentStatus.DID_NOT_ATTEND
    with transaction.atomic():
        _lock(appointment)
        if appointment.is_cancelled:
            raise ValidationError(_("This session was cancelled."))
        if appointment.starts_at > now:
            raise ValidationError(
                _("The session has not started yet: attendance is recorded once it has.")
            )
        if appointment.status == status:
            return appointment
        if (
            appointment.attendance_recorded_at is not None
            and now - appointment.attendance_recorded_at > timedelta(days=1)
        ):
            raise ValidationError(_("Attendance was recorded over a day ago and stands."))
        appointment.status = status
        appointment.attendance_recorded_at = now
        appointment.save(update_fields=["status", "attendance_recorded_at", "updated_at"])
        audit.record(
            actor=actor,
            action=f"blended.appointment.{status}",
            request=request,
            patient=appointment.patient,
            target=appointment,
        )
        record_event(
            patient=appointment.patient,
            kind=f"appointment.{status}",
            actor=actor,
            ref=appointment,
            now=now,
        )
    return appointment


# --- reading -------------------------------------------------------------------------------------


def upcoming_for_therapist(
    therapist: User, now: datetime | None = None, *, days: int = 14
) -> AppointmentQuerySet:
    """The therapist's own sessions from now on (patients they still treat)."""
    now = now_or(now)
    return (
        Appointment.objects.upcoming(now)
        .filter(therapist=therapist, starts_at__lt=now + timedelta(days=days))
        .filter(patient__in=Patient.objects.for_user(therapist))
        .select_related("patient__user", "enrollment__version__program")
    )


def upcoming_for_patient(patient: Any, now: datetime | None = None) -> AppointmentQuerySet:
    return (
        Appointment.objects.upcoming(now_or(now))
        .filter(patient=patient)
        .select_related("therapist")
    )


def next_session(patient: Any, now: datetime | None = None) -> Appointment | None:
    return upcoming_for_patient(patient, now).first()


def previous_session(appointment: Appointment) -> Appointment | None:
    """The last attended session of the enrollment before this one."""
    return (
        Appointment.objects.filter(
            enrollment_id=appointment.enrollment_id,
            status=AppointmentStatus.ATTENDED,
            starts_at__lt=appointment.starts_at,
        )
        .order_by("-starts_at")
        .first()
    )


def session_numbers(appointments: Iterable[Appointment]) -> dict[int, int]:
    """Each session's number in the treatment (cancelled and missed sessions have none):
    the n-th attended or scheduled session of its enrollment."""
    counters: dict[int, int] = {}
    out: dict[int, int] = {}
    for appointment in sorted(appointments, key=lambda a: (a.starts_at, a.pk)):
        if appointment.status in ACTIVE_STATUSES:
            counters[appointment.enrollment_id] = counters.get(appointment.enrollment_id, 0) + 1
            out[appointment.pk] = counters[appointment.enrollment_id]
    return out


def session_number(appointment: Appointment) -> int | None:
    rows = Appointment.objects.filter(
        enrollment_id=appointment.enrollment_id, starts_at__lte=appointment.starts_at
    ).only("pk", "starts_at", "status", "enrollment_id")
    return session_numbers(rows).get(appointment.pk)
