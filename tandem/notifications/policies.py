"""Who may see or do what with notifications.

Everyone sees their own in-app notifications and preferences. The delivery log (who
was sent what kind of notification, on which channel, with what outcome — never its
text) is for the clinic's supervisors and administrators, for recipients of their own
clinic; anything else is 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tandem.accounts.models import Role
from tandem.notifications.models import Notification

DELIVERY_LOG_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def may_see_delivery_log(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role in DELIVERY_LOG_ROLES
        and user.clinic_id is not None
    )


def delivery_log_for(user: Any) -> QuerySet[Notification]:
    if not may_see_delivery_log(user):
        return Notification.objects.none()
    return Notification.objects.filter(recipient__clinic_id=user.clinic_id)
