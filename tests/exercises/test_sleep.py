"""Sleep diary arithmetic: time in bed, total sleep time, sleep efficiency; across
midnight; impossible nights."""

from __future__ import annotations

from datetime import time

import pytest

from tandem.exercises import sleep


def t(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@pytest.mark.parametrize(
    ("night", "expected"),
    [
        # across midnight: 23:00 → 07:00 in bed, asleep 23:30 → 06:30, 30 + 30 min awake
        (
            dict(
                bedtime="23:00",
                lights_out="23:30",
                final_wake="06:30",
                out_of_bed="07:00",
                latency=30,
                awake=30,
            ),
            (480, 360, 75.0),
        ),
        # after midnight entirely
        (dict(bedtime="01:00", final_wake="09:00", latency=0, awake=0), (480, 480, 100.0)),
        # no lights-out / out-of-bed: bedtime and final wake stand in
        (dict(bedtime="22:15", final_wake="06:15", latency=45, awake=15), (480, 420, 87.5)),
        # a daytime sleeper (night shift)
        (
            dict(bedtime="08:00", final_wake="15:00", out_of_bed="15:30", latency=10, awake=20),
            (450, 390, 86.7),
        ),
        # one minute in bed, asleep the whole minute
        (dict(bedtime="23:59", final_wake="00:00"), (1, 1, 100.0)),
    ],
)
def test_metrics(night, expected):
    args = {k: t(v) if isinstance(v, str) else v for k, v in night.items()}
    metrics = sleep.compute(**args)
    assert (metrics.time_in_bed, metrics.total_sleep, metrics.efficiency) == expected


@pytest.mark.parametrize(
    ("night", "field"),
    [
        (dict(bedtime="23:00", final_wake="22:30"), "final_wake"),  # 23.5 h: woke "before"
        (dict(bedtime="23:00", final_wake="23:00"), "final_wake"),  # no night at all
        (dict(bedtime="23:00", lights_out="07:30", final_wake="07:00"), "lights_out"),
        (dict(bedtime="23:00", final_wake="07:00", out_of_bed="06:50"), "out_of_bed"),
        (dict(bedtime="23:00", final_wake="07:00", latency=500), "sleep_latency_minutes"),
        (dict(bedtime="23:00", final_wake="07:00", latency=200, awake=300), "awake_minutes"),
        (dict(bedtime="23:00", final_wake="07:00", latency=-5), "sleep_latency_minutes"),
        (dict(bedtime="08:00", final_wake="07:00"), "final_wake"),  # 23 h
    ],
)
def test_impossible_nights(night, field):
    args = {k: t(v) if isinstance(v, str) else v for k, v in night.items()}
    with pytest.raises(sleep.SleepError) as info:
        sleep.compute(**args)
    assert info.value.field == field


def test_hours_format():
    assert sleep.hours(450) == "7:30"
    assert sleep.hours(None) == "–"
    assert sleep.hours(5) == "0:05"
