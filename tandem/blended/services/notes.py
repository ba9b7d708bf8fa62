"""Session notes: a structured CBT note per session, encrypted at rest.

The note is a draft until the therapist signs it. After signing, the signer may still
correct it until it locks — ``note_lock_hours`` of the clinic after signing (24 hours by
default; 0 locks it at once) — and every such change is audited and shown on the note
("edited after signing"). Once locked, the note never changes: corrections are addenda,
appended with author and time. ``save`` on a locked note raises ``NoteLocked``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tandem.audit import services as audit
from tandem.blended.models import (
    NOTE_SECTION_NAMES,
    Appointment,
    AppointmentStatus,
    NoteAddendum,
    SessionNote,
)
from tandem.blended.services.common import clinic_settings, now_or, record_event, require_manage

MAX_SECTION = 20_000
MAX_ADDENDUM = 5_000


class NoteLocked(ValidationError):
    """A change to a locked note: write an addendum instead."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This note is signed and locked, so it cannot be changed. Add an addendum "
                "to correct or complete it."
            ),
            code="locked",
        )


def _clean(sections: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for name in NOTE_SECTION_NAMES:
        value = (sections.get(name) or "").strip()
        if len(value) > MAX_SECTION:
            raise ValidationError(
                {name: _("Keep each section under %(max)d characters.") % {"max": MAX_SECTION}}
            )
        out[name] = value
    return out


def _lock_note(appointment: Appointment) -> SessionNote | None:
    return (
        SessionNote.objects.select_for_update(of=("self",))
        .select_related("appointment")
        .filter(appointment=appointment)
        .first()
    )


def save(
    *,
    actor: Any,
    appointment: Appointment,
    sections: Mapping[str, str],
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> SessionNote:
    """Write the note's sections (creating the note). Refused once the note is locked,
    and for anyone but its author after signing."""
    require_manage(actor, appointment.patient)
    now = now_or(now)
    clean = _clean(sections)
    if appointment.status == AppointmentStatus.CANCELLED:
        raise ValidationError(_("This session was cancelled: there is nothing to note."))
    with transaction.atomic():
        note = _lock_note(appointment)
        if note is None:
            note = SessionNote(appointment=appointment, patient=appointment.patient, author=actor)
        elif note.is_locked(now):
            raise NoteLocked()
        elif note.is_signed and note.signed_by_id != actor.pk:
            raise PermissionDenied("only the signer corrects a signed note")
        changed = [name for name in NOTE_SECTION_NAMES if getattr(note, name) != clean[name]]
        if note.pk is not None and not changed:
            return note
        for name, value in clean.items():
            setattr(note, name, value)
        note.homework_reviewed = bool(clean["homework_review"])
        if note.is_signed:
            note.edited_after_signing_at = now
        note.save()
        audit.record(
            actor=actor,
            action="blended.note.edited_after_signing" if note.is_signed else "blended.note.saved",
            request=request,
            patient=appointment.patient,
            target=note,
            detail={"sections": changed},
        )
    return note


def sign(
    *,
    actor: Any,
    appointment: Appointment,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> SessionNote:
    """Sign the note; it locks ``note_lock_hours`` later (at once when that is 0)."""
    require_manage(actor, appointment.patient)
    now = now_or(now)
    with transaction.atomic():
        note = _lock_note(appointment)
        if note is None:
            raise ValidationError(_("Write the note before signing it."))
        if note.is_signed:
            return note
        if not any(getattr(note, name) for name in NOTE_SECTION_NAMES):
            raise ValidationError(_("The note is empty: write it before signing."))
        hours = clinic_settings(appointment.patient.clinic_id).note_lock_hours
        note.signed_at = now
        note.signed_by = actor
        note.locks_at = now + timedelta(hours=hours)
        note.save(update_fields=["signed_at", "signed_by", "locks_at", "updated_at"])
        audit.record(
            actor=actor,
            action="blended.note.signed",
            request=request,
            patient=appointment.patient,
            target=note,
            detail={"locks_at": note.locks_at.isoformat()},
        )
        record_event(
            patient=appointment.patient,
            kind="session_note.signed",
            actor=actor,
            ref=note,
            now=now,
            appointment=str(appointment.uuid),
            homework_reviewed=note.homework_reviewed,
        )
    return note


def add_addendum(
    *,
    actor: Any,
    note: SessionNote,
    text: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> NoteAddendum:
    """Append a correction or addition to a signed note (never changes the note)."""
    require_manage(actor, note.patient)
    now = now_or(now)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the addendum.")})
    if len(text) > MAX_ADDENDUM:
        raise ValidationError(
            {"text": _("Keep an addendum under %(max)d characters.") % {"max": MAX_ADDENDUM}}
        )
    if not note.is_signed:
        raise ValidationError(_("The note is not signed yet: change the note itself."))
    with transaction.atomic():
        addendum = NoteAddendum.objects.create(note=note, author=actor, text=text, created_at=now)
        audit.record(
            actor=actor,
            action="blended.note.addendum_added",
            request=request,
            patient=note.patient,
            target=addendum,
        )
        record_event(
            patient=note.patient,
            kind="session_note.addendum_added",
            actor=actor,
            ref=addendum,
            now=now,
            note=str(note.uuid),
        )
    return addendum
