"""Wellbeing services: check-ins (with the risk check on notes) and the safety plan."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import Patient, Role, User
from tandem.core import events
from tandem.messaging import risk
from tandem.messaging.lexicon import Finding
from tandem.wellbeing.models import (
    EMOTION_CODES,
    MAX_NOTE,
    SECTION_CODES,
    CheckIn,
    SafetyPlan,
    SafetyPlanVersion,
)


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    created: bool
    risk: Finding | None = None


def _clean_emotions(emotions: dict[str, Any]) -> dict[str, int]:
    clean: dict[str, int] = {}
    for code, value in (emotions or {}).items():
        if code not in EMOTION_CODES:
            raise ValidationError({"emotions": _("Unknown emotion.")})
        try:
            level = int(value)
        except (TypeError, ValueError):
            raise ValidationError({"emotions": _("Choose how strong the feeling is.")}) from None
        if level == 0:
            continue
        if not 1 <= level <= 3:
            raise ValidationError({"emotions": _("Choose how strong the feeling is.")})
        clean[code] = level
    return clean


def record_checkin(
    *,
    actor: User,
    patient: Patient,
    mood: int,
    emotions: dict[str, Any],
    note: str = "",
    client_token: uuid.UUID,
) -> CheckInResult:
    """Store a check-in once per client token; a note with risk language raises the
    safety alert in the same transaction."""
    if actor.role != Role.PATIENT or patient.user_id != actor.pk:
        raise PermissionDenied
    if not isinstance(mood, int) or not 0 <= mood <= 10:
        raise ValidationError({"mood": _("Choose your mood from 0 to 10.")})
    clean = _clean_emotions(emotions)
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(
            {"note": _("A note can be at most %(max)d characters.") % {"max": MAX_NOTE}}
        )
    existing = CheckIn.objects.filter(patient=patient, client_token=client_token).first()
    if existing is not None:
        return CheckInResult(existing, created=False)
    finding = risk.assess(text)
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                patient=patient,
                mood=mood,
                emotions=clean,
                note=text,
                client_token=client_token,
                risk_tier=finding.tier if finding else "",
            )
            events.record(
                patient=patient,
                kind="checkin.recorded",
                actor=actor,
                ref=checkin,
                data={
                    "mood": mood,
                    "emotions": clean,
                    "has_note": bool(text),
                    **({"risk_tier": finding.tier} if finding else {}),
                },
            )
            if finding is not None:
                risk.raise_risk_alert(
                    patient=patient, source="checkin", finding=finding, ref=checkin, actor=actor
                )
    except IntegrityError:
        existing = CheckIn.objects.filter(patient=patient, client_token=client_token).first()
        if existing is None:
            raise
        return CheckInResult(existing, created=False)
    return CheckInResult(checkin, created=True, risk=finding)


def recent_checkins(patient: Patient, *, days: int = 84, now: datetime | None = None):  # type: ignore[no-untyped-def]
    now = now or timezone.now()
    return CheckIn.objects.filter(patient=patient, recorded_at__gte=now - timedelta(days=days))


# --- safety plan ------------------------------------------------------------------------------


class PlanConflict(Exception):
    """Someone else saved the plan after the editor opened it."""

    def __init__(self, current: SafetyPlanVersion) -> None:
        super().__init__("the safety plan changed meanwhile")
        self.current = current


def current_plan(patient: Patient) -> tuple[SafetyPlan | None, SafetyPlanVersion | None]:
    plan = SafetyPlan.objects.filter(patient=patient).first()
    if plan is None:
        return None, None
    version = plan.versions.select_related("edited_by").first()
    return plan, version


def can_edit_plan(user: User, patient: Patient) -> bool:
    """The patient, and therapists who may see the patient (care team or break-glass)."""
    if user.role == Role.PATIENT:
        return patient.user_id == user.pk
    if user.role == Role.THERAPIST:
        return Patient.objects.for_user(user).filter(pk=patient.pk).exists()
    return False


def save_plan(
    *, actor: User, patient: Patient, content: dict[str, str], base_version: int
) -> SafetyPlanVersion:
    """Save a new version of the plan. ``base_version`` is the version the editor started
    from; if someone saved in between, PlanConflict carries the newer version."""
    if not can_edit_plan(actor, patient):
        raise PermissionDenied
    clean = {code: (content.get(code) or "").strip()[:4000] for code in SECTION_CODES}
    if not any(clean.values()):
        raise ValidationError(_("Write something in at least one section."))
    with transaction.atomic():
        plan, _created = SafetyPlan.objects.get_or_create(patient=patient)
        plan = SafetyPlan.objects.select_for_update(of=("self",)).get(pk=plan.pk)
        if plan.version != base_version:
            raise PlanConflict(plan.versions.select_related("edited_by").first())
        plan.version += 1
        plan.save(update_fields=["version", "updated_at"])
        version = SafetyPlanVersion.objects.create(
            plan=plan, number=plan.version, content=clean, edited_by=actor
        )
        events.record(
            patient=patient,
            kind="safety_plan.updated",
            actor=actor,
            ref=plan,
            data={"version": plan.version, "by_role": actor.role},
        )
    return version
