"""When a reminder may go out (pure: no ORM).

Quiet hours are a local-time window chosen by the patient (default 21:00–08:00, which
wraps past midnight). Reminders are grouped: at most one per local day (``daily``) or per
seven days (``weekly``); ``off`` sends none. Appointment reminders are not grouped but
respect quiet hours too.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings


def zone(name: str | None) -> tzinfo:
    """The user's time zone, or the site's when the name is missing or unknown."""
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def in_quiet_hours(local: time, start: time | None, end: time | None) -> bool:
    """True when ``local`` falls in [start, end); a window may wrap past midnight.
    No window (or start == end) means never quiet."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(local_now: datetime, start: time | None, end: time | None) -> datetime:
    """The first moment at or after ``local_now`` (an aware local datetime) outside the
    quiet hours."""
    if end is None or not in_quiet_hours(local_now.timetz().replace(tzinfo=None), start, end):
        return local_now
    candidate = datetime.combine(local_now.date(), end, tzinfo=local_now.tzinfo)
    if candidate <= local_now:
        candidate += timedelta(days=1)
    return candidate


def grouped_reminder_allowed(today: date, last_sent_on: date | None, frequency: str) -> bool:
    """May a grouped reminder go out on local day ``today``?"""
    if frequency == "off":
        return False
    if last_sent_on is None:
        return True
    if frequency == "weekly":
        return today >= last_sent_on + timedelta(days=7)
    return today > last_sent_on


def backoff(attempt: int) -> timedelta:
    """Delay after failed attempt number ``attempt`` (1-based): 1, 5, 25, 125 minutes."""
    return timedelta(minutes=5 ** max(attempt - 1, 0))


def local_day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)
