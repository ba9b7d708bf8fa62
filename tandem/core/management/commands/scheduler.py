"""A foreground scheduler for one machine (``make run``): every ``--interval`` seconds it
runs each periodic job in ``settings.TANDEM_PERIODIC_COMMANDS``. Each job is idempotent
and claims its own period, so in production the same commands run from cron or a systemd
timer on any number of hosts (docs/operations.md)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run Tandem's periodic jobs every --interval seconds until stopped (local use)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args: Any, interval: int, once: bool, **options: Any) -> None:
        known = get_commands()
        jobs = [name for name in settings.TANDEM_PERIODIC_COMMANDS if name in known]
        self.stdout.write(f"Scheduler: {', '.join(jobs)} every {interval} s.")
        try:
            while True:
                for name in jobs:
                    close_old_connections()
                    try:
                        call_command(name, stdout=self.stdout, stderr=self.stderr)
                    except Exception:  # one failing job must not stop the others
                        logger.exception("periodic job %s failed", name)
                if once:
                    return
                time.sleep(max(interval, 10))
        except KeyboardInterrupt:
            self.stdout.write("Scheduler stopped.")
