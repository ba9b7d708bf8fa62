"""The pure rules: quiet hours, the next allowed time, grouping, backoff."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tandem.notifications.schedule import (
    backoff,
    grouped_reminder_allowed,
    in_quiet_hours,
    next_allowed,
    zone,
)

NIGHT = (time(21, 0), time(8, 0))
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(
    "local, quiet",
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_wrap_past_midnight(local, quiet):
    assert in_quiet_hours(local, *NIGHT) is quiet


def test_daytime_quiet_hours_and_none():
    assert in_quiet_hours(time(13, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(time(14, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(time(3, 0), None, None)
    assert not in_quiet_hours(time(3, 0), time(5, 0), time(5, 0))


def test_next_allowed_time():
    late = datetime(2026, 3, 2, 22, 30, tzinfo=STOCKHOLM)
    assert next_allowed(late, *NIGHT) == datetime(2026, 3, 3, 8, 0, tzinfo=STOCKHOLM)
    early = datetime(2026, 3, 3, 6, 0, tzinfo=STOCKHOLM)
    assert next_allowed(early, *NIGHT) == datetime(2026, 3, 3, 8, 0, tzinfo=STOCKHOLM)
    noon = datetime(2026, 3, 3, 12, 0, tzinfo=STOCKHOLM)
    assert next_allowed(noon, *NIGHT) == noon


def test_grouping():
    today = date(2026, 3, 10)
    assert grouped_reminder_allowed(today, None, "daily")
    assert not grouped_reminder_allowed(today, today, "daily")
    assert grouped_reminder_allowed(today, date(2026, 3, 9), "daily")
    assert not grouped_reminder_allowed(today, date(2026, 3, 4), "weekly")
    assert grouped_reminder_allowed(today, date(2026, 3, 3), "weekly")
    assert not grouped_reminder_allowed(today, None, "off")


def test_backoff():
    assert [backoff(n).total_seconds() / 60 for n in range(1, 5)] == [1, 5, 25, 125]


def test_unknown_time_zone_falls_back(settings):
    assert str(zone("Mars/Olympus")) == settings.TIME_ZONE
    assert str(zone("")) == settings.TIME_ZONE
