"""Reminders to the patient go through the notifications app, which owns channels,
the patient's reminder frequency, quiet hours and grouping. Reasons are codes and refs
are objects: no clinical content leaves through this path. Called inside the service's
transaction, so a reminder exists exactly when its session or homework does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import NoReverseMatch, reverse

from tandem.notifications import services as notifications
from tandem.notifications.models import Reason

HOMEWORK_NOTICE = timedelta(days=1)  # remind on the day before homework is due


def session_booked(appointment: Any) -> None:
    notifications.remind_appointment(
        patient=appointment.patient, appointment=appointment, starts_at=appointment.starts_at
    )


def session_moved(appointment: Any) -> None:
    notifications.withdraw_reminder(
        patient=appointment.patient, reason=Reason.APPOINTMENT, ref=appointment
    )
    session_booked(appointment)


def session_cancelled(appointment: Any) -> None:
    notifications.withdraw_reminder(
        patient=appointment.patient, reason=Reason.APPOINTMENT, ref=appointment
    )


def homework_given(homework: Any) -> None:
    notifications.remind(
        patient=homework.patient,
        reason=Reason.HOMEWORK_DUE,
        ref=homework,
        not_before=homework.due_at - HOMEWORK_NOTICE,
        expires_at=homework.due_at,
    )


def homework_settled(homework: Any) -> None:
    """Done or taken back: no reminder any more."""
    notifications.withdraw_reminder(
        patient=homework.patient, reason=Reason.HOMEWORK_DUE, ref=homework
    )


def preferences_url() -> str | None:
    """Where the patient chooses reminder frequency and quiet hours."""
    try:
        return reverse("notification_preferences")
    except NoReverseMatch:
        return None
