"""The therapist's daily summary: lines from providers registered by higher apps.

A provider is ``provider(user, now) -> list[tuple[int, str]]``: counts with a short label
already in the active language (the call runs inside ``translation.override`` of the
recipient), e.g. ``(3, ngettext("message waiting", "messages waiting", 3))``. Lines must
carry **no patient identity and no clinical content**: they go out by email. A line that
contains a clinical word is dropped (and logged); lines with a count of 0 are left out.

    from tandem.notifications import digest
    digest.register(my_provider, name="messages")   # in AppConfig.ready

Registering a provider under an existing name replaces it (the built-in
``safety_alerts`` line counts open alerts from the event stream; the safety app may
replace it with its own).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import ngettext

from tandem.accounts.models import CareTeamMember, Patient, Role
from tandem.core.models import Event
from tandem.notifications.content import LABEL_MAX_CHARS, find_clinical

logger = logging.getLogger(__name__)

Line = tuple[int, str]
Provider = Callable[[Any, datetime], list[Line]]
_providers: dict[str, Provider] = {}


def register(provider: Provider, *, name: str | None = None) -> None:
    _providers[name or f"{provider.__module__}.{provider.__qualname__}"] = provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


def providers() -> dict[str, Provider]:
    return dict(_providers)


def lines_for(user: Any, now: datetime) -> list[Line]:
    """Every provider's lines for ``user`` (call inside the user's language)."""
    lines: list[Line] = []
    for name, provider in list(_providers.items()):
        try:
            produced = provider(user, now) or []
        except Exception:
            logger.exception("digest provider %s failed; its lines are left out", name)
            continue
        for item in produced:
            try:
                count, label = int(item[0]), str(item[1]).strip()
            except (TypeError, ValueError, IndexError):
                logger.error("digest provider %s returned a malformed line", name)
                continue
            if count <= 0 or not label:
                continue
            if len(label) > LABEL_MAX_CHARS or find_clinical(label):
                logger.error("digest provider %s returned a line that may not leave Tandem", name)
                continue
            lines.append((count, label))
    return lines


# --- built-in: open safety alerts, from the event stream ------------------------------------------
OPEN_ALERT_WINDOW = timedelta(days=90)


def open_alerts(user: Any, now: datetime) -> list[Line]:
    """Alerts raised (in the last 90 days) for the user's patients and not yet
    acknowledged: care-team patients for a therapist, the clinic for a supervisor."""
    if user.role == Role.THERAPIST:
        patients = Patient.objects.filter(
            Exists(
                CareTeamMember.objects.active(now).filter(patient=OuterRef("pk"), therapist=user)
            )
        )
    elif user.role == Role.SUPERVISOR:
        patients = Patient.objects.filter(clinic_id=user.clinic_id)
    else:
        return []
    acknowledged = Event.objects.filter(
        kind="alert.acknowledged", ref_uuid=OuterRef("ref_uuid"), patient_id=OuterRef("patient_id")
    )
    count = (
        Event.objects.filter(
            kind="alert.raised",
            occurred_at__gte=now - OPEN_ALERT_WINDOW,
            patient__in=patients,
        )
        .exclude(Exists(acknowledged))
        .order_by()
        .values("ref_uuid")
        .distinct()
        .count()
    )
    label = ngettext(
        "safety alert waiting for acknowledgement",
        "safety alerts waiting for acknowledgement",
        count,
    )
    return [(count, label)]


def register_builtin() -> None:
    if "safety_alerts" not in _providers:
        register(open_alerts, name="safety_alerts")
