"""Test helpers for the care workspace: caseloads of any size, signals, outreach steps
and time entries, and the objects the access matrix needs. Importable by
tests/access_matrix.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from tandem.accounts.models import Patient
from tandem.care import signals as sig
from tandem.care.kinds import SignalKind as K
from tandem.care.models import OutreachStep, Signal, TimeEntry
from tests.exercises import factories as ex
from tests.personas import make_patient


def enroll(patient: Patient, *, by: Any = None, **fields: Any):  # type: ignore[no-untyped-def]
    """The patient's guided enrollment in the worksheets fixture program."""
    enrollment = ex.enroll(patient, by=by, policy=fields.pop("policy", "sequential"))
    if fields:
        for name, value in fields.items():
            setattr(enrollment, name, value)
        enrollment.save(update_fields=list(fields))
    return enrollment


def signal(
    patient: Patient,
    kind: str = K.SILENCE,
    *,
    since: datetime | None = None,
    key: str | None = None,
    enrollment: Any = None,
    **extra: Any,
) -> Signal:
    """An open signal for ``patient`` (a fresh one when the last was resolved)."""
    found = sig.open_signal(
        patient_id=patient.pk,
        clinic_id=patient.clinic_id,
        kind=kind,
        dedupe_key=key or sig.key(kind, patient.uuid, "test"),
        since=since or timezone.now() - timedelta(days=3),
        reason_code=extra.pop("reason_code", "test"),
        params=extra.pop("params", {}),
        enrollment_id=enrollment.pk if enrollment is not None else None,
        **extra,
    )
    assert found is not None
    return found


def caseload(clinic: Any, therapist: Any, total: int, *, prefix: str = "Case") -> list[Patient]:
    """Grow ``therapist``'s caseload to ``total`` patients, each with two open signals
    of kinds the periodic job leaves alone (no source state to reconcile them with)."""
    have = list(
        Patient.objects.filter(care_team__therapist=therapist, care_team__ended_at__isnull=True)
    )
    made = []
    for n in range(len(have), total):
        patient = make_patient(clinic, therapist, name=f"{prefix} {n:04d}")
        signal(patient, K.MISSED_QUESTIONNAIRE)
        signal(patient, K.ALLIANCE_DIP)
        made.append(patient)
    return made


# --- access matrix -----------------------------------------------------------------------------


def matrix_signal(p: Any, kind: str = K.SILENCE) -> dict[str, Any]:
    return {"signal": signal(p.patient, kind).uuid}


def matrix_step(p: Any) -> dict[str, Any]:
    found = signal(p.patient, K.SILENCE)
    step = OutreachStep.objects.create(
        patient=p.patient,
        clinic=p.clinic,
        signal=found,
        signal_kind=found.kind,
        step="warm_message",
        done_by=p.therapist,
    )
    return {"step": step.uuid}


def matrix_entry(p: Any) -> dict[str, Any]:
    entry = TimeEntry.objects.create(
        therapist=p.therapist,
        patient=p.patient,
        clinic=p.clinic,
        started_at=timezone.now() - timedelta(hours=1),
        minutes=5,
        seconds=300,
        source="manual",
    )
    return {"entry": entry.uuid}


def yesterday() -> str:
    return (timezone.localdate() - timedelta(days=1)).isoformat()


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()
