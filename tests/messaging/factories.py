"""Helpers for messaging and wellbeing tests: a small program version and enrollments."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any

from tandem.core import events
from tandem.programs.models import Enrollment, ProgramVersion

_seq = itertools.count(1)

DEPRESSION = Path(__file__).resolve().parents[2] / "content" / "programs" / "depression"


def version() -> ProgramVersion:
    """The shipped depression program (module "thoughts", exercise "thought-record"),
    loaded once per test database."""
    from tandem.programs import catalog

    found = ProgramVersion.objects.filter(program__code="depression").first()
    if found is not None:
        return found
    catalog.load(DEPRESSION)
    return ProgramVersion.objects.get(program__code="depression", is_current=True)


def enroll(patient: Any, *, by: Any, **fields: Any) -> Enrollment:
    return Enrollment.objects.create(
        patient=patient,
        version=version(),
        guidance_mode="guided",
        pacing_policy="all_open",
        enrolled_by=by,
        **fields,
    )


def exercise_submitted(
    enrollment: Enrollment,
    *,
    answers: dict[str, Any] | None = None,
    exercise: str = "thought-record",
):  # type: ignore[no-untyped-def]
    """A submitted exercise entry (through the model) and its event; returns the event."""
    from django.apps import apps
    from django.utils import timezone

    entry_model = apps.get_model("exercises", "ExerciseEntry")
    entry = entry_model.objects.create(
        enrollment=enrollment,
        version=enrollment.version,
        module_key="thoughts",
        exercise_key=exercise,
        exercise_type="thought_record",
        status="submitted",
        answers=answers or {},
        submission_token=uuid.uuid4(),
        submitted_at=timezone.now(),
    )
    return events.record(
        patient=enrollment.patient,
        kind="exercise.submitted",
        actor=enrollment.patient.user,
        ref=entry,
        data={
            "module": "thoughts",
            "exercise": exercise,
            "type": "thought_record",
            "entry": str(entry.uuid),
        },
    )
