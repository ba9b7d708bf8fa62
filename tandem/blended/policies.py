"""Access to blended-care objects goes through the patient's scoped path (and its audit):
an object is found only among the patients the user may see, then re-checked through
``patient_for``. A guessed or foreign id is indistinguishable from a missing one (404)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from tandem.accounts.models import Patient
from tandem.accounts.policies import _as_uuid, patient_for
from tandem.audit import services as audit
from tandem.blended.models import AgendaItem, Appointment, Homework


def _denied(request: HttpRequest, what: str, value: object, action: str) -> Http404:
    audit.record(
        actor=request.user,
        action=f"blended.{what}.access_denied",
        request=request,
        outcome="denied",
        detail={f"{what}_uuid": str(value)[:64], "attempted": action},
    )
    return Http404()


def _scoped(model: Any, request: HttpRequest, value: object, *related: str) -> Any:
    key = _as_uuid(value)
    if key is None:
        return None
    return (
        model.objects.filter(uuid=key, patient__in=Patient.objects.for_user(request.user))
        .select_related(*related)
        .first()
    )


APPOINTMENT_RELATED = (
    "patient__user",
    "patient__clinic",
    "therapist",
    "enrollment__version__program",
)


def appointment_for(request: HttpRequest, value: object, *, action: str) -> Appointment:
    appointment = _scoped(Appointment, request, value, *APPOINTMENT_RELATED)
    if appointment is None:
        raise _denied(request, "appointment", value, action)
    appointment.patient = patient_for(request, appointment.patient.uuid, action=action)
    appointment.enrollment.patient = appointment.patient
    return appointment


def homework_for(request: HttpRequest, value: object, *, action: str) -> Homework:
    homework = _scoped(
        Homework, request, value, "patient__user", "patient__clinic", "enrollment__version"
    )
    if homework is None:
        raise _denied(request, "homework", value, action)
    homework.patient = patient_for(request, homework.patient.uuid, action=action)
    homework.enrollment.patient = homework.patient
    return homework


def agenda_item_for(request: HttpRequest, value: object, *, action: str) -> AgendaItem:
    key = _as_uuid(value)
    item = None
    if key is not None:
        item = (
            AgendaItem.objects.filter(
                uuid=key,
                appointment__patient__in=Patient.objects.for_user(request.user),
            )
            .select_related(*(f"appointment__{r}" for r in APPOINTMENT_RELATED))
            .first()
        )
    if item is None:
        raise _denied(request, "agenda_item", value, action)
    item.appointment.patient = patient_for(request, item.appointment.patient.uuid, action=action)
    return item
