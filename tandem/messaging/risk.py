"""Risk language in patient free text → a safety alert, and crisis resources to show.

``assess`` reads the maintained lexicon (``content/lexicon/*.yaml``, every language, so a
Finnish-speaking patient writing in Swedish is still checked). ``raise_risk_alert`` is
the one adapter to the safety app; callers run it inside the transaction that stores
the message or check-in, so the text and its alert are stored together or not at all.

Decision support only: the lexicon misses risk written in other words and flags some
harmless text. It never replaces reading the messages.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType
from typing import Any

from django.conf import settings

from tandem.messaging import lexicon

logger = logging.getLogger(__name__)

REASON_BY_SOURCE = {"message": "message.risk_language", "checkin": "checkin.risk_language"}
FALLBACK_CRISIS_TEMPLATE = "messaging/partials/crisis_fallback.html"
SAFETY_CRISIS_TEMPLATE = "safety/partials/crisis.html"


def lexicon_dir() -> Path:
    return Path(settings.CONTENT_DIR) / "lexicon"


def assess(text: str) -> lexicon.Finding | None:
    """The most severe risk-language finding in ``text`` (None when there is none)."""
    if not text or not text.strip():
        return None
    return lexicon.load_cached(str(lexicon_dir())).assess(text)


def _safety_services() -> ModuleType | None:
    try:
        from tandem.safety import services
    except ImportError:
        return None
    return services


def raise_risk_alert(
    *,
    patient: Any,
    source: str,
    finding: lexicon.Finding,
    ref: Any = None,
    actor: Any = None,
) -> Any:
    """Raise the safety alert for a finding (inside the caller's transaction).

    Returns the Alert. Errors from the safety app propagate so that the caller's
    transaction rolls back: the text is never stored without its alert.
    """
    services = _safety_services()
    if services is None:  # pragma: no cover - only before the safety app is installed
        logger.error("risk language found but tandem.safety is not installed; no alert raised")
        return None
    return services.raise_alert(
        patient=patient,
        source=source,
        tier=finding.tier,
        reason=REASON_BY_SOURCE[source],
        ref=ref,
        actor=actor,
        detail={"category": finding.category, "language": finding.language},
    )


def crisis_context(*, clinic: Any, language: str) -> dict[str, Any]:
    """Template context for the crisis card: ``crisis_template`` and ``crisis``.

    Falls back to a built-in card (112 and the MIELI crisis line) when the safety app
    is missing or fails, so the patient always sees where to get help.
    """
    services = _safety_services()
    if services is not None:
        try:
            crisis = services.crisis_resources(clinic=clinic, language=language)
        except Exception:
            logger.exception("crisis resources unavailable; showing the built-in card")
        else:
            return {"crisis_template": SAFETY_CRISIS_TEMPLATE, "crisis": crisis}
    return {"crisis_template": FALLBACK_CRISIS_TEMPLATE, "crisis": None}
