"""Finding an exercise in an enrollment's (tailored) program, and whether it is open.

Modules are addressed by their *slot key* (``tandem.programs.services``): the module id
for the version's own modules, ``<program code>.<module id>`` for a module added from
another program. Entries store the version and the module id inside it, so a content
change never orphans them; ``slot_key`` turns an entry back into the key of its URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied

from tandem.programs import services as program_services
from tandem.programs.content import Exercise, Module
from tandem.programs.models import Enrollment, EnrollmentStatus, ProgramVersion

WRITABLE_STATUSES = frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED})


@dataclass(frozen=True)
class ExerciseRef:
    """An exercise as the content of one program version defines it."""

    slot: str  # the module's key in the enrollment (and in URLs)
    version: ProgramVersion
    module: Module
    exercise: Exercise

    @property
    def module_key(self) -> str:
        """The module's id inside ``version`` (what entries store)."""
        return self.module.id

    @property
    def exercise_key(self) -> str:
        return self.exercise.id


def resolve(
    enrollment: Enrollment,
    module_key: str,
    exercise_key: str,
    *,
    now: datetime | None = None,
    require_open: bool = True,
) -> ExerciseRef | None:
    """The exercise if it is part of the patient's program and (``require_open``) its
    module is open — or done, and so revisitable — under the enrollment's pacing."""
    try:
        view = program_services.module_view(
            enrollment=enrollment, module_key=module_key, now=now, require_open=require_open
        )
    except PermissionDenied:
        return None
    exercise = view.module.exercise(exercise_key)
    if exercise is None:
        return None
    return ExerciseRef(view.key, view.slot.version, view.module, exercise)


def slot_key(entry: Any) -> str:
    """The module key of an entry's URL (see the module docstring)."""
    if entry.version_id == entry.enrollment.version_id:
        return entry.module_key
    return f"{entry.version.program.code}.{entry.module_key}"


def ref_for_entry(entry: Any) -> ExerciseRef | None:
    """The content behind an existing entry, from the version it was written against."""
    module = entry.version.package.program.module(entry.module_key)
    exercise = module.exercise(entry.exercise_key) if module is not None else None
    if module is None or exercise is None:
        return None
    return ExerciseRef(slot_key(entry), entry.version, module, exercise)


def is_writable(enrollment: Enrollment) -> bool:
    return enrollment.status in WRITABLE_STATUSES
