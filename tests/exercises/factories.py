"""Test helpers for exercises: the fixture package (one exercise of every type) and an
enrollment of a persona in it. Importable by tests/access_matrix.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.urls import reverse

from tandem.programs import catalog
from tandem.programs.models import Enrollment, ProgramVersion

FIXTURE = Path(__file__).parent / "fixtures" / "worksheets"
MODULE = "practice"
LATER = "later"


def version() -> ProgramVersion:
    found = ProgramVersion.objects.filter(program__code="worksheets", is_current=True).first()
    if found is not None:
        return found
    result = catalog.load(FIXTURE)
    assert result.report.ok, result.report.format()
    return ProgramVersion.objects.get(program__code="worksheets", is_current=True)


def enroll(
    patient: Any, *, by: Any = None, policy: str = "sequential", **fields: Any
) -> Enrollment:
    existing = Enrollment.objects.filter(
        patient=patient, version__program__code="worksheets"
    ).first()
    if existing is not None:
        return existing
    by = by or patient.care_team.select_related("therapist").first().therapist
    return Enrollment.objects.create(
        patient=patient,
        version=version(),
        guidance_mode="guided",
        pacing_policy=policy,
        enrolled_by=by,
        **fields,
    )


def exercise_kwargs(enrollment: Enrollment, exercise: str, module: str = MODULE) -> dict[str, Any]:
    return {"enrollment": enrollment.uuid, "module": module, "exercise": exercise}


def url(name: str, enrollment: Enrollment, exercise: str, module: str = MODULE) -> str:
    return reverse(name, kwargs=exercise_kwargs(enrollment, exercise, module))


def ref(enrollment: Enrollment, exercise: str, module: str = MODULE):  # type: ignore[no-untyped-def]
    from tandem.exercises.content import resolve

    found = resolve(enrollment, module, exercise)
    assert found is not None
    return found


def submitted(
    enrollment: Enrollment,
    exercise: str,
    answers: dict[str, Any],
    module: str = MODULE,
    **kwargs: Any,
):  # type: ignore[no-untyped-def]
    """A submission through the service (answers already normalised)."""
    import uuid

    from tandem.exercises import services

    return services.submit(
        actor=enrollment.patient.user,
        enrollment=enrollment,
        ref=ref(enrollment, exercise, module),
        answers=answers,
        token=uuid.uuid4(),
        **kwargs,
    ).entry


# --- access matrix (tests/access_matrix.py) ---------------------------------------------------
REFLECTION_ANSWERS = {"responses": {"matters": "My family", "notice": ""}}


def matrix_exercise(p: Any, exercise: str = "reflection") -> dict[str, Any]:
    return exercise_kwargs(enroll(p.patient, by=p.therapist), exercise)


def matrix_entry(p: Any) -> dict[str, Any]:
    from tandem.exercises.models import ExerciseEntry

    enrollment = enroll(p.patient, by=p.therapist)
    entry = ExerciseEntry.objects.filter(enrollment=enrollment, status="submitted").first()
    if entry is None:
        entry = submitted(enrollment, "reflection", REFLECTION_ANSWERS)
    return {"entry": entry.uuid}


def matrix_moment(p: Any) -> dict[str, Any]:
    from tandem.exercises import services
    from tandem.exercises.models import HardMoment

    enrollment = enroll(p.patient, by=p.therapist)
    moment = HardMoment.objects.filter(enrollment=enrollment).first()
    if moment is None:
        moment = services.report_hard(
            actor=p.patient.user,
            enrollment=enrollment,
            ref=ref(enrollment, "reflection"),
            distress=6,
            note="stuck",
        )
    return {"moment": moment.uuid}
