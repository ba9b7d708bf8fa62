"""Session notes: encrypted, signed, locked after the clinic's correction period; later
corrections are addenda, never silent edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditEntry
from tandem.blended import services
from tandem.blended.models import BlendedSettings, NoteAddendum, SessionNote

pytestmark = pytest.mark.django_db

SECRET = "patient disclosed the canary-7731 episode"
SECTIONS = {
    "agenda": "Homework, sleep, the week ahead",
    "homework_review": "Did the walk twice",
    "main_work": SECRET,
    "new_homework": "Walk three times",
    "summary": "Mood better",
    "risk_review": "No thoughts of self-harm",
}


def test_note_is_encrypted_at_rest(bl):
    services.save_note(actor=bl.therapist, appointment=bl.previous, sections=SECTIONS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT main_work, risk_review FROM blended_sessionnote")
        row = cursor.fetchone()
    assert "canary-7731" not in row[0] and "self-harm" not in row[1]
    note = SessionNote.objects.get()
    assert note.main_work == SECRET and note.homework_reviewed


def test_a_signed_note_locks_after_24_hours_and_takes_addenda(bl):
    services.save_note(actor=bl.therapist, appointment=bl.previous, sections=SECTIONS)
    note = services.sign_note(actor=bl.therapist, appointment=bl.previous)
    assert note.locks_at == note.signed_at + timedelta(hours=24)
    # Within the correction period the signer may correct it, visibly.
    changed = services.save_note(
        actor=bl.therapist, appointment=bl.previous, sections={**SECTIONS, "summary": "Better"}
    )
    assert changed.edited_after_signing_at is not None
    assert AuditEntry.objects.filter(action="blended.note.edited_after_signing").exists()
    # The cover therapist may not change someone else's signed note.
    with pytest.raises(PermissionDenied):
        services.save_note(actor=bl.p.cover, appointment=bl.previous, sections=SECTIONS)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        with pytest.raises(services.NoteLocked):
            services.save_note(
                actor=bl.therapist, appointment=bl.previous, sections={**SECTIONS, "summary": "x"}
            )
        addendum = services.add_addendum(
            actor=bl.therapist, note=note, text="Correction: the walk was three times."
        )
    note.refresh_from_db()
    assert note.summary == "Better"
    assert NoteAddendum.objects.get().pk == addendum.pk
    assert addendum.author == bl.therapist


def test_clinic_may_lock_notes_on_signing(bl):
    BlendedSettings.objects.create(clinic=bl.patient.clinic, note_lock_hours=0)
    services.save_note(actor=bl.therapist, appointment=bl.previous, sections=SECTIONS)
    note = services.sign_note(actor=bl.therapist, appointment=bl.previous)
    assert note.is_locked()
    with pytest.raises(services.NoteLocked):
        services.save_note(actor=bl.therapist, appointment=bl.previous, sections=SECTIONS)


def test_empty_note_cannot_be_signed_and_unsigned_note_takes_no_addenda(bl):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.sign_note(actor=bl.therapist, appointment=bl.previous)
    note = services.save_note(
        actor=bl.therapist, appointment=bl.previous, sections={"summary": "short"}
    )
    with pytest.raises(ValidationError):
        services.add_addendum(actor=bl.therapist, note=note, text="x")


def test_editing_a_locked_note_through_the_page_gives_a_clear_message(bl, login):
    BlendedSettings.objects.create(clinic=bl.patient.clinic, note_lock_hours=0)
    services.save_note(actor=bl.therapist, appointment=bl.previous, sections=SECTIONS)
    services.sign_note(actor=bl.therapist, appointment=bl.previous)
    client = login(bl.therapist)
    url = reverse("blended_note", args=[bl.previous.uuid])
    page = client.get(url)
    assert page.status_code == 200
    assert "Signed and locked" in page.content.decode()
    assert 'name="main_work"' not in page.content.decode()  # no edit form
    response = client.post(url, {**SECTIONS, "main_work": "silently changed"})
    assert response.status_code == 400
    assert "cannot be changed" in response.content.decode()
    assert SessionNote.objects.get().main_work == SECRET
    response = client.post(
        reverse("blended_note_addendum", args=[bl.previous.uuid]), {"text": "Added later"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Added later" in page and bl.therapist.full_name in page


def test_new_note_is_prefilled_from_the_agenda_without_saving(bl, login):
    services.add_item(actor=bl.patient.user, appointment=bl.upcoming, text="Talk about sleep")
    client = login(bl.therapist)
    page = client.get(reverse("blended_note", args=[bl.upcoming.uuid])).content.decode()
    assert "Talk about sleep" in page
    assert not SessionNote.objects.exists()


def test_supervisor_reads_but_does_not_write_and_outsiders_get_404(bl, login):
    services.save_note(actor=bl.therapist, appointment=bl.previous, sections=SECTIONS)
    url = reverse("blended_note", args=[bl.previous.uuid])
    supervisor = login(bl.p.supervisor)
    assert SECRET in supervisor.get(url).content.decode()
    assert supervisor.post(url, SECTIONS).status_code == 404
    assert login(bl.p.other_therapist).get(url).status_code == 404
    assert login(bl.patient.user).get(url).status_code == 404
    assert AuditEntry.objects.filter(
        action="blended.note.viewed", actor=bl.p.supervisor, patient_uuid=bl.patient.uuid
    ).exists()
