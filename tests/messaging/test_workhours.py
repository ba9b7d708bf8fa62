"""Working hours: weekends, Finnish public holidays, the working day, DST — and the
reply time a real reply records (time frozen with time_machine)."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tandem.core.workhours import (
    WorkCalendar,
    add_working_hours,
    median,
    working_days_for,
    working_hours_between,
)
from tandem.messaging import services
from tandem.messaging.models import ClinicMessagingPolicy

HEL = ZoneInfo("Europe/Helsinki")
CAL = WorkCalendar(tz=HEL)


def at(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=HEL)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2026, 3, 3, 9), at(2026, 3, 3, 11, 30), 2.5),  # Tuesday morning
        (at(2026, 3, 3, 6), at(2026, 3, 3, 20), 8.0),  # before and after hours clipped
        (at(2026, 3, 3, 15), at(2026, 3, 4, 9), 2.0),  # overnight
        (at(2026, 3, 6, 15), at(2026, 3, 9, 9), 2.0),  # Friday → Monday: weekend excluded
        (at(2026, 3, 7, 10), at(2026, 3, 8, 18), 0.0),  # all weekend
        (at(2026, 3, 2, 8), at(2026, 3, 9, 8), 40.0),  # a whole week
        # Independence Day, Sunday 6 Dec 2026 — and a weekday one in 2024 (Friday)
        (at(2024, 12, 5, 15), at(2024, 12, 9, 9), 2.0),
        # Christmas: 24–26 Dec 2025 are Wed–Fri holidays, then a weekend
        (at(2025, 12, 23, 15), at(2025, 12, 29, 9), 2.0),
        # Good Friday and Easter Monday 2026 (3 and 6 April)
        (at(2026, 4, 2, 12), at(2026, 4, 7, 12), 8.0),
    ],
)
def test_working_hours_between(start, end, hours):
    assert working_hours_between(start, end, CAL) == pytest.approx(hours)


def test_midsummer_eve_handling_is_the_library_s():
    # Whatever the holidays package says about Midsummer Eve decides; check both ways.
    eve = at(2026, 6, 19).date()
    expected = 0.0 if CAL.is_holiday(eve) else 8.0
    assert working_hours_between(at(2026, 6, 19, 0), at(2026, 6, 20, 0), CAL) == expected


def test_end_before_start_is_zero_and_naive_is_refused():
    assert working_hours_between(at(2026, 3, 4, 12), at(2026, 3, 4, 10), CAL) == 0.0
    with pytest.raises(ValueError):
        working_hours_between(datetime(2026, 3, 4, 10), at(2026, 3, 4, 12), CAL)


def test_dst_change_counts_real_time():
    # Clocks go forward on Sunday 29 March 2026: the working day is unaffected.
    assert working_hours_between(at(2026, 3, 27, 8), at(2026, 3, 30, 16), CAL) == 16.0


def test_other_calendars():
    cal = WorkCalendar(
        tz=HEL,
        day_start=time(9),
        day_end=time(17),
        workdays=frozenset({0, 1, 2, 3, 4, 5}),
        holiday_country=None,
    )
    assert cal.hours_per_day == 8
    assert working_hours_between(at(2026, 3, 7, 8), at(2026, 3, 7, 18), cal) == 8.0  # Saturday
    assert working_hours_between(at(2024, 12, 6, 8), at(2024, 12, 6, 18), cal) == 8.0
    with pytest.raises(ValueError):
        WorkCalendar(tz=HEL, day_start=time(16), day_end=time(8))


def test_add_working_hours_skips_weekends_and_holidays():
    assert add_working_hours(at(2026, 3, 6, 15), 2, CAL) == at(2026, 3, 9, 9)
    assert add_working_hours(at(2024, 12, 5, 15), 2, CAL) == at(2024, 12, 9, 9)
    assert add_working_hours(at(2026, 3, 7, 12), 1, CAL) == at(2026, 3, 9, 9)


def test_days_and_median():
    assert working_days_for(1, CAL) == 1
    assert working_days_for(8, CAL) == 1
    assert working_days_for(9, CAL) == 2
    assert working_days_for(16, CAL) == 2
    assert median([]) is None
    assert median([3, 1, 2]) == 2
    assert median([1, 2, 3, 4]) == 2.5


@pytest.mark.django_db
def test_a_reply_records_working_hours_across_a_weekend_and_holiday(
    backdated_team, personas, enrollment
):
    ClinicMessagingPolicy.objects.create(clinic=personas.clinic)
    # Thursday 5 Dec 2024, 15:00; Friday 6 Dec is Independence Day; reply Monday 10:30.
    with time_machine.travel(at(2024, 12, 5, 15), tick=False):
        services.send_message(
            actor=personas.patient.user,
            enrollment=enrollment,
            body="Hello, a question",
            client_token=uuid.uuid4(),
        )
    with time_machine.travel(at(2024, 12, 9, 10, 30), tick=False):
        reply = services.send_message(
            actor=personas.therapist,
            enrollment=enrollment,
            body="Hi, here is my answer",
            client_token=uuid.uuid4(),
        )
    assert reply.message.reply_working_hours == pytest.approx(3.5)
    assert reply.message.answers_since == at(2024, 12, 5, 15)
    conversation = reply.message.conversation
    conversation.refresh_from_db()
    assert conversation.awaiting_reply_since is None


@pytest.mark.django_db
def test_only_the_first_reply_is_measured(backdated_team, personas, enrollment):
    with time_machine.travel(at(2026, 3, 3, 9), tick=False):
        services.send_message(
            actor=personas.patient.user,
            enrollment=enrollment,
            body="one",
            client_token=uuid.uuid4(),
        )
    with time_machine.travel(at(2026, 3, 3, 10), tick=False):
        services.send_message(
            actor=personas.patient.user,
            enrollment=enrollment,
            body="two",
            client_token=uuid.uuid4(),
        )
    with time_machine.travel(at(2026, 3, 3, 12), tick=False):
        first = services.send_message(
            actor=personas.therapist,
            enrollment=enrollment,
            body="answer",
            client_token=uuid.uuid4(),
        )
    with time_machine.travel(at(2026, 3, 3, 13), tick=False):
        second = services.send_message(
            actor=personas.cover, enrollment=enrollment, body="and more", client_token=uuid.uuid4()
        )
    assert first.message.reply_working_hours == pytest.approx(3.0)  # from the oldest waiting
    assert second.message.reply_working_hours is None
