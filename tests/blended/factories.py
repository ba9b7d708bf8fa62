"""Test helpers for blended care: a blended enrollment in the worksheets fixture package
(one module of exercises, a second one locked until the first is done), sessions in the
past and future, and the objects the access matrix needs. Importable by
tests/access_matrix.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from tandem.blended.models import (
    AgendaItem,
    AgendaSource,
    Appointment,
    AppointmentStatus,
    Homework,
)
from tandem.programs.models import Enrollment
from tests.exercises import factories as ex

MODULE = ex.MODULE  # "practice": every exercise type
LATER = ex.LATER  # "later": locked under sequential pacing until "practice" is done


def blended(patient: Any, *, by: Any = None, started_at: datetime | None = None) -> Enrollment:
    """The patient's blended enrollment in the worksheets program (created once)."""
    enrollment = ex.enroll(patient, by=by)
    changed = []
    if enrollment.guidance_mode != "blended":
        enrollment.guidance_mode = "blended"
        changed.append("guidance_mode")
    if started_at is not None:
        enrollment.started_at = started_at
        changed.append("started_at")
    if changed:
        enrollment.save(update_fields=changed)
    return enrollment


def session(
    enrollment: Enrollment,
    therapist: Any,
    starts_at: datetime,
    *,
    status: str = AppointmentStatus.SCHEDULED,
    minutes: int = 50,
    kind: str = "in_person",
) -> Appointment:
    """A session row written directly (the services refuse the past on purpose)."""
    return Appointment.objects.create(
        patient=enrollment.patient,
        enrollment=enrollment,
        therapist=therapist,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        status=status,
        scheduled_by=therapist,
    )


def custom_homework(
    enrollment: Enrollment,
    therapist: Any,
    *,
    text: str = "Walk for 15 minutes",
    due_in: timedelta = timedelta(days=5),
    appointment: Appointment | None = None,
    assigned_at: datetime | None = None,
) -> Homework:
    now = timezone.now()
    return Homework.objects.create(
        patient=enrollment.patient,
        enrollment=enrollment,
        appointment=appointment,
        kind="custom",
        text=text,
        minutes=15,
        due_at=(assigned_at or now) + due_in,
        assigned_at=assigned_at or now,
        assigned_by=therapist,
    )


# --- access matrix ------------------------------------------------------------------------------


def matrix_enrollment(p: Any) -> dict[str, Any]:
    return {"enrollment": blended(p.patient, by=p.therapist).uuid}


def matrix_appointment_obj(p: Any) -> Appointment:
    enrollment = blended(p.patient, by=p.therapist)
    found = (
        Appointment.objects.filter(enrollment=enrollment, status=AppointmentStatus.SCHEDULED)
        .order_by("starts_at")
        .first()
    )
    return found or session(enrollment, p.therapist, timezone.now() + timedelta(days=2))


def matrix_appointment(p: Any) -> dict[str, Any]:
    return {"appointment": matrix_appointment_obj(p).uuid}


def matrix_item(p: Any) -> dict[str, Any]:
    appointment = matrix_appointment_obj(p)
    item = AgendaItem.objects.create(
        appointment=appointment, source=AgendaSource.THERAPIST, text="Sleep", author=p.therapist
    )
    return {"item": item.uuid}


def matrix_topic(p: Any) -> dict[str, Any]:
    appointment = matrix_appointment_obj(p)
    item = AgendaItem.objects.create(
        appointment=appointment,
        source=AgendaSource.PATIENT,
        text="My sister's visit",
        author=p.patient.user,
    )
    return {"item": item.uuid}


def matrix_homework(p: Any) -> dict[str, Any]:
    enrollment = blended(p.patient, by=p.therapist)
    return {"homework": custom_homework(enrollment, p.therapist).uuid}


def matrix_feed(p: Any) -> dict[str, Any]:
    from tandem.blended import services

    return {"token": services.create_feed(actor=p.therapist)}
