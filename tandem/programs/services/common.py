"""Shared by the services that write: guards, row lock, counters, events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from tandem.accounts.models import Patient, Role
from tandem.core import events
from tandem.core.models import Event
from tandem.programs.models import Enrollment, ModuleProgress
from tandem.programs.services.reading import PACE_STEP, Slot, may_manage, slots

LOCK_RELATED = ("version__program", "patient__user", "patient__clinic")


def require_care_team(actor: Any, patient: Patient) -> None:
    if not may_manage(actor, patient):
        raise PermissionDenied("not on the patient's care team")


def require_own(actor: Any, enrollment: Enrollment) -> None:
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.role == Role.PATIENT
        and enrollment.patient.user_id == actor.pk
    ):
        raise PermissionDenied("not the patient's own enrollment")


def lock(enrollment: Enrollment) -> None:
    """Lock the enrollment row and reload it, so concurrent changes serialise."""
    enrollment.refresh_from_db(
        from_queryset=Enrollment.objects.select_for_update(of=("self",)).select_related(
            *LOCK_RELATED
        )
    )


def save(enrollment: Enrollment, *fields: str) -> None:
    enrollment.save(update_fields=[*fields, "updated_at"])


def recount(enrollment: Enrollment) -> None:
    keys = {s.progress_key for s in slots(enrollment, include_hidden=True)}
    done = ModuleProgress.objects.filter(
        enrollment=enrollment, completed_at__isnull=False
    ).values_list("version_id", "module_key")
    enrollment.modules_completed = sum(1 for row in done if row in keys)


def touch(enrollment: Enrollment, now: datetime) -> None:
    if enrollment.last_activity_at is None or enrollment.last_activity_at < now:
        enrollment.last_activity_at = now


def slot_for(enrollment: Enrollment, key: str, *, include_hidden: bool = False) -> Slot:
    for slot in slots(enrollment, include_hidden=include_hidden):
        if slot.key == key:
            return slot
    raise ValidationError({"module": _("This module is not part of the program.")})


def parse_pace(value: object, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number of modules a week.")}) from None
    if not number.is_finite() or number % PACE_STEP:
        raise ValidationError({field: _("Use steps of half a module a week.")})
    return number


def record_event(
    enrollment: Enrollment, kind: str, actor: Any, now: datetime | None = None, **data: Any
) -> Event:
    return events.record(
        patient=enrollment.patient,
        kind=kind,
        actor=actor,
        ref=enrollment,
        data={
            "program": enrollment.version.program.code,
            "version": enrollment.version.version,
            **data,
        },
        occurred_at=now,
    )
