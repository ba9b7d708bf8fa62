"""Factories for safety and assessments tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from tandem.accounts.models import Patient
from tandem.assessments.models import Assignment, AssignmentSource
from tandem.safety import services as safety
from tandem.safety.models import Alert

PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 0, 0, 1]  # total 7, item 9 = 0


def phq9(total: int = 7, item9: int = 0, item10: int | None = 1) -> list[int | None]:
    """PHQ-9 answers with the given total and item 9 (items 1-8 share the rest)."""
    rest = total - item9
    values = []
    for index in range(8):
        value = min(3, -(-rest // (8 - index)) if rest > 0 else 0)
        values.append(value)
        rest -= value
    assert rest == 0, "total too high for item 9"
    return [*values, item9, item10]


def make_assignment(
    patient: Patient,
    code: str = "phq9",
    *,
    source: str = AssignmentSource.ADHOC,
    available_at: datetime | None = None,
    due_in: timedelta = timedelta(days=3),
    expires_in: timedelta = timedelta(days=14),
    enrollment=None,
    schedule_key: str = "",  # type: ignore[no-untyped-def]
) -> Assignment:
    available_at = available_at or timezone.now() - timedelta(minutes=5)
    assignment = Assignment.objects.create(
        patient=patient,
        instrument=code,
        source=source,
        available_at=available_at,
        due_at=available_at + due_in,
        expires_at=available_at + expires_in,
        enrollment=enrollment,
        schedule_key=schedule_key,
    )
    return Assignment.objects.select_related("patient__clinic", "patient__user").get(
        pk=assignment.pk
    )


def make_alert(
    patient: Patient,
    *,
    tier: str = "review",
    reason: str = "phq9.item9",
    source: str = "assessment",
) -> Alert:
    return safety.raise_alert(patient=patient, source=source, tier=tier, reason=reason)
