"""The workspace's line in the therapist's daily digest (``tandem.notifications``).

``notifications.digest.register(provider, name=...)`` takes ``provider(user, now)``
returning ``[(count, label)]`` — a count and a short label, never a patient's identity or
clinical content (the digest goes out by email). The care app's line says how many
things wait in the therapist's triage list.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.apps import apps
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


def triage_line(user: Any, now: datetime) -> list[tuple[int, str]]:
    """``[(n, "things wait in your triage list")]`` for a therapist's care-team patients."""
    from django.db.models import Exists, OuterRef

    from tandem.accounts.models import CareTeamMember, Patient, Role
    from tandem.care.models import Signal

    if getattr(user, "role", None) != Role.THERAPIST:
        return []
    mine = CareTeamMember.objects.active(now).filter(patient=OuterRef("pk"), therapist=user)
    patients = Patient.objects.for_user(user, at=now).filter(Exists(mine))
    count = Signal.objects.showing(now).filter(patient__in=patients).count()
    label = ngettext("thing waits in your triage list", "things wait in your triage list", count)
    return [(count, label)]


def register() -> None:
    if not apps.is_installed("tandem.notifications"):
        return
    try:
        from tandem.notifications import digest
    except ImportError:
        return
    digest.register(triage_line, name="care_triage")
