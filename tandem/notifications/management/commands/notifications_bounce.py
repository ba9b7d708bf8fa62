from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tandem.accounts.models import User
from tandem.notifications import services


class Command(BaseCommand):
    help = (
        "Flag an email address as bounced (e.g. from the mail provider's bounce report): "
        "Tandem stops emailing it and staff see the flag on the delivery log. --clear "
        "removes the flag once the address is fixed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--clear", action="store_true", help="remove the bounce flag")

    def handle(self, *args: Any, email: str, clear: bool, **options: Any) -> None:
        try:
            user = services.mark_bounced(email=email, clear=clear)
        except ValidationError as exc:
            raise CommandError(f"{email!r} is not a valid email address") from exc
        except User.DoesNotExist as exc:
            raise CommandError(f"no user has the email address {email!r}") from exc
        verb = "cleared the bounce flag of" if clear else "flagged as bounced:"
        self.stdout.write(f"{verb} {user.email}")
