"""What homework is, in words and links: the enrollment's modules, task titles in the
viewer's language, the choices a therapist has, and the patient's task list. No writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tandem.blended import load
from tandem.blended.models import Homework, HomeworkKind
from tandem.blended.services.common import now_or
from tandem.programs import services as programs
from tandem.programs.content import Module
from tandem.programs.models import Enrollment

RECENT = timedelta(days=14)  # done tasks stay visible this long


# --- describing --------------------------------------------------------------------------------


def modules_of(enrollment: Enrollment) -> dict[str, Module]:
    """The enrollment's modules by slot key (hidden ones included)."""
    return {s.key: s.module for s in programs.slots(enrollment, include_hidden=True)}


def instrument_name(code: str) -> str:
    from tandem.assessments import definitions

    try:
        return definitions.get(code).short_name
    except definitions.UnknownInstrument:  # removed since: show its code
        return code.upper()


def title(homework: Homework, *, lang: str, modules: Mapping[str, Module]) -> str:
    """What the task is, in the viewer's language (decrypts a custom task in memory)."""
    module = modules.get(homework.module_key)
    if homework.kind == HomeworkKind.MODULE:
        return module.title.text(lang) if module else homework.module_key
    if homework.kind == HomeworkKind.EXERCISE:
        exercise = module.exercise(homework.exercise_key) if module else None
        return exercise.title.text(lang) if exercise else homework.exercise_key
    if homework.kind == HomeworkKind.QUESTIONNAIRE:
        return instrument_name(homework.instrument)
    return homework.text


@dataclass(frozen=True)
class Option:
    value: str  # "module:<key>", "exercise:<module>/<exercise>", "questionnaire:<code>"
    label: str
    minutes: int


def program_options(enrollment: Enrollment, lang: str) -> list[Option]:
    """What the therapist can give from the program (modules and their exercises)."""
    out = []
    for view in programs.module_states(enrollment=enrollment):
        module = view.module
        prefix = _("Module %(n)d") % {"n": view.number}
        out.append(
            Option(f"module:{view.key}", f"{prefix}: {module.title.text(lang)}", module.minutes)
        )
        for exercise in module.exercises:
            out.append(
                Option(
                    f"exercise:{view.key}/{exercise.id}",
                    f"{prefix} · {exercise.title.text(lang)}",
                    load.EXERCISE_MINUTES,
                )
            )
    return out


def questionnaire_options() -> list[Option]:
    from tandem.assessments.forms import instrument_choices

    return [
        Option(f"questionnaire:{code}", label, load.QUESTIONNAIRE_MINUTES)
        for code, label in instrument_choices()
    ]


@dataclass(frozen=True)
class Parsed:
    kind: str
    module_key: str = ""
    exercise_key: str = ""
    instrument: str = ""
    minutes: int = load.CUSTOM_MINUTES


def parse_choice(enrollment: Enrollment, value: str) -> Parsed:
    """A posted choice back into a task of this enrollment's program (anything else —
    another patient's module, a made-up id — is a validation error)."""
    kind, _sep, rest = (value or "").partition(":")
    modules = modules_of(enrollment)
    if kind == HomeworkKind.MODULE and rest in modules:
        return Parsed(kind, module_key=rest, minutes=modules[rest].minutes)
    if kind == HomeworkKind.EXERCISE:
        module_key, _s, exercise_key = rest.rpartition("/")
        module = modules.get(module_key)
        if module is not None and module.exercise(exercise_key) is not None:
            return Parsed(
                kind,
                module_key=module_key,
                exercise_key=exercise_key,
                minutes=load.EXERCISE_MINUTES,
            )
    if kind == HomeworkKind.QUESTIONNAIRE:
        from tandem.assessments import definitions

        if rest in definitions.all_definitions():
            return Parsed(kind, instrument=rest, minutes=load.QUESTIONNAIRE_MINUTES)
    if kind == HomeworkKind.CUSTOM:
        return Parsed(kind)
    raise ValidationError({"task": _("Choose a task from this patient's program.")})


# --- the patient's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    homework: Homework
    title: str
    url: str | None
    overdue: bool


def patient_tasks(patient: Any, *, lang: str, now: datetime | None = None) -> list[Task]:
    """The patient's homework to do and done since the last session, with links into the
    program (a constant number of queries: homework, and the enrollments' content)."""
    from django.urls import reverse

    now = now_or(now)
    rows = list(
        Homework.objects.open()
        .filter(patient=patient)
        .select_related("enrollment__version", "assessment")
        .order_by("due_at", "id")[:30]
    ) + list(
        Homework.objects.current()
        .filter(patient=patient, completed_at__gte=now - RECENT)
        .select_related("enrollment__version", "assessment")
        .order_by("-completed_at")[:10]
    )
    modules: dict[int, dict[str, Module]] = {}
    out = []
    for homework in rows:
        enrollment = homework.enrollment
        if enrollment.pk not in modules:
            modules[enrollment.pk] = modules_of(enrollment)
        url = None
        if homework.kind == HomeworkKind.MODULE:
            url = reverse("module_start", args=[enrollment.uuid, homework.module_key])
        elif homework.kind == HomeworkKind.EXERCISE:
            url = reverse(
                "exercise_fill",
                kwargs={
                    "enrollment": enrollment.uuid,
                    "module": homework.module_key,
                    "exercise": homework.exercise_key,
                },
            )
        elif homework.kind == HomeworkKind.QUESTIONNAIRE and homework.assessment is not None:
            url = reverse("questionnaire_fill", args=[homework.assessment.uuid])
        out.append(
            Task(
                homework,
                title(homework, lang=lang, modules=modules[enrollment.pk]),
                url if not homework.is_done or homework.kind == HomeworkKind.MODULE else None,
                not homework.is_done and homework.due_at < now,
            )
        )
    return out
