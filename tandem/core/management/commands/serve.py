"""Serve Tandem for local use: a background task worker, the periodic-job scheduler and
the web server. ``make run`` calls this; Ctrl-C stops all three cleanly."""

from __future__ import annotations

import subprocess  # nosec B404  # starts our own manage.py commands, no shell
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

CHILDREN = (["db_worker", "--interval", "1"], ["scheduler", "--interval", "60"])


class Command(BaseCommand):
    help = "Run the task worker and the scheduler, and serve on 127.0.0.1:PORT (local use)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args, port: int, addr: str, no_worker: bool, **options) -> None:  # type: ignore[no-untyped-def]
        manage = Path(settings.BASE_DIR) / "manage.py"
        children: list[subprocess.Popen[bytes]] = []
        if not no_worker:
            for argv in CHILDREN:
                # A fixed argument list (this interpreter, our manage.py), no shell.
                child = subprocess.Popen(  # noqa: S603  # nosec B603
                    [sys.executable, str(manage), *argv]
                )
                children.append(child)
                self.stdout.write(f"{argv[0]} started (pid {child.pid}).")
        self.stdout.write(f"Serving Tandem on http://{addr}:{port} — Ctrl-C stops.")
        try:
            call_command("runserver", f"{addr}:{port}", use_reloader=False, use_threading=True)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("Stopped.")
