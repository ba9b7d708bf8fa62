"""Who gets a therapist notification: available people only, never nobody.

``route_to_available(therapists, now)`` is the hook: it keeps the active users that no
registered availability check reports as away. Notifications sit below the apps that
know about absences and working hours, so those apps register a check in their
``AppConfig.ready``::

    from tandem.notifications import routing
    routing.register_unavailability(absent_therapist_ids)   # (user_ids, now) -> set[int]

A failing check is logged and ignored (the therapist stays on the route: an alert that
reaches an absent therapist is better than one that reaches nobody).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, Value, When

from tandem.accounts.models import CareTeamMember, Patient, Role, User

logger = logging.getLogger(__name__)

UnavailabilityCheck = Callable[[list[int], datetime], "set[int]"]
_checks: list[UnavailabilityCheck] = []


def register_unavailability(check: UnavailabilityCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def unregister_unavailability(check: UnavailabilityCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def unavailable(user_ids: Iterable[int], now: datetime) -> set[int]:
    ids = list(user_ids)
    away: set[int] = set()
    for check in _checks:
        try:
            away |= set(check(ids, now))
        except Exception:
            logger.exception("availability check %r failed; ignoring it", check)
    return away


def route_to_available(therapists: Iterable[User], now: datetime) -> list[User]:
    """The users among ``therapists`` (order kept) who are active and not away."""
    people = [t for t in therapists if t.is_active]
    away = unavailable([t.pk for t in people], now)
    return [t for t in people if t.pk not in away]


def care_team(patient: Patient, now: datetime) -> list[User]:
    """Active care-team therapists of ``patient``: primary first, then cover."""
    members = (
        CareTeamMember.objects.active(now)
        .filter(
            patient=patient,
            therapist__is_active=True,
            therapist__role=Role.THERAPIST,
            therapist__clinic_id=patient.clinic_id,
        )
        .select_related("therapist")
        .annotate(
            _rank=Case(
                When(team_role=CareTeamMember.TeamRole.PRIMARY, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("_rank", "started_at", "pk")
    )
    seen: dict[int, User] = {}
    for member in members:
        seen.setdefault(member.therapist_id, member.therapist)
    return list(seen.values())


def supervisors(clinic_id: Any) -> list[User]:
    return list(
        User.objects.filter(role=Role.SUPERVISOR, clinic_id=clinic_id, is_active=True).order_by(
            "date_joined", "pk"
        )
    )


def alert_recipients(patient: Patient, now: datetime) -> list[User]:
    """Who is told at once about a new alert: the first available of the care team
    (primary, else cover), else the clinic's supervisors."""
    route = route_to_available(care_team(patient, now), now)
    if route:
        return route[:1]
    return route_to_available(supervisors(patient.clinic_id), now) or supervisors(patient.clinic_id)
