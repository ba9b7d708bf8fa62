from __future__ import annotations

from datetime import datetime

from tandem.notifications import jobs
from tandem.notifications.management.base import PeriodicCommand, summarise


class Command(PeriodicCommand):
    help = (
        "Delete finished notifications, handled reminders and run records older than "
        "TANDEM_NOTIFICATION_RETENTION_DAYS. Runs once a day however often it is started."
    )
    job_name = "notifications_prune"
    period = "day"

    def run(self, now: datetime) -> str:
        return summarise(jobs.prune(now))
