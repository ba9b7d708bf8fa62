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
from typing import Any

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


def record(
    *,
    patient: Any,
    kind: str,
    actor: Any = None,
    ref: Any = None,
    ref_type: str = "",
    ref_uuid: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Append an event inside the current transaction and schedule its handlers."""
    fields = _fields(
        patient=patient,
        kind=kind,
        actor=actor,
        ref=ref,
        ref_type=ref_type,
        ref_uuid=ref_uuid,
        data=data,
        occurred_at=occurred_at,
    )
    event = Event.objects.create(**fields)
    if handlers_for(kind):
        if _tasks_in_database():
            # Transactional outbox: the task row is written in the event's own
            # transaction, so both commit together (no event without its handlers, and
            # no extra commit per request); the worker only sees committed rows.
            _dispatch(event.pk, kind)()
        else:
            transaction.on_commit(_dispatch(event.pk, kind), robust=True)
    return event


def _fields(
    *,
    patient: Any,
    kind: str,
    actor: Any = None,
    ref: Any = None,
    ref_type: str = "",
    ref_uuid: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    if ref is not None:
        ref_type = ref_type or ref._meta.label_lower
        ref_uuid = ref_uuid or getattr(ref, "uuid", None)
    fields: dict[str, Any] = {
        "patient": patient,
        "kind": kind,
        "actor": actor if getattr(actor, "is_authenticated", False) else None,
        "ref_type": ref_type,
        "ref_uuid": ref_uuid,
        "data": data or {},
    }
    if occurred_at is not None:
        fields["occurred_at"] = occurred_at
    return fields


def record_many(entries: list[dict[str, Any]]) -> list[Event]:
    """Several events at once (each entry takes ``record``'s keyword arguments): one
    INSERT for the events and one dispatch task for all of them, in their order."""
    events = [Event(**_fields(**entry)) for entry in entries]
    if not events:
        return []
    created = Event.objects.bulk_create(events)
    pairs = [[event.pk, event.kind] for event in created if handlers_for(event.kind)]
    if pairs:
        if _tasks_in_database():
            _dispatch_many(pairs)()
        else:
            transaction.on_commit(_dispatch_many(pairs), robust=True)
    return created


def _dispatch_many(pairs: list[list[Any]]) -> Callable[[], None]:
    def enqueue() -> None:
        from tandem.core.tasks import dispatch_events

        dispatch_events.enqueue(pairs)

    return enqueue


def _tasks_in_database() -> bool:
    """Whether the task backend stores tasks in the default database."""
    from django.tasks import task_backends

    backend = task_backends["default"]
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - the backend ships with Tandem
        return False
    return isinstance(backend, DatabaseBackend)  # Tandem has one database (no routers)


def _dispatch(event_id: int, kind: str) -> Callable[[], None]:
    def enqueue() -> None:
        from tandem.core.tasks import dispatch_event

        dispatch_event.enqueue(event_id, kind)

    return enqueue
