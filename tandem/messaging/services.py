"""Messaging services: send, draft, read. One function, one transaction, explicit actor.

``send_message`` is idempotent per client token (a double-clicked send stores one
message). A patient message is checked for risk language and, when it matches, the
safety alert is raised in the same transaction. A care-team reply records how many
working hours the patient waited, clears the "awaiting reply" mark and may offer the
alliance pulse.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import Patient, Role, User
from tandem.core import events
from tandem.core.workhours import working_hours_between
from tandem.messaging import alliance, cover, risk
from tandem.messaging.lexicon import Finding
from tandem.messaging.models import (
    FUNCTION_CODES,
    MAX_BODY,
    Conversation,
    Direction,
    Draft,
    Message,
    RefType,
)
from tandem.messaging.replytimes import calendar_for


@dataclass(frozen=True)
class Ref:
    """What a message is about: a typed reference, never a copy of clinical text."""

    type: str
    uuid: uuid.UUID
    label: str
    key: str = ""


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool
    risk: Finding | None = None
    alert: Any = None


def conversation_for(enrollment: Any) -> Conversation:
    """The enrollment's one conversation (created on first use)."""
    conversation = Conversation.objects.filter(enrollment=enrollment).first()
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                enrollment=enrollment,
                patient_id=enrollment.patient_id,
                clinic_id=enrollment.patient.clinic_id,
            )
    except IntegrityError:
        return Conversation.objects.get(enrollment=enrollment)


def validate_body(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError({"body": _("Write a message before sending.")})
    if len(text) > MAX_BODY:
        raise ValidationError(
            {
                "body": _("A message can be at most %(max)s characters; this one has %(n)s.")
                % {
                    "max": f"{MAX_BODY:,}".replace(",", " "),
                    "n": f"{len(text):,}".replace(",", " "),
                }
            }
        )
    return text


def _direction(actor: User, patient: Patient) -> str:
    if actor.role == Role.PATIENT:
        if patient.user_id != actor.pk:
            raise PermissionDenied
        return Direction.PATIENT_TO_TEAM
    if (
        actor.role == Role.THERAPIST
        and Patient.objects.for_user(actor).filter(pk=patient.pk).exists()
    ):
        return Direction.TEAM_TO_PATIENT
    raise PermissionDenied


def _functions(functions: Any) -> list[str]:
    return [code for code in FUNCTION_CODES if code in set(functions or ())]


def send_message(
    *,
    actor: User,
    enrollment: Any,
    body: str,
    client_token: uuid.UUID,
    ref: Ref | None = None,
    functions: Any = (),
    context_kind: str = "",
    template_key: str = "",
) -> SendResult:
    """Store a message (once per ``client_token``) with its events and, for risk
    language from the patient, its safety alert — all in one transaction."""
    patient = enrollment.patient
    direction = _direction(actor, patient)
    text = validate_body(body)
    conversation = conversation_for(enrollment)
    existing = Message.objects.filter(conversation=conversation, client_token=client_token).first()
    if existing is not None:
        return SendResult(existing, created=False)
    finding = risk.assess(text) if direction == Direction.PATIENT_TO_TEAM else None
    chosen = _functions(functions) if direction == Direction.TEAM_TO_PATIENT else []
    try:
        with transaction.atomic():
            result = _store(
                actor=actor,
                conversation=conversation,
                direction=direction,
                text=text,
                client_token=client_token,
                ref=ref,
                functions=chosen,
                context_kind=context_kind,
                template_key=template_key,
                finding=finding,
            )
    except IntegrityError:
        existing = Message.objects.filter(
            conversation=conversation, client_token=client_token
        ).first()
        if existing is None:
            raise
        return SendResult(existing, created=False)
    return result


def _store(
    *,
    actor: User,
    conversation: Conversation,
    direction: str,
    text: str,
    client_token: uuid.UUID,
    ref: Ref | None,
    functions: list[str],
    context_kind: str,
    template_key: str,
    finding: Finding | None,
) -> SendResult:
    now = timezone.now()
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("patient", "enrollment", "clinic")
        .get(pk=conversation.pk)
    )
    patient = conversation.patient
    message = Message(
        conversation=conversation,
        sender=actor,
        direction=direction,
        body=text,
        client_token=client_token,
        sent_at=now,
        ref_type=ref.type if ref and ref.type in RefType.values else "",
        ref_uuid=ref.uuid if ref else None,
        ref_label=(ref.label[:120] if ref else ""),
        ref_key=(ref.key[:80] if ref else ""),
        context_kind=context_kind[:32],
        template_key=template_key[:64],
        risk_tier=finding.tier if finding else "",
        **{f"fn_{code}": code in functions for code in FUNCTION_CODES},
    )
    data: dict[str, Any] = {
        "direction": direction,
        "conversation": str(conversation.uuid),
        "enrollment": str(conversation.enrollment.uuid),
        "functions": functions,
    }
    if direction == Direction.PATIENT_TO_TEAM:
        if conversation.awaiting_reply_since is None:
            conversation.awaiting_reply_since = now
        routed = cover.answering_now(patient, now).answering
        data["routed_to"] = [str(user.uuid) for user in routed]
    else:
        if conversation.awaiting_reply_since is not None:
            message.answers_since = conversation.awaiting_reply_since
            message.reply_working_hours = round(
                working_hours_between(
                    conversation.awaiting_reply_since, now, calendar_for(conversation.clinic)
                ),
                3,
            )
            data["reply_working_hours"] = message.reply_working_hours
            conversation.awaiting_reply_since = None
        if context_kind:
            data["context"] = context_kind
        if template_key:
            data["template"] = template_key
    message.save(force_insert=True)
    conversation.last_message_at = now
    conversation.message_count = F("message_count") + 1
    conversation.save(
        update_fields=["last_message_at", "awaiting_reply_since", "message_count", "updated_at"]
    )
    if direction == Direction.TEAM_TO_PATIENT:
        # Answering implies having read what the patient wrote.
        Message.objects.filter(
            conversation=conversation, direction=Direction.PATIENT_TO_TEAM, read_at__isnull=True
        ).update(read_at=now, read_by=actor)
        alliance.maybe_offer(conversation=conversation, therapist=actor, trigger="reply", now=now)
    if finding is not None:
        data["risk_tier"] = finding.tier
    events.record(
        patient=patient, kind="message.sent", actor=actor, ref=message, data=data, occurred_at=now
    )
    alert = None
    if finding is not None:
        alert = risk.raise_risk_alert(
            patient=patient, source="message", finding=finding, ref=message, actor=actor
        )
    Draft.objects.filter(conversation=conversation, author=actor).delete()
    return SendResult(message, created=True, risk=finding, alert=alert)


def mark_read(*, actor: User, conversation: Conversation) -> int:
    """Mark the other side's unread messages as read by ``actor`` (patient, or a
    therapist with access; supervisors' reads are audited but are not receipts)."""
    if actor.role == Role.PATIENT:
        if conversation.patient.user_id != actor.pk:
            raise PermissionDenied
        incoming = Direction.TEAM_TO_PATIENT
    elif actor.role == Role.THERAPIST:
        if not Patient.objects.for_user(actor).filter(pk=conversation.patient_id).exists():
            raise PermissionDenied
        incoming = Direction.PATIENT_TO_TEAM
    else:
        return 0
    now = timezone.now()
    with transaction.atomic():
        count = Message.objects.filter(
            conversation=conversation, direction=incoming, read_at__isnull=True, sent_at__lte=now
        ).update(read_at=now, read_by=actor)
        if count:
            events.record(
                patient=conversation.patient,
                kind="message.read",
                actor=actor,
                ref=conversation,
                data={
                    "direction": incoming,
                    "count": count,
                    "conversation": str(conversation.uuid),
                },
            )
    return count


def save_draft(
    *,
    actor: User,
    conversation: Conversation,
    body: str,
    functions: Any = (),
    context_kind: str = "",
    context_ref: uuid.UUID | None = None,
) -> Draft | None:
    """Keep the unsent text (an empty text removes the draft)."""
    _direction(actor, conversation.patient)
    text = (body or "")[: MAX_BODY * 2]
    if not text.strip():
        Draft.objects.filter(conversation=conversation, author=actor).delete()
        return None
    draft, _created = Draft.objects.update_or_create(
        conversation=conversation,
        author=actor,
        defaults={
            "body": text,
            "functions": _functions(functions),
            "context_kind": (context_kind or "")[:32],
            "context_ref": context_ref,
        },
    )
    return draft


def draft_of(*, actor: User, conversation: Conversation) -> Draft | None:
    return Draft.objects.filter(conversation=conversation, author=actor).first()


def unread_count(*, user: User) -> int:
    """Unread messages addressed to ``user`` (a patient, or a therapist's care team)."""
    if user.role == Role.PATIENT:
        incoming = Direction.TEAM_TO_PATIENT
    elif user.role == Role.THERAPIST:
        incoming = Direction.PATIENT_TO_TEAM
    else:
        return 0
    return Message.objects.filter(
        conversation__in=Conversation.objects.for_user(user),
        direction=incoming,
        read_at__isnull=True,
    ).count()
