"""The patient's load between sessions (pure, no ORM).

The limit is per week: minutes of content and number of tasks. A new task is checked over
the window from now to its due date (at least one week): the open homework due in that
window (overdue included) plus the new task, against the weekly limit times the number of
weeks in the window. So a fortnight between sessions allows two weeks' load, and work
left over from earlier weeks still counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

WEEK = timedelta(days=7)

# Estimated minutes when the content says nothing (modules carry their own minutes).
EXERCISE_MINUTES = 20
QUESTIONNAIRE_MINUTES = 5
CUSTOM_MINUTES = 15


@dataclass(frozen=True)
class LoadCheck:
    weeks: int
    window_end: datetime
    minutes: int  # in the window, the new task included
    tasks: int
    minutes_limit: int  # for the whole window
    tasks_limit: int
    minutes_per_week_limit: int
    tasks_per_week_limit: int

    @property
    def over_minutes(self) -> bool:
        return self.minutes > self.minutes_limit

    @property
    def over_tasks(self) -> bool:
        return self.tasks > self.tasks_limit

    @property
    def exceeded(self) -> bool:
        return self.over_minutes or self.over_tasks

    @property
    def minutes_percent(self) -> int:
        return (
            min(100, round(100 * self.minutes / self.minutes_limit)) if self.minutes_limit else 100
        )

    @property
    def tasks_percent(self) -> int:
        return min(100, round(100 * self.tasks / self.tasks_limit)) if self.tasks_limit else 100


def window(now: datetime, due_at: datetime | None) -> tuple[datetime, int]:
    end = max(now + WEEK, due_at or now)
    weeks = max(1, math.ceil((end - now) / WEEK))
    return end, weeks


def check(
    open_items: Iterable[tuple[int, datetime]],
    *,
    now: datetime,
    due_at: datetime | None,
    minutes: int = 0,
    tasks: int = 0,
    minutes_per_week: int,
    tasks_per_week: int,
) -> LoadCheck:
    """The load in the window if a task of ``minutes`` (``tasks`` = 1) due at ``due_at``
    were added to ``open_items`` — (minutes, due date) of open homework."""
    end, weeks = window(now, due_at)
    in_window = [m for m, due in open_items if due <= end]
    return LoadCheck(
        weeks=weeks,
        window_end=end,
        minutes=sum(in_window) + minutes,
        tasks=len(in_window) + tasks,
        minutes_limit=minutes_per_week * weeks,
        tasks_limit=tasks_per_week * weeks,
        minutes_per_week_limit=minutes_per_week,
        tasks_per_week_limit=tasks_per_week,
    )
