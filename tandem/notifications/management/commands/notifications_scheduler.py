from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections


class Command(BaseCommand):
    help = (
        "A built-in scheduler for one machine (local use, make run): run "
        "notifications_periodic every --interval seconds until stopped. In production use "
        "cron or a systemd timer instead (docs/operations.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=int, default=300)

    def handle(self, *args: Any, interval: int, **options: Any) -> None:
        self.stdout.write(f"Notification scheduler: every {interval} s — Ctrl-C stops.")
        try:
            while True:
                close_old_connections()
                call_command("notifications_periodic", stdout=self.stdout, stderr=self.stderr)
                time.sleep(max(interval, 10))
        except KeyboardInterrupt:
            self.stdout.write("Notification scheduler stopped.")
