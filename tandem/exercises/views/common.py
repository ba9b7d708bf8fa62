"""Helpers shared by the exercise views."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest
from django.utils import translation

from tandem.audit import services as audit
from tandem.exercises.content import ExerciseRef, resolve
from tandem.exercises.models import EntryStatus, ExerciseEntry
from tandem.exercises.types import Worksheet
from tandem.programs.models import Enrollment
from tandem.programs.policies import enrollment_for

SERIES_LIMIT = 60  # entries of a diary shown in one summary
HARD_RECENT_DAYS = 30


def _lang() -> str:
    return translation.get_language() or "en"


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except (TypeError, ValueError, AttributeError):
        return None


def _exercise(
    request: HttpRequest,
    enrollment: object,
    module: str,
    exercise: str,
    *,
    action: str,
) -> tuple[Enrollment, ExerciseRef]:
    """The enrollment (scoped and audited) and the exercise, if its module is open."""
    enr = enrollment_for(request, enrollment, action=action)
    ref = resolve(enr, module, exercise)
    if ref is None:
        audit.record(
            actor=request.user,
            action="exercises.exercise.unavailable",
            request=request,
            patient=enr.patient,
            outcome="denied",
            detail={"module": str(module)[:80], "exercise": str(exercise)[:80]},
        )
        raise Http404
    return enr, ref


def _templates(cls: type[Worksheet]) -> tuple[str, str]:
    return f"{cls.template}#form", f"{cls.template}#answer"


def _series(enrollment: Enrollment, ref: ExerciseRef) -> list[ExerciseEntry]:
    return list(
        ExerciseEntry.objects.for_exercise(
            enrollment, ref.version, ref.module_key, ref.exercise_key
        )
        .filter(status=EntryStatus.SUBMITTED)
        .order_by("-submitted_at", "-id")[:SERIES_LIMIT]
    )[::-1]
