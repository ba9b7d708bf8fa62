"""Frozen dataclasses describing a parsed program package.

Everything here is immutable and hashable-free of Django: the engine snapshots
a ``Package`` (``to_data``/``from_data`` in ``serialize``) per program version,
so patients stay on the exact content they enrolled in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Localized:
    """Text in several languages; ``text(lang)`` falls back to English."""

    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, mapping: dict[str, str]) -> Localized:
        return cls(tuple(mapping.items()))

    def get(self, lang: str) -> str | None:
        for code, value in self.values:
            if code == lang:
                return value
        return None

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        found = self.get(lang)
        if found is None:
            found = self.get(DEFAULT_LANGUAGE)
        if found is None and self.values:
            found = self.values[0][1]
        return found or ""

    def has(self, lang: str) -> bool:
        return self.get(lang) is not None

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.values)

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)

    def __str__(self) -> str:
        return self.text(DEFAULT_LANGUAGE)


# --- diary fields -----------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: str
    label: Localized


@dataclass(frozen=True)
class FieldSpec:
    """One field of a structured diary (``diary`` exercise)."""

    id: str
    kind: str  # time | number | scale | choice | text
    label: Localized
    required: bool = False
    help: Localized | None = None
    min: float | None = None  # number, scale
    max: float | None = None  # number, scale
    step: float | None = None  # number
    unit: Localized | None = None  # number
    min_label: Localized | None = None  # scale
    max_label: Localized | None = None  # scale
    choices: tuple[Choice, ...] = ()  # choice
    multiple: bool = False  # choice
    max_length: int | None = None  # text
    multiline: bool = False  # text
    include_date: bool = True  # time: date and time (True) or clock time only


# --- exercise configurations ------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    id: str
    text: Localized
    required: bool = False
    max_length: int | None = None


@dataclass(frozen=True)
class Item:
    """A checklist item, a card of a card sort, or a thinking pattern."""

    id: str
    text: Localized
    description: Localized | None = None


@dataclass(frozen=True)
class Pile:
    id: str
    label: Localized
    max_cards: int | None = None


@dataclass(frozen=True)
class ReflectionConfig:
    prompts: tuple[Prompt, ...]


@dataclass(frozen=True)
class ThoughtRecordConfig:
    steps: tuple[str, ...]
    emotion_suggestions: tuple[Localized, ...] = ()
    thinking_patterns: tuple[Item, ...] = ()
    intensity_max: int = 100


@dataclass(frozen=True)
class ActivityPlanConfig:
    ratings: tuple[str, ...] = ("mastery", "pleasure")
    rating_max: int = 10
    suggestions: tuple[Localized, ...] = ()


@dataclass(frozen=True)
class ExposureLadderConfig:
    max_steps: int = 10
    distress_max: int = 100
    examples: tuple[Localized, ...] = ()


@dataclass(frozen=True)
class SleepDiaryConfig:
    fields: tuple[str, ...]


@dataclass(frozen=True)
class GoalsConfig:
    max_goals: int = 3
    smart_prompts: bool = True
    examples: tuple[Localized, ...] = ()


@dataclass(frozen=True)
class ChecklistConfig:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class CardSortConfig:
    cards: tuple[Item, ...]
    piles: tuple[Pile, ...]
    allow_custom: bool = False


@dataclass(frozen=True)
class DiaryConfig:
    fields: tuple[FieldSpec, ...]
    chart: tuple[str, ...] = ()


ExerciseConfig = (
    ReflectionConfig
    | ThoughtRecordConfig
    | ActivityPlanConfig
    | ExposureLadderConfig
    | SleepDiaryConfig
    | GoalsConfig
    | ChecklistConfig
    | CardSortConfig
    | DiaryConfig
)

CONFIG_CLASSES: dict[str, type] = {
    "reflection": ReflectionConfig,
    "thought_record": ThoughtRecordConfig,
    "activity_plan": ActivityPlanConfig,
    "exposure_ladder": ExposureLadderConfig,
    "sleep_diary": SleepDiaryConfig,
    "goals": GoalsConfig,
    "checklist": ChecklistConfig,
    "card_sort": CardSortConfig,
    "diary": DiaryConfig,
}


# --- program structure --------------------------------------------------------


@dataclass(frozen=True)
class FeedbackTemplate:
    id: str
    label: Localized
    text: Localized


@dataclass(frozen=True)
class Exercise:
    id: str
    type: str
    title: Localized
    instructions: Localized
    config: ExerciseConfig
    optional: bool = False
    repeatable: bool = False
    after_page: str | None = None  # None: after the module's last page
    feedback: tuple[FeedbackTemplate, ...] = ()


@dataclass(frozen=True)
class Page:
    id: str
    title: Localized
    body: Localized  # Markdown source per language
    files: tuple[tuple[str, str], ...] = ()  # (language, package-relative path)


@dataclass(frozen=True)
class Module:
    id: str
    position: int  # 1-based order in the program
    directory: str  # package-relative, e.g. "modules/01-starting-out"
    title: Localized
    summary: Localized
    minutes: int
    optional: bool = False
    pages: tuple[Page, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    questionnaires: tuple[str, ...] = ()  # instrument codes given at the module's end
    therapist_notes: Localized | None = None

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)

    def flow(self) -> tuple[Page | Exercise, ...]:
        """Pages and exercises in the order a patient meets them."""
        placed: dict[str | None, list[Exercise]] = {}
        for exercise in self.exercises:
            placed.setdefault(exercise.after_page, []).append(exercise)
        out: list[Page | Exercise] = []
        for page in self.pages:
            out.append(page)
            out.extend(placed.get(page.id, ()))
        out.extend(placed.get(None, ()))
        return tuple(out)


@dataclass(frozen=True)
class Pacing:
    policy: str  # all_open | sequential | weekly | after_feedback | therapist
    interval_days: int | None = None  # weekly only


@dataclass(frozen=True)
class Source:
    citation: str
    url: str | None = None


@dataclass(frozen=True)
class InstrumentSchedule:
    instrument: str
    when: str  # baseline | each_module | weekly | before_session | end | followup
    offset_days: int | None = None


@dataclass(frozen=True)
class Condition:
    label: Localized
    icd10: tuple[str, ...] = ()


@dataclass(frozen=True)
class Program:
    code: str
    version: str
    languages: tuple[str, ...]
    title: Localized
    summary: Localized
    condition: Condition
    pacing: Pacing
    sources: tuple[Source, ...]
    instruments: tuple[InstrumentSchedule, ...]
    modules: tuple[Module, ...]
    authors: tuple[str, ...] = ()
    license: str | None = None
    format: int = 1

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)

    def exercise(self, exercise_id: str) -> Exercise | None:
        for module in self.modules:
            found = module.exercise(exercise_id)
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class Package:
    """A validated package: the program, its content hash and media inventory."""

    program: Program
    content_hash: str  # "sha256:<hex>" over every file of the package
    media: tuple[str, ...] = ()  # package-relative paths under media/
    warnings: tuple[Issue, ...] = ()

    @property
    def code(self) -> str:
        return self.program.code

    @property
    def version(self) -> str:
        return self.program.version


# --- validation report --------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    file: str  # package-relative path, "" for the package itself
    line: int | None  # 1-based, None when no line applies
    message: str
    code: str = "invalid"  # machine-readable kind, e.g. "unknown-exercise-type"

    def __str__(self) -> str:
        where = self.file or "."
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message} [{self.code}]"


@dataclass
class Report:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, file: str, line: int | None, message: str, code: str = "invalid") -> None:
        self.errors.append(Issue(file, line, message, code))

    def warn(self, file: str, line: int | None, message: str, code: str = "invalid") -> None:
        self.warnings.append(Issue(file, line, message, code))

    def format(self) -> str:
        lines = [f"error: {issue}" for issue in self.errors]
        lines += [f"warning: {issue}" for issue in self.warnings]
        return "\n".join(lines)


class PackageError(Exception):
    """Raised by ``parse_package`` when the package has errors."""

    def __init__(self, report: Report) -> None:
        self.report = report
        count = len(report.errors)
        first = report.errors[0] if report.errors else None
        super().__init__(f"{count} error(s) in program package; first: {first}")
