"""Who may see or do what in the workspace. Every list starts from the one scoped path,
``Patient.objects.for_user(user)``; single objects are reached through their patient with
``patient_for`` (audited), and anything not visible is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from tandem.accounts.models import BreakGlassGrant, CareTeamMember, Patient, Role
from tandem.accounts.policies import _as_uuid, patient_for
from tandem.audit import services as audit
from tandem.care.models import OutreachStep, Signal, TimeEntry


def scoped_patients(user: Any) -> QuerySet[Patient]:
    """The patients ``user`` may see now: ``Patient.objects.for_user`` — narrowed, for a
    therapist, to the patients of their care-team memberships and break-glass grants.

    The narrowing only removes rows (it is ANDed with the scoped path); it lets the
    database start from the therapist's memberships instead of every patient of the
    clinic, so the cost follows the caseload, not the clinic."""
    patients = Patient.objects.for_user(user)
    if getattr(user, "role", None) == Role.THERAPIST:
        now = timezone.now()
        patients = patients.filter(
            Q(pk__in=CareTeamMember.objects.filter(therapist=user).values("patient_id"))
            | Q(pk__in=BreakGlassGrant.objects.active(now).filter(user=user).values("patient_id"))
        )
    return patients


def caseload_patients(user: Any) -> QuerySet[Patient]:
    """A therapist's caseload: their care-team patients (break-glass access is not a
    caseload); a supervisor's: the clinic."""
    patients = Patient.objects.for_user(user)
    if getattr(user, "role", None) == Role.THERAPIST:
        now = timezone.now()
        patients = patients.filter(
            pk__in=CareTeamMember.objects.active(now).filter(therapist=user).values("patient_id")
        )
    return patients


def signal_for(request: HttpRequest, signal_uuid: object, *, action: str) -> Signal:
    """The signal if its patient is visible to the user (the read is audited through
    ``patient_for``), else 404."""
    key = _as_uuid(signal_uuid)
    signal = None
    if key is not None:
        signal = (
            Signal.objects.filter(uuid=key, patient__in=scoped_patients(request.user))
            .select_related("patient", "enrollment")
            .first()
        )
    if signal is None:
        _denied(request, "care.signal.access_denied", signal_uuid, action)
    signal.patient = patient_for(request, signal.patient.uuid, action=action)
    return signal


def step_for(request: HttpRequest, step_uuid: object, *, action: str) -> OutreachStep:
    key = _as_uuid(step_uuid)
    step = None
    if key is not None:
        step = (
            OutreachStep.objects.filter(uuid=key, patient__in=scoped_patients(request.user))
            .select_related("patient")
            .first()
        )
    if step is None:
        _denied(request, "care.outreach.access_denied", step_uuid, action)
    step.patient = patient_for(request, step.patient.uuid, action=action)
    return step


def own_entry(request: HttpRequest, entry_uuid: object) -> TimeEntry:
    """A time entry of the requesting therapist (and a patient they still see)."""
    key = _as_uuid(entry_uuid)
    entry = None
    if key is not None:
        entry = (
            TimeEntry.objects.filter(
                uuid=key,
                therapist=request.user,
                patient__in=scoped_patients(request.user),
            )
            .select_related("patient")
            .first()
        )
    if entry is None:
        _denied(request, "care.time.access_denied", entry_uuid, "care.time.edit")
    return entry


def _denied(request: HttpRequest, action: str, value: object, attempted: str) -> None:
    audit.record(
        actor=request.user,
        action=action,
        request=request,
        outcome="denied",
        detail={"uuid": str(value)[:64], "attempted": attempted},
    )
    raise Http404
