"""The patient's reminders, decided from the event stream (DESIGN: the apps above
notifications decide what to send). Each reason is queued with
``notifications.services.remind``; the notifications app groups them into at most one
contentless reminder a day, at a time the patient allows, and drops reasons the patient
switched off."""

from __future__ import annotations

from tandem.core import events
from tandem.core.models import Event


def _event(event_id: int) -> Event | None:
    return Event.objects.select_related("patient").filter(pk=event_id).first()


def on_questionnaire_assigned(event_id: int) -> None:
    from tandem.notifications.services import remind

    event = _event(event_id)
    if event is not None:
        remind(
            patient=event.patient, reason="questionnaire_due", ref=f"assignment:{event.ref_uuid}"
        )


def on_questionnaire_completed(event_id: int) -> None:
    from tandem.assessments.models import Response
    from tandem.notifications.services import withdraw_reminder

    event = _event(event_id)
    if event is None:
        return
    assignment_uuid = (
        Response.objects.filter(uuid=event.ref_uuid)
        .values_list("assignment__uuid", flat=True)
        .first()
    )
    if assignment_uuid is not None:
        withdraw_reminder(
            patient=event.patient, reason="questionnaire_due", ref=f"assignment:{assignment_uuid}"
        )


def on_module_unlocked(event_id: int) -> None:
    from tandem.notifications.services import remind

    event = _event(event_id)
    if event is not None:
        remind(patient=event.patient, reason="module_open", ref=f"event:{event.uuid}")


def on_team_reply(event_id: int) -> None:
    """A message or feedback from the care team: "you have something new"."""
    from tandem.notifications.services import remind

    event = _event(event_id)
    if event is None:
        return
    if event.kind == "message.sent" and event.data.get("direction") == "patient_to_team":
        return
    remind(patient=event.patient, reason="new_message", ref=f"event:{event.uuid}")


def connect() -> None:
    events.register("questionnaire.assigned", on_questionnaire_assigned)
    events.register("questionnaire.completed", on_questionnaire_completed)
    events.register("module.unlocked", on_module_unlocked)
    events.register("message.sent", on_team_reply)
    events.register("exercise.feedback_given", on_team_reply)
