"""Reactions to events: safety alerts are the one thing therapists hear about at once.

``alert.raised``     → the first available member of the patient's care team (primary,
                       else cover; else the clinic's supervisors), immediately.
``alert.escalated``  → the supervisor the alert was escalated to (``data["to"]``), else
                       every active supervisor of the clinic.
``alert.reassigned`` → the therapist who now holds the alert.

The safety app may also call ``services.alert_immediately`` itself: with the same
dedupe key (``alert:<alert uuid>``) nobody is told twice. Handlers run after the
recording transaction commits and only create rows and enqueue tasks.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tandem.accounts.models import Role, User
from tandem.core import events
from tandem.core.models import Event
from tandem.notifications import kinds, routing
from tandem.notifications.services import alert_immediately


def alert_link(alert_uuid: Any) -> str:
    try:
        return reverse("alert_detail", kwargs={"alert": alert_uuid})
    except NoReverseMatch:
        return "/"


def _event(event_id: int) -> Event | None:
    return Event.objects.select_related("patient").filter(pk=event_id).first()


def _user(value: Any, clinic_id: int | None, role: str) -> User | None:
    try:
        key = uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
    return User.objects.filter(uuid=key, is_active=True, clinic_id=clinic_id, role=role).first()


def on_alert_raised(event_id: int) -> None:
    event = _event(event_id)
    if event is None or event.ref_uuid is None:
        return
    recipients = routing.alert_recipients(event.patient, timezone.now())
    alert_immediately(
        recipients=recipients,
        dedupe_key=f"alert:{event.ref_uuid}",
        link_url=alert_link(event.ref_uuid),
    )


def on_alert_escalated(event_id: int) -> None:
    event = _event(event_id)
    if event is None or event.ref_uuid is None:
        return
    clinic_id = event.patient.clinic_id
    target = _user((event.data or {}).get("to"), clinic_id, Role.SUPERVISOR)
    recipients = [target] if target else routing.supervisors(clinic_id)
    alert_immediately(
        recipients=recipients,
        dedupe_key=f"alert.escalated:{event.ref_uuid}",
        link_url=alert_link(event.ref_uuid),
        kind=kinds.SAFETY_ESCALATION,
    )


def on_alert_reassigned(event_id: int) -> None:
    event = _event(event_id)
    if event is None or event.ref_uuid is None:
        return
    target = _user((event.data or {}).get("to"), event.patient.clinic_id, Role.THERAPIST)
    if target is None:
        return
    alert_immediately(
        recipients=[target],
        dedupe_key=f"alert:{event.ref_uuid}",
        link_url=alert_link(event.ref_uuid),
    )


def register() -> None:
    events.register("alert.raised", on_alert_raised)
    events.register("alert.escalated", on_alert_escalated)
    events.register("alert.reassigned", on_alert_reassigned)
