"""The periodic job of the therapist workspace (run every few minutes by a scheduler)."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Time-based signals (silence, not started, module overdue, enrollment ending, "
        "missed questionnaires, replies past the promise), reconciliation with the source "
        "tables, snoozes that are over, and the caseload rows."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--rebuild", action="store_true", help="rebuild every caseload row from scratch"
        )

    def handle(self, *args, rebuild: bool, **options):  # type: ignore[no-untyped-def]
        from tandem.care import periodic

        summary = periodic.run(rebuild=rebuild)
        self.stdout.write(summary.line())
