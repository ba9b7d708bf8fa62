"""Working-time arithmetic of a clinic (pure: no ORM) — the one implementation used by
reply times (messaging), escalation deadlines (safety), "this is hard" answer dates
(exercises) and workspace signals (care).

Only the part of elapsed time that falls inside the clinic's working day (8–16 by
default) on a working day (Monday–Friday by default, public holidays of the clinic's
country excluded, via the ``holidays`` package) counts. A message sent on Friday at
15:00 and answered on Monday at 9:00 waited two working hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DEFAULT_WORKDAYS = frozenset({0, 1, 2, 3, 4})


@lru_cache(maxsize=16)
def _country_holidays(country: str) -> holidays.HolidayBase | frozenset[date]:
    # Years are expanded lazily on first lookup; an unknown country code has weekends only.
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return frozenset()


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Helsinki"))
    day_start: time = time(8)
    day_end: time = time(16)
    workdays: frozenset[int] = DEFAULT_WORKDAYS
    holiday_country: str | None = "FI"
    extra_holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise ValueError("the working day must end after it starts")

    @property
    def hours_per_day(self) -> float:
        start = datetime.combine(date(2000, 1, 3), self.day_start)
        end = datetime.combine(date(2000, 1, 3), self.day_end)
        return (end - start).total_seconds() / 3600

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        return bool(self.holiday_country) and day in _country_holidays(self.holiday_country)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and not self.is_holiday(day)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return add_working_hours(start, hours, self)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        return working_hours_between(start, end, self)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The working window of ``day`` as aware datetimes in the clinic's zone."""
        return (
            datetime.combine(day, self.day_start, tzinfo=self.tz),
            datetime.combine(day, self.day_end, tzinfo=self.tz),
        )


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def working_hours_between(start: datetime, end: datetime, calendar: WorkCalendar) -> float:
    """Working hours between two aware datetimes (0 when ``end`` is not after ``start``)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("working_hours_between needs aware datetimes")
    if end <= start:
        return 0.0
    first = start.astimezone(calendar.tz).date()
    last = end.astimezone(calendar.tz).date()
    seconds = 0.0
    for day in _days(first, last):
        if not calendar.is_working_day(day):
            continue
        open_at, close_at = calendar.window(day)
        lo = max(start, open_at)
        hi = min(end, close_at)
        if hi > lo:
            seconds += (hi - lo).total_seconds()
    return seconds / 3600


def add_working_hours(start: datetime, hours: float, calendar: WorkCalendar) -> datetime:
    """The moment ``hours`` working hours after ``start`` (e.g. a reply's due time)."""
    if start.tzinfo is None:
        raise ValueError("add_working_hours needs an aware datetime")
    remaining = timedelta(hours=hours)
    if remaining <= timedelta(0):
        return start.astimezone(calendar.tz)
    day = start.astimezone(calendar.tz).date()
    for _ in range(3660):  # ten years of days: a safe upper bound
        if calendar.is_working_day(day):
            open_at, close_at = calendar.window(day)
            lo = max(start, open_at)
            if close_at > lo:
                available = close_at - lo
                if remaining <= available:
                    return lo + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("no working time within ten years")


def add_working_days(day: date, days: int, calendar: WorkCalendar) -> date:
    """The date ``days`` working days after ``day`` (weekends and holidays skipped)."""
    for _ in range(days):
        day += timedelta(days=1)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
    return day


def working_days_for(hours: float, calendar: WorkCalendar) -> int:
    """Hours expressed as whole working days for a patient-facing promise (at least 1)."""
    per_day = calendar.hours_per_day or 8.0
    days = int(-(-hours // per_day))  # ceiling
    return max(days, 1)


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
