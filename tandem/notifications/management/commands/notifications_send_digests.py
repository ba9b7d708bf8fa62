from __future__ import annotations

from datetime import datetime

from tandem.notifications import jobs
from tandem.notifications.management.base import PeriodicCommand, summarise


class Command(PeriodicCommand):
    help = (
        "Send each therapist's and supervisor's daily summary once they reach their chosen "
        "local time. Run every 5 minutes; safe on several hosts."
    )
    job_name = "notifications_send_digests"

    def run(self, now: datetime) -> str:
        return summarise(jobs.send_due_digests(now))
