from __future__ import annotations

from datetime import datetime

from tandem.notifications import delivery
from tandem.notifications.management.base import PeriodicCommand, summarise


class Command(PeriodicCommand):
    help = (
        "Settle deliveries whose worker stopped (expired lease: retry, or mark for review "
        "when the outcome is unknown) and enqueue due retries. Run every 5 minutes; safe on "
        "several hosts."
    )
    job_name = "notifications_retry"

    def run(self, now: datetime) -> str:
        settled = delivery.reconcile(now)
        enqueued = delivery.requeue_due(now)
        return summarise({**settled, "enqueued": enqueued})
