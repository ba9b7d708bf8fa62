"""Reactions of messaging to lower apps' events (run on commit, by event id)."""

from __future__ import annotations

import logging

from tandem.core import events
from tandem.core.models import Event
from tandem.messaging import alliance
from tandem.messaging.gestures import EXERCISE_FEEDBACK

logger = logging.getLogger(__name__)


def on_feedback(event_id: int) -> None:
    """Feedback on an exercise may offer the alliance pulse for that therapist."""
    from tandem.messaging.services import conversation_for
    from tandem.programs.models import Enrollment, EnrollmentStatus

    event = Event.objects.select_related("actor", "patient").filter(pk=event_id).first()
    if event is None or event.actor is None or event.actor.role != "therapist":
        return
    enrollments = Enrollment.objects.filter(patient=event.patient).select_related("patient")
    wanted = (event.data or {}).get("enrollment")
    enrollment = None
    if wanted:
        enrollment = enrollments.filter(uuid=wanted).first() if _is_uuid(wanted) else None
    if enrollment is None:
        enrollment = (
            enrollments.filter(status=EnrollmentStatus.ACTIVE).order_by("-started_at").first()
        )
    if enrollment is None:
        return
    alliance.maybe_offer(
        conversation=conversation_for(enrollment), therapist=event.actor, trigger="feedback"
    )


def _is_uuid(value: object) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def connect() -> None:
    for kind in EXERCISE_FEEDBACK:
        events.register(kind, on_feedback)
