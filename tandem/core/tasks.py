"""Background work of the core: running the handlers of an event.

``events.record`` enqueues one ``dispatch_event`` per event (``events.record_many`` one
``dispatch_events`` for several), so a request pays for one queue row, not for every
app's reaction (signals, reminders, homework, notifications). The task takes event ids
only and each handler is idempotent, so running it again is harmless.
"""

from __future__ import annotations

import logging

from django.tasks import task

logger = logging.getLogger(__name__)


@task()
def dispatch_event(event_id: int, kind: str) -> int:
    """Run every handler registered for ``kind``; a failing handler is logged and does
    not stop the others. Returns the number of handlers that failed."""
    from tandem.core.events import handlers_for

    failed = 0
    for handler in handlers_for(kind):
        try:
            handler(event_id)
        except Exception:
            failed += 1
            logger.exception("event handler %r failed for event %s", handler, event_id)
    return failed


@task()
def dispatch_events(pairs: list[list[int | str]]) -> int:
    """``dispatch_event`` for several events recorded together, in their order."""
    return sum(dispatch_event.call(int(event_id), str(kind)) for event_id, kind in pairs)
