from __future__ import annotations

from datetime import datetime

from tandem.notifications import jobs, periodic
from tandem.notifications.management.base import PeriodicCommand, summarise


class Command(PeriodicCommand):
    help = (
        "Send due patient reminders (grouped: at most one a day, appointments apart) at "
        "the first time each patient allows; once a day also note check-ins after silence. "
        "Run every 5 minutes; safe on several hosts."
    )
    job_name = "notifications_send_reminders"

    def run(self, now: datetime) -> str:
        noted = 0
        scan = periodic.claim_period("notifications_checkin_scan", periodic.day_key(now), now=now)
        if scan is not None:
            noted = jobs.scan_silence(now)
            periodic.finish(scan, f"check-ins noted={noted}")
        counts = jobs.send_due_reminders(now)
        return f"check-ins noted={noted}; {summarise(counts)}"
