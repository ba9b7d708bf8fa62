"""Shared by the blended services: who may act, clinic settings, time zones, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tandem.accounts.models import Patient, Role
from tandem.blended.models import (
    DEFAULT_AGENDA_LEAD_HOURS,
    DEFAULT_MAX_GAP_DAYS,
    DEFAULT_NOTE_LOCK_HOURS,
    BlendedSettings,
)
from tandem.core import events
from tandem.core.models import Event
from tandem.programs import services as programs


def zone_of(user: Any) -> ZoneInfo:
    """The user's time zone (the site's when unset or unknown)."""
    for name in (getattr(user, "timezone", "") or "", settings.TIME_ZONE):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def may_manage(actor: Any, patient: Patient) -> bool:
    """A therapist on the patient's active care team (supervisors and break-glass readers
    see blended care but do not change it)."""
    return programs.may_manage(actor, patient)


def require_manage(actor: Any, patient: Patient) -> None:
    if not may_manage(actor, patient):
        raise PermissionDenied("not on the patient's care team")


def is_own_patient(actor: Any, patient: Patient) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.role == Role.PATIENT
        and patient.user_id == actor.pk
    )


def require_own(actor: Any, patient: Patient) -> None:
    if not is_own_patient(actor, patient):
        raise PermissionDenied("not the patient's own")


def clinic_settings(clinic_id: int | None) -> BlendedSettings:
    """The clinic's row, or an unsaved one with the defaults."""
    found = BlendedSettings.objects.filter(clinic_id=clinic_id).first() if clinic_id else None
    return found or BlendedSettings(
        clinic_id=clinic_id,
        note_lock_hours=DEFAULT_NOTE_LOCK_HOURS,
        agenda_lead_hours=DEFAULT_AGENDA_LEAD_HOURS,
        max_gap_days=DEFAULT_MAX_GAP_DAYS,
    )


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def record_event(
    *, patient: Patient, kind: str, actor: Any, ref: Any, now: datetime | None = None, **data: Any
) -> Event:
    """Facts of blended care carry ids and codes only, never clinical text."""
    return events.record(
        patient=patient, kind=kind, actor=actor, ref=ref, data=data, occurred_at=now
    )
