from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

JOBS = (
    "notifications_retry",
    "notifications_send_reminders",
    "notifications_send_digests",
    "notifications_prune",
)


class Command(BaseCommand):
    help = (
        "Run every periodic notification job once (each claims its own period, so this is "
        "safe to start every 5 minutes from cron or a systemd timer on several hosts)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", help="pretend the time is this ISO datetime")

    def handle(self, *args: Any, now: str | None = None, **options: Any) -> None:
        extra = {"now": now} if now else {}
        for name in JOBS:
            try:
                call_command(name, stdout=self.stdout, stderr=self.stderr, **extra)
            except Exception as exc:  # one failing job must not stop the others
                self.stderr.write(f"{name} failed: {exc!r}")
