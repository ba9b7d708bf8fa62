from django.core.management.base import BaseCommand

from tandem.assessments import schedules


class Command(BaseCommand):
    help = (
        "Periodic job (run hourly; idempotent): create due scheduled questionnaires "
        "(baseline catch-up, weekly, end, follow-up), mark overdue and missed ones, and "
        "raise the alert of a critical answer left in an abandoned draft."
    )

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        summary = schedules.run()
        self.stdout.write(
            f"{summary.created} created, {summary.overdue} overdue, {summary.missed} missed, "
            f"{summary.draft_alerts} alert(s) from abandoned drafts."
        )
        for error in summary.errors:
            self.stderr.write(error)
