"""The clinic's safety settings: the crisis resources its patients see (per language)
and when unacknowledged alerts escalate. Changed by a supervisor or an administrator of
the clinic; every change is audited (what changed, never more)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from tandem.accounts.models import Clinic, Role
from tandem.audit import services as audit
from tandem.core.changes import save_changes
from tandem.safety.models import CrisisResourceSet, EscalationPolicy

EDITORS = (Role.SUPERVISOR, Role.ADMIN)
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def _check(actor: Any, clinic: Clinic) -> None:
    if getattr(actor, "role", None) not in EDITORS or actor.clinic_id != clinic.pk:
        raise PermissionDenied("only the clinic's supervisors and administrators")


def save_crisis_resources(
    *,
    actor: Any,
    clinic: Clinic,
    language: str,
    emergency_number: str,
    lines: list[dict[str, str]],
    clinic_phone: str = "",
    clinic_hours: str = "",
    request: HttpRequest | None = None,
) -> CrisisResourceSet:
    """Store what the clinic's patients see in ``language`` under "Get help now". An
    empty ``lines`` keeps the built-in crisis lines for the language."""
    _check(actor, clinic)
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    values = {
        "emergency_number": emergency_number,
        "lines": [
            {"name": line["name"], "number": line["number"], "hours": line.get("hours", "")}
            for line in lines
        ],
        "clinic_phone": clinic_phone,
        "clinic_hours": clinic_hours,
    }
    with transaction.atomic():  # the change and its audit entry commit together
        row, changed = save_changes(
            CrisisResourceSet, {"clinic": clinic, "language": language}, values
        )
        if changed:
            audit.record(
                actor=actor,
                action="safety.crisis_resources.changed",
                request=request,
                clinic=clinic.pk,
                detail={
                    "language": language,
                    "changed": changed,
                    "emergency_number": emergency_number,
                    "lines": [line["number"] for line in values["lines"]],
                },
            )
    return row


def save_escalation_policy(
    *,
    actor: Any,
    clinic: Clinic,
    urgent_hours: int,
    review_hours: int,
    workday_start: time,
    workday_end: time,
    holiday_country: str,
    request: HttpRequest | None = None,
) -> EscalationPolicy:
    """When the clinic's unacknowledged alerts go to its supervisor (working hours)."""
    _check(actor, clinic)
    if not 1 <= urgent_hours <= review_hours:
        raise ValueError("urgent alerts must escalate first, after at least an hour")
    if workday_end <= workday_start:
        raise ValueError("the working day must end after it starts")
    values = {
        "urgent_hours": urgent_hours,
        "review_hours": review_hours,
        "workday_start": workday_start,
        "workday_end": workday_end,
        "holiday_country": holiday_country,
    }
    with transaction.atomic():  # the change and its audit entry commit together
        policy, changed = save_changes(EscalationPolicy, {"clinic": clinic}, values)
        if changed:
            audit.record(
                actor=actor,
                action="safety.escalation_policy.changed",
                request=request,
                clinic=clinic.pk,
                detail={
                    "changed": changed,
                    "urgent_hours": urgent_hours,
                    "review_hours": review_hours,
                    "day": [workday_start.isoformat(), workday_end.isoformat()],
                    "holiday_country": holiday_country,
                },
            )
    return policy
