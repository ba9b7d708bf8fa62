"""Helpers for the engine tests: the fixture packages under fixtures/engine and a quick
way to enroll the persona patient (through the service, as their therapist)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tandem.programs import catalog, services
from tandem.programs.models import Enrollment, ProgramVersion
from tests.personas import Personas

ENGINE = Path(__file__).parent / "fixtures" / "engine"
STEPS = ENGINE / "steps"
EXTRAS = ENGINE / "extras"
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # a Monday, after the personas were made


def load(path: Path = STEPS) -> ProgramVersion:
    result = catalog.load(path)
    assert result.report.ok, result.report.format()
    return ProgramVersion.objects.select_related("program").get(
        program__code=result.code, is_current=True
    )


def copy_package(tmp_path: Path, source: Path = STEPS) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


def enroll(personas: Personas, version: ProgramVersion | None = None, **options: Any) -> Enrollment:
    arguments: dict[str, Any] = {
        "guidance_mode": "guided",
        "pacing_policy": "weekly",
        "interval_days": 7,
        "started_at": T0,
    }
    arguments.update(options)
    patient = arguments.pop("patient", personas.patient)
    therapist = arguments.pop("actor", personas.therapist)
    return services.enroll(actor=therapist, patient=patient, version=version or load(), **arguments)


def fresh(enrollment: Enrollment) -> Enrollment:
    """The enrollment as a view would load it (no cached progress)."""
    return Enrollment.objects.select_related("version__program", "patient__user").get(
        pk=enrollment.pk
    )


def states(enrollment: Enrollment, now: datetime) -> dict[str, str]:
    return {
        v.key: v.state.state for v in services.module_states(enrollment=fresh(enrollment), now=now)
    }
