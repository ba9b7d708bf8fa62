"""The event stream: ``record`` appends an Event; handlers run after commit.

A higher app that reacts to a lower app's event lists its reactions in its own
``handlers.py`` and registers them in ``AppConfig.ready``::

    events.register("exercise.submitted", on_exercise_submitted)

Handlers receive the Event id (never the object) and run once the recording
transaction commits, in the background task ``tandem.core.tasks.dispatch_event`` (one
per event). With the database task backend the task row is written in the event's own
transaction (a transactional outbox: they commit together); with any other backend —
the immediate backend in tests — the task is enqueued on commit. A failing
handler is logged and neither undoes the event nor stops the other handlers.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Required, TypedDict, Unpack

from django.db import transaction

from tandem.core.models import Event

logger = logging.getLogger(__name__)

Handler = Callable[[int], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def register(kind: str, handler: Handler) -> None:
    if handler not in _handlers[kind]:
        _handlers[kind].append(handler)


def handlers_for(kind: str) -> list[Handler]:
    return [*_handlers.get(kind, []), *_handlers.get("*", [])]


class EventSpec(TypedDict, total=False):
    """What ``record`` takes: the patient and the kind, and optionally who acted, what
    the event refers to (``ref``: a model instance, or ``ref_type``/``ref_uuid``), small
    JSON ``data`` and when it happened (default: now)."""

    patient: Required[Any]
    kind: Required[str]
    actor: Any
    ref: Any
    ref_type: str
    ref_uuid: uuid.UUID | None
    data: dict[str, Any] | None
    occurred_at: datetime | None


def record(**spec: Unpack[EventSpec]) -> Event:
    """Append an event inside the current transaction and schedule its handlers."""
    return record_many([spec])[0]


def record_many(specs: list[EventSpec]) -> list[Event]:
    """Several events of one use case: one INSERT for the events and one dispatch task
    for those that have handlers, in their order."""
    if not specs:
        return []
    created = Event.objects.bulk_create([_event(spec) for spec in specs])
    _schedule([[event.pk, event.kind] for event in created if handlers_for(event.kind)])
    return created


def _event(spec: EventSpec) -> Event:
    unknown = spec.keys() - EventSpec.__annotations__.keys()
    if unknown:
        raise TypeError(f"events.record got unexpected arguments: {sorted(unknown)}")
    ref = spec.get("ref")
    ref_type = spec.get("ref_type") or ""
    ref_uuid = spec.get("ref_uuid")
    if ref is not None:
        ref_type = ref_type or ref._meta.label_lower
        ref_uuid = ref_uuid or getattr(ref, "uuid", None)
    actor = spec.get("actor")
    event = Event(
        patient=spec["patient"],
        kind=spec["kind"],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        ref_type=ref_type,
        ref_uuid=ref_uuid,
        data=spec.get("data") or {},
    )
    if spec.get("occurred_at") is not None:
        event.occurred_at = spec["occurred_at"]
    return event


def _schedule(pairs: list[list[Any]]) -> None:
    """Queue the handlers of ``pairs`` ([event id, kind]) as one task. With the database
    task backend the task row is written in the events' own transaction — a
    transactional outbox: both commit together (no event without its handlers, no extra
    commit per request) and the worker only sees committed rows. With any other backend
    the task is enqueued on commit."""
    if not pairs:
        return

    def enqueue() -> None:
        from tandem.core.tasks import dispatch_event, dispatch_events

        if len(pairs) == 1:
            dispatch_event.enqueue(*pairs[0])
        else:
            dispatch_events.enqueue(pairs)

    if _tasks_in_database():
        enqueue()
    else:
        transaction.on_commit(enqueue, robust=True)


def _tasks_in_database() -> bool:
    """Whether the task backend stores tasks in the default database."""
    from django.tasks import task_backends

    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - the backend ships with Tandem
        return False
    return isinstance(task_backends["default"], DatabaseBackend)  # one database, no routers
