"""The shape of every periodic notification command: claim the period, run, record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tandem.notifications import periodic


def parse_now(value: str | None) -> datetime:
    if not value:
        return timezone.now()
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"--now must be an ISO date and time, got {value!r}")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class PeriodicCommand(BaseCommand):
    """Subclasses set ``job_name`` and ``period`` ("5min" or "day") and implement
    ``run(now) -> str`` (a one-line summary)."""

    job_name = ""
    period = "5min"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--now", help="pretend the time is this ISO datetime (testing, catch-up runs)"
        )

    def period_key(self, now: datetime) -> str:
        return periodic.day_key(now) if self.period == "day" else periodic.slot_key(now)

    def handle(self, *args: Any, now: str | None = None, **options: Any) -> None:
        at = parse_now(now)
        key = self.period_key(at)
        run = periodic.claim_period(self.job_name, key, now=at)
        if run is None:
            self.stdout.write(f"{self.job_name} {key}: already run for this period; nothing to do")
            return
        summary = self.run(at)
        periodic.finish(run, summary)
        self.stdout.write(f"{self.job_name} {key}: {summary}")

    run: Callable[[datetime], str]


def summarise(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due"
