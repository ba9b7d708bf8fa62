"""The alliance pulse: after a reply or feedback, the patient may answer two short items
("I felt understood", "This helps me continue", 1–5) in one tap each.

Never nagging: one offer per therapist–patient pair per 7 days, optional, dismissible;
an offer not answered within 7 days quietly lapses. A dip — the latest answer ≤ 2, or
2 or more below the pair's median — records ``alliance.dip`` for the workspace.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.core import events
from tandem.core.workhours import median
from tandem.messaging.models import AlliancePulse, Conversation, PulseStatus

OFFER_EVERY = timedelta(days=7)
LAPSE_AFTER = timedelta(days=7)
LOW = 2.0
DROP = 2.0


def is_dip(history: list[float], latest: float) -> bool:
    """Pure rule: ``latest`` ≤ 2, or at least 2 below the median of earlier answers."""
    if latest <= LOW:
        return True
    earlier = median(history)
    return earlier is not None and earlier - latest >= DROP


def maybe_offer(
    *, conversation: Conversation, therapist: Any, trigger: str, now: datetime | None = None
) -> AlliancePulse | None:
    """Offer the pulse for this pair unless one was offered in the last 7 days."""
    now = now or timezone.now()
    recent = AlliancePulse.objects.filter(
        patient_id=conversation.patient_id, therapist=therapist, created_at__gt=now - OFFER_EVERY
    )
    if recent.exists():
        return None
    return AlliancePulse.objects.create(
        conversation=conversation,
        patient_id=conversation.patient_id,
        therapist=therapist,
        trigger=trigger,
        created_at=now,
    )


def open_offer(*, conversation: Conversation, now: datetime | None = None) -> AlliancePulse | None:
    """The pulse to show the patient on this conversation, if any."""
    now = now or timezone.now()
    return (
        AlliancePulse.objects.filter(
            conversation=conversation,
            status=PulseStatus.OFFERED,
            created_at__gt=now - LAPSE_AFTER,
        )
        .select_related("therapist")
        .order_by("-created_at")
        .first()
    )


def _value(raw: object) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError:
        raise ValidationError(_("Choose a number from 1 to 5.")) from None
    if not 1 <= value <= 5:
        raise ValidationError(_("Choose a number from 1 to 5."))
    return value


def answer(
    *, actor: Any, pulse: AlliancePulse, understood: object = None, helps: object = None
) -> AlliancePulse:
    """Store one or both items (each tap saves); record a dip when there is one."""
    if getattr(actor, "pk", None) != pulse.patient.user_id:
        raise PermissionDenied
    understood_value, helps_value = _value(understood), _value(helps)
    if understood_value is None and helps_value is None:
        raise ValidationError(_("Choose a number from 1 to 5."))
    with transaction.atomic():
        pulse = AlliancePulse.objects.select_for_update(of=("self",)).get(pk=pulse.pk)
        if pulse.status == PulseStatus.DISMISSED:
            return pulse
        if understood_value is not None:
            pulse.understood = understood_value
        if helps_value is not None:
            pulse.helps = helps_value
        first_answer = pulse.status == PulseStatus.OFFERED
        pulse.status = PulseStatus.ANSWERED
        pulse.answered_at = timezone.now()
        pulse.save()
        events.record(
            patient=pulse.patient,
            kind="alliance.answered",
            actor=actor,
            ref=pulse,
            data={
                "therapist": str(pulse.therapist.uuid),
                "understood": pulse.understood,
                "helps": pulse.helps,
                "first": first_answer,
            },
        )
        _check_dip(pulse, actor)
    return pulse


def _check_dip(pulse: AlliancePulse, actor: Any) -> None:
    latest = pulse.score
    if latest is None:
        return
    history = [
        p.score
        for p in AlliancePulse.objects.filter(
            patient_id=pulse.patient_id,
            therapist_id=pulse.therapist_id,
            status=PulseStatus.ANSWERED,
        ).exclude(pk=pulse.pk)
        if p.score is not None
    ]
    if not is_dip(history, latest):
        return
    already = pulse.patient.events.filter(kind="alliance.dip", ref_uuid=pulse.uuid).exists()
    if already:
        return
    events.record(
        patient=pulse.patient,
        kind="alliance.dip",
        actor=actor,
        ref=pulse,
        data={
            "therapist": str(pulse.therapist.uuid),
            "conversation": str(pulse.conversation.uuid),
            "enrollment": str(pulse.conversation.enrollment.uuid),
            "latest": latest,
            "median": median(history),
        },
    )


def dismiss(*, actor: Any, pulse: AlliancePulse) -> None:
    if getattr(actor, "pk", None) != pulse.patient.user_id:
        raise PermissionDenied
    AlliancePulse.objects.filter(pk=pulse.pk, status=PulseStatus.OFFERED).update(
        status=PulseStatus.DISMISSED, updated_at=timezone.now()
    )


def trend(*, patient: Any, therapist: Any, limit: int = 12) -> list[AlliancePulse]:
    """The pair's answered pulses, oldest first (at most ``limit``)."""
    rows = list(
        AlliancePulse.objects.filter(
            patient=patient, therapist=therapist, status=PulseStatus.ANSWERED
        ).order_by("-answered_at")[:limit]
    )
    return rows[::-1]
