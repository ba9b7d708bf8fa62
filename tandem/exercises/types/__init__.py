"""Exercise types: one module per type, each with its worksheet (forms and validation),
its read-only view and its therapist summary. ``worksheet_class(type)`` finds one."""

from __future__ import annotations

from .activity_plan import ActivityPlanWorksheet
from .base import (
    MAX_FIELD_BYTES,
    PREFIX,
    Summary,
    TooLarge,
    Trend,
    Worksheet,
    raw_draft,
)
from .card_sort import CardSortWorksheet
from .checklist import ChecklistWorksheet
from .diary import DiaryWorksheet
from .exposure_ladder import ExposureLadderWorksheet
from .goals import GoalsWorksheet
from .reflection import ReflectionWorksheet
from .sleep_diary import SleepDiaryWorksheet
from .thought_record import ThoughtRecordWorksheet

WORKSHEETS: dict[str, type[Worksheet]] = {
    cls.type_name: cls
    for cls in (
        ReflectionWorksheet,
        ThoughtRecordWorksheet,
        ActivityPlanWorksheet,
        ExposureLadderWorksheet,
        SleepDiaryWorksheet,
        GoalsWorksheet,
        ChecklistWorksheet,
        CardSortWorksheet,
        DiaryWorksheet,
    )
}


def worksheet_class(type_name: str) -> type[Worksheet]:
    return WORKSHEETS[type_name]


__all__ = [
    "MAX_FIELD_BYTES",
    "PREFIX",
    "WORKSHEETS",
    "Summary",
    "TooLarge",
    "Trend",
    "Worksheet",
    "raw_draft",
    "worksheet_class",
]
