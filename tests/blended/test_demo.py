"""The blended demo: Bea Blended with past sessions, signed notes, homework done and
missed, and a session tomorrow with a ready agenda."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.blended import services
from tandem.blended.models import AgendaSource, Appointment, Homework, SessionNote

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", stdout=io.StringIO())
    return User.objects.get(email="blended@example.org")


def test_bea_has_a_blended_history_and_a_ready_session_tomorrow(seeded, login):
    bea = seeded
    therapist = User.objects.get(email="therapist@example.org")
    assert bea.check_password("demo-password-1")
    sessions = list(Appointment.objects.filter(patient=bea.patient).order_by("starts_at"))
    statuses = [a.status for a in sessions]
    assert statuses == [
        "attended",
        "attended",
        "did_not_attend",
        "attended",
        "scheduled",
        "scheduled",
    ]
    notes = SessionNote.objects.filter(patient=bea.patient)
    assert notes.count() == 3 and all(n.is_locked() for n in notes)
    homework = Homework.objects.filter(patient=bea.patient)
    assert homework.filter(completed_at__isnull=False).count() >= 6
    assert homework.filter(completed_at__isnull=True, due_at__lt=timezone.now()).count() >= 2
    tomorrow = sessions[4]
    assert timezone.now() < tomorrow.starts_at < timezone.now() + timedelta(days=2)
    assert tomorrow.agenda_prepared_at is not None
    items = list(tomorrow.agenda_items.all())
    assert any(i.source == AgendaSource.PATIENT for i in items)
    assert any(i.ref_kind == "exercise" for i in items)
    agenda = services.agenda_for(tomorrow)
    assert agenda.digest.homework_done and agenda.digest.homework_not_done
    assert tomorrow not in services.upcoming_without_agenda(timezone.now())
    page = login(therapist).get(reverse("blended_agenda", args=[tomorrow.uuid]))
    assert page.status_code == 200 and "sister is visiting" in page.content.decode()
    home = login(bea).get(reverse("journey_home")).content.decode()
    assert "Between our sessions" in home
