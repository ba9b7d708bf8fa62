from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tandem.accounts import demo
from tandem.accounts.models import Clinic


class Command(BaseCommand):
    help = "Load the demo clinics, users and histories (demo credentials; never in production)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if demo data exists"
        )
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")

    def handle(self, *args, if_empty: bool, force: bool, **options) -> None:  # type: ignore[no-untyped-def]
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a shared, published password and TOTP secret. "
                "It refuses to run with DEBUG off; pass --force only on a throw-away system."
            )
        if Clinic.objects.filter(slug="demo-clinic").exists():
            if if_empty:
                self.stdout.write("Demo data already loaded.")
                return
            raise CommandError("Demo data already exists (use a fresh database).")
        from tandem.core import seeding

        seeding.run_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded. Sign in as therapist@example.org / {demo.DEMO_PASSWORD}."
            )
        )
