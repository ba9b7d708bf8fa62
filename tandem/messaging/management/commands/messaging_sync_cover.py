"""Periodic: give cover therapists access to patients who joined an absent therapist's
caseload after the absence was recorded (idempotent; run e.g. hourly)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from tandem.messaging import cover
from tandem.messaging.models import Absence


class Command(BaseCommand):
    help = "Add time-bounded cover memberships for current and upcoming absences."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        today = timezone.localdate()
        created = 0
        for absence in Absence.objects.filter(
            cancelled_at__isnull=True, ends_on__gte=today
        ).select_related("therapist", "cover", "clinic"):
            created += cover.sync_cover(absence)
        self.stdout.write(f"{created} cover membership(s) added.")
