"""Who may see or do what with exercise entries and "this is hard" moments.

Every lookup goes through the patient's scoped path (``Patient.objects.for_user``) and is
re-checked and audited by ``patient_for``; anything else is 404. Staff never see a
patient's drafts (they are not shared until submitted). Only a therapist on the
patient's active care team writes feedback or marks a moment seen.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import _as_uuid, patient_for
from tandem.audit import services as audit
from tandem.exercises.models import EntryStatus, ExerciseEntry, HardMoment
from tandem.programs.services import may_manage

ENTRY_RELATED = (
    "enrollment__version__program",
    "version__program",
    "enrollment__patient__user",
    "enrollment__patient__clinic",
)


def is_care_team(user: Any, patient: Patient) -> bool:
    """A therapist on the patient's active care team (not a supervisor, not break-glass)."""
    return may_manage(user, patient)


def _denied(request: HttpRequest, action: str, kind: str, value: object) -> Http404:
    """Audit the denial; the caller raises the returned 404."""
    audit.record(
        actor=request.user,
        action=f"exercises.{kind}.access_denied",
        request=request,
        outcome="denied",
        detail={f"{kind}_uuid": str(value)[:64], "attempted": action},
    )
    return Http404()


def entry_for(request: HttpRequest, entry_uuid: object, *, action: str) -> ExerciseEntry:
    """The entry if the user may see it, else 404 (audited). Staff reads are audited
    through ``patient_for``; a draft is visible to its patient only."""
    user = request.user
    key = _as_uuid(entry_uuid)
    entry = None
    if key is not None:
        entries = ExerciseEntry.objects.filter(
            uuid=key, enrollment__patient__in=Patient.objects.for_user(user)
        )
        if getattr(user, "role", None) != Role.PATIENT:
            entries = entries.exclude(status=EntryStatus.DRAFT)
        entry = entries.select_related(*ENTRY_RELATED).first()
    if entry is None:
        raise _denied(request, action, "entry", entry_uuid)
    entry.enrollment.patient = patient_for(request, entry.enrollment.patient.uuid, action=action)
    return entry


def moment_for(request: HttpRequest, moment_uuid: object, *, action: str) -> HardMoment:
    user = request.user
    key = _as_uuid(moment_uuid)
    moment = None
    if key is not None:
        moment = (
            HardMoment.objects.filter(
                uuid=key, enrollment__patient__in=Patient.objects.for_user(user)
            )
            .select_related("enrollment__patient__user", "enrollment__patient__clinic")
            .first()
        )
    if moment is None:
        raise _denied(request, action, "hard_moment", moment_uuid)
    moment.enrollment.patient = patient_for(request, moment.enrollment.patient.uuid, action=action)
    return moment
