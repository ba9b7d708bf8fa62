"""Background work for notifications: one task per delivery, with the notification id.

Tasks re-load the row and claim it (``delivery.claim``), so a task enqueued twice, or
run by two workers, delivers once.
"""

from __future__ import annotations

from django.tasks import task

from tandem.notifications import delivery


@task()
def deliver(notification_id: int) -> str:
    return delivery.deliver(notification_id)
