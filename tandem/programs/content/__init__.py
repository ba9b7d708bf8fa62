"""Program content packages: format, validation, parsing and Markdown rendering.

Pure Python (no Django ORM). See docs/content.md for the format.

    report = validate_package("content/programs/depression")
    package = parse_package("content/programs/depression")   # raises PackageError
    html = render_markdown(page.body.text("fi"), "/media/programs/depression/1.0.0/")
"""

from .loader import (
    content_hash,
    find_packages,
    load_package,
    parse_package,
    validate_package,
)
from .markup import render_markdown
from .model import (
    ActivityPlanConfig,
    CardSortConfig,
    ChecklistConfig,
    Choice,
    Condition,
    DiaryConfig,
    Exercise,
    ExposureLadderConfig,
    FeedbackTemplate,
    FieldSpec,
    GoalsConfig,
    InstrumentSchedule,
    Issue,
    Item,
    Localized,
    Module,
    Pacing,
    Package,
    PackageError,
    Page,
    Pile,
    Program,
    Prompt,
    ReflectionConfig,
    Report,
    SleepDiaryConfig,
    Source,
    ThoughtRecordConfig,
)
from .schema import EXERCISE_TYPES, FIELD_KINDS, PACING_POLICIES, SCHEDULE_WHEN
from .serialize import from_data, to_data

__all__ = [
    "EXERCISE_TYPES",
    "FIELD_KINDS",
    "PACING_POLICIES",
    "SCHEDULE_WHEN",
    "ActivityPlanConfig",
    "CardSortConfig",
    "ChecklistConfig",
    "Choice",
    "Condition",
    "DiaryConfig",
    "Exercise",
    "ExposureLadderConfig",
    "FeedbackTemplate",
    "FieldSpec",
    "GoalsConfig",
    "InstrumentSchedule",
    "Issue",
    "Item",
    "Localized",
    "Module",
    "Pacing",
    "Package",
    "PackageError",
    "Page",
    "Pile",
    "Program",
    "Prompt",
    "ReflectionConfig",
    "Report",
    "SleepDiaryConfig",
    "Source",
    "ThoughtRecordConfig",
    "content_hash",
    "find_packages",
    "from_data",
    "load_package",
    "parse_package",
    "render_markdown",
    "to_data",
    "validate_package",
]
