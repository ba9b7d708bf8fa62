"""Reactions to lower apps' events (run on commit, by event id): finishing a module, an
exercise or a questionnaire completes the homework it fulfils."""

from __future__ import annotations

from tandem.core import events
from tandem.core.models import Event

COMPLETING = ("module.completed", "exercise.submitted", "questionnaire.completed")


def on_work_done(event_id: int) -> None:
    from tandem.blended.services.homework import complete_from_event

    event = Event.objects.filter(pk=event_id).first()
    if event is not None:
        complete_from_event(event)


def register() -> None:
    for kind in COMPLETING:
        events.register(kind, on_work_done)
