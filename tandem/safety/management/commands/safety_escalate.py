from django.core.management.base import BaseCommand

from tandem.safety import services


class Command(BaseCommand):
    help = (
        "Periodic job (run every few minutes; idempotent): move alerts of therapists who "
        "left the care team to cover and escalate unacknowledged alerts past their "
        "deadline to the clinic's supervisor."
    )

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        escalated = services.escalate_due()
        self.stdout.write(f"{len(escalated)} alert(s) escalated.")
