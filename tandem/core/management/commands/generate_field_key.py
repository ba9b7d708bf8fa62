from django.core.management.base import BaseCommand

from tandem.core import crypto


class Command(BaseCommand):
    help = "Print a new key for TANDEM_FIELD_KEYS (put it first to make it the encrypting key)."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        self.stdout.write(crypto.generate_key())
