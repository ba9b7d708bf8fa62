"""Periodic jobs that run once per period however many hosts run the scheduler.

A job first inserts ``PeriodicRun(name, period_key)``; the unique constraint lets exactly
one insert succeed, and only that host runs the job for the period. Jobs process
everything that is *due* (not only what fell in their period), so a period that was
claimed by a host that then crashed is made up by the next period's run.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.notifications.models import PeriodicRun


def slot_key(now: datetime, minutes: int = 5) -> str:
    """The UTC period that ``now`` falls in, e.g. ``2026-03-02T08:05`` for 5 minutes."""
    utc = now.astimezone(UTC)
    minute = utc.minute - utc.minute % minutes
    return utc.replace(minute=minute, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


def day_key(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def claim_period(name: str, period_key: str, *, now: datetime | None = None) -> PeriodicRun | None:
    """Claim ``name`` for ``period_key``; None when another run already has it."""
    try:
        with transaction.atomic():
            return PeriodicRun.objects.create(
                name=name,
                period_key=period_key,
                started_at=now or timezone.now(),
                host=socket.gethostname()[:255],
            )
    except IntegrityError:
        return None


def finish(run: PeriodicRun, summary: str = "") -> None:
    PeriodicRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), summary=summary[:300])
