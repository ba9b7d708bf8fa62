"""Sleep diary arithmetic — pure, no Django.

Clock times are entered without dates; a night runs from bedtime forward, across
midnight when needed. Every time is placed as "minutes after bedtime" (0–1439), so
23:30 → 07:00 is 450 minutes. The times must come in order (bed ≤ lights out ≤ final
wake ≤ out of bed) within one night of at most ``MAX_NIGHT_MINUTES``.

- time in bed (TIB) = out of bed − bedtime
- total sleep time (TST) = (final wake − lights out) − sleep latency − minutes awake
- sleep efficiency (SE) = TST / TIB × 100
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

MINUTES_PER_DAY = 24 * 60
MAX_NIGHT_MINUTES = 20 * 60


class SleepError(ValueError):
    """An impossible night; ``field`` names the entry to correct."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


@dataclass(frozen=True)
class SleepMetrics:
    time_in_bed: int  # minutes
    total_sleep: int  # minutes
    efficiency: float  # percent, one decimal

    def as_dict(self) -> dict[str, float | int]:
        return {
            "time_in_bed": self.time_in_bed,
            "total_sleep": self.total_sleep,
            "efficiency": self.efficiency,
        }


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def after(start: time, t: time) -> int:
    """Minutes from ``start`` forward to ``t`` (across midnight when needed)."""
    return (_minutes(t) - _minutes(start)) % MINUTES_PER_DAY


def compute(
    *,
    bedtime: time,
    final_wake: time,
    lights_out: time | None = None,
    out_of_bed: time | None = None,
    latency: int = 0,
    awake: int = 0,
) -> SleepMetrics:
    """The night's metrics; raises ``SleepError`` for an impossible night."""
    lo = after(bedtime, lights_out) if lights_out is not None else 0
    wake = after(bedtime, final_wake)
    oob = after(bedtime, out_of_bed) if out_of_bed is not None else wake
    if wake > MAX_NIGHT_MINUTES or wake == 0:
        raise SleepError("final_wake", "wake_before_sleep")
    if lights_out is not None and lo >= wake:
        raise SleepError("lights_out", "lights_out_after_wake")
    if out_of_bed is not None and (oob < wake or oob > MAX_NIGHT_MINUTES):
        raise SleepError("out_of_bed", "out_of_bed_before_wake")
    if latency < 0 or awake < 0:
        raise SleepError("sleep_latency_minutes", "negative")
    asleep_window = wake - lo
    if latency > asleep_window:
        raise SleepError("sleep_latency_minutes", "latency_too_long")
    if latency + awake > asleep_window:
        raise SleepError("awake_minutes", "awake_too_long")
    tib = oob
    tst = asleep_window - latency - awake
    efficiency = round(100 * tst / tib, 1) if tib else 0.0
    return SleepMetrics(time_in_bed=tib, total_sleep=tst, efficiency=efficiency)


def hours(minutes: float | int | None) -> str:
    """450 → "7:30"."""
    if minutes is None:
        return "–"
    minutes = round(minutes)
    return f"{minutes // 60}:{minutes % 60:02d}"
