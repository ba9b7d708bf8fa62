"""How an alert's cause is shown to the care team.

``safety`` sits below the apps that raise alerts, so it cannot import them. An app that
raises alerts registers, in its ``AppConfig.ready``, a function that renders the cause
(the questionnaire answers, the message) for the alert detail page::

    registry.register_cause("assessments.response", render_response_cause)

The function receives the alert and the request (the patient read is already audited)
and returns HTML (``SafeString``) or ``None`` when the cause is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CauseRenderer = Callable[[Any, Any], Any]
_renderers: dict[str, CauseRenderer] = {}


def register_cause(ref_type: str, renderer: CauseRenderer) -> None:
    _renderers[ref_type] = renderer


def render_cause(alert: Any, request: Any) -> Any:
    renderer = _renderers.get(alert.ref_type)
    if renderer is None:
        return None
    return renderer(alert, request)


ReasonLabeler = Callable[[str], "str | None"]
_labelers: dict[str, ReasonLabeler] = {}


def register_reason_labels(source: str, labeler: ReasonLabeler) -> None:
    """``labeler(reason)`` returns a readable label for a reason code (or None)."""
    _labelers[source] = labeler


def reason_label(source: str, reason: str) -> str:
    labeler = _labelers.get(source)
    label = labeler(reason) if labeler is not None else None
    return label or reason


# --- availability ------------------------------------------------------------------------------
# A higher app that knows when a therapist is away (messaging's absences) registers a
# check; alert routing then skips those therapists and goes to cover:
#
#     registry.register_unavailability(absent_therapist_ids)   # (user_ids, at) -> set[int]

UnavailabilityCheck = Callable[[Any, Any], "set[int]"]
_unavailability: list[UnavailabilityCheck] = []


def register_unavailability(check: UnavailabilityCheck) -> None:
    if check not in _unavailability:
        _unavailability.append(check)


def unregister_unavailability(check: UnavailabilityCheck) -> None:
    if check in _unavailability:
        _unavailability.remove(check)


def unavailable(user_ids: Any, at: Any) -> set[int]:
    """Ids among ``user_ids`` that a registered check reports as away at ``at``. A
    failing check is logged and ignored (the therapist stays on the route)."""
    import logging

    away: set[int] = set()
    for check in _unavailability:
        try:
            away |= set(check(list(user_ids), at))
        except Exception:
            logging.getLogger(__name__).exception("availability check %r failed", check)
    return away
