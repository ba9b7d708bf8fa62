"""Absence and cover: the cover answers meanwhile, the patient sees who, access ends."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import CareTeamMember, Patient
from tandem.audit.models import AuditEntry
from tandem.core.models import Event
from tandem.messaging import cover, services
from tandem.messaging.models import Absence, AbsenceCover, Message

pytestmark = pytest.mark.django_db


def test_absence_gives_the_cover_access_for_its_dates(personas, enrollment, login):
    today = timezone.localdate()
    absence = cover.mark_absence(
        actor=personas.therapist,
        therapist=personas.therapist,
        cover=personas.other_therapist,
        starts_on=today,
        ends_on=today + timedelta(days=2),
    )
    membership = AbsenceCover.objects.get(absence=absence).member
    assert membership.therapist == personas.other_therapist
    assert membership.team_role == "cover" and membership.ended_at is not None
    assert AuditEntry.objects.filter(
        action="accounts.care_team.added", patient_uuid=personas.patient.uuid
    ).exists()
    # The cover reads and answers.
    client = login(personas.other_therapist)
    url = reverse("messaging_conversation", args=[enrollment.uuid])
    assert client.get(url).status_code == 200
    # The patient sees who is answering, and messages are routed to the cover.
    html = login(personas.patient.user).get(url).content.decode()
    assert f"{personas.therapist.full_name} is away until" in html
    assert f"{personas.other_therapist.full_name} answers your messages meanwhile" in html
    services.send_message(
        actor=personas.patient.user, enrollment=enrollment, body="Hello?", client_token=uuid.uuid4()
    )
    routed = Event.objects.get(kind="message.sent").data["routed_to"]
    assert str(personas.other_therapist.uuid) in routed
    assert str(personas.therapist.uuid) not in routed
    response = client.post(
        reverse("messaging_send", args=[enrollment.uuid]),
        {"body": "I am covering this week.", "client_token": uuid.uuid4()},
    )
    assert response.status_code == 302
    assert Message.objects.filter(sender=personas.other_therapist).count() == 1
    # After the last day the access is gone by itself.
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert (
            not Patient.objects.for_user(personas.other_therapist)
            .filter(pk=personas.patient.pk)
            .exists()
        )
        assert login(personas.other_therapist).get(url).status_code == 404  # fresh session
        assert cover.answering_now(personas.patient).away == []


def test_ending_an_absence_early_ends_the_cover_access(personas, enrollment, login):
    today = timezone.localdate()
    absence = cover.mark_absence(
        actor=personas.supervisor,
        therapist=personas.therapist,
        cover=personas.other_therapist,
        starts_on=today,
        ends_on=today + timedelta(days=10),
    )
    client = login(personas.other_therapist)
    url = reverse("messaging_conversation", args=[enrollment.uuid])
    assert client.get(url).status_code == 200
    response = login(personas.therapist).post(reverse("messaging_absence_end", args=[absence.uuid]))
    assert response.status_code == 302
    assert client.get(url).status_code == 404
    absence.refresh_from_db()
    assert absence.cancelled_at is not None
    assert AuditEntry.objects.filter(action="messaging.absence.ended").exists()


def test_a_future_absence_starts_later(personas, enrollment):
    today = timezone.localdate()
    cover.mark_absence(
        actor=personas.therapist,
        therapist=personas.therapist,
        cover=personas.other_therapist,
        starts_on=today + timedelta(days=5),
        ends_on=today + timedelta(days=6),
    )
    assert (
        not Patient.objects.for_user(personas.other_therapist)
        .filter(pk=personas.patient.pk)
        .exists()
    )
    with time_machine.travel(timezone.now() + timedelta(days=5, hours=12)):
        assert (
            Patient.objects.for_user(personas.other_therapist)
            .filter(pk=personas.patient.pk)
            .exists()
        )


def test_a_cover_already_on_the_team_gets_no_extra_membership(personas, enrollment):
    today = timezone.localdate()
    before = CareTeamMember.objects.count()
    cover.mark_absence(
        actor=personas.therapist,
        therapist=personas.therapist,
        cover=personas.cover,
        starts_on=today,
        ends_on=today,
    )
    assert CareTeamMember.objects.count() == before
    assert cover.answering_now(personas.patient).answering == [personas.cover]


def test_sync_is_idempotent_and_picks_up_new_patients(personas, enrollment):
    from tests.personas import make_patient

    today = timezone.localdate()
    absence = cover.mark_absence(
        actor=personas.therapist,
        therapist=personas.therapist,
        cover=personas.other_therapist,
        starts_on=today,
        ends_on=today + timedelta(days=3),
    )
    assert cover.sync_cover(absence) == 0
    newcomer = make_patient(personas.clinic, personas.therapist, name="New Patient")
    assert cover.sync_cover(absence) == 1
    assert Patient.objects.for_user(personas.other_therapist).filter(pk=newcomer.pk).exists()


@pytest.mark.parametrize(
    ("who", "cover_name", "start", "end", "error"),
    [
        ("therapist", "outsider", 0, 1, ValidationError),  # another clinic
        ("therapist", "therapist", 0, 1, ValidationError),  # oneself
        ("therapist", "supervisor", 0, 1, ValidationError),  # not a therapist
        ("therapist", "cover", 3, 1, ValidationError),  # ends before it starts
        ("therapist", "cover", -5, -2, ValidationError),  # already over
        ("cover", "other_therapist", 0, 1, PermissionDenied),  # someone else's absence
        ("outsider_supervisor", "cover", 0, 1, PermissionDenied),
    ],
)
def test_bad_absences_are_refused(personas, who, cover_name, start, end, error):
    users = personas.all_users()
    today = timezone.localdate()
    with pytest.raises(error):
        cover.mark_absence(
            actor=users[who],
            therapist=personas.therapist,
            cover=users[cover_name],
            starts_on=today + timedelta(days=start),
            ends_on=today + timedelta(days=end),
        )
    assert not Absence.objects.exists()


def test_overlapping_absence_and_the_form(personas, login):
    client = login(personas.therapist)
    today = timezone.localdate()
    data = {
        "therapist": personas.therapist.uuid,
        "cover": personas.cover.uuid,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=2)).isoformat(),
    }
    assert client.post(reverse("messaging_absences"), data).status_code == 302
    again = client.post(reverse("messaging_absences"), data)
    assert again.status_code == 200 and "already recorded" in again.content.decode()
    # A therapist cannot record someone else's absence through the form.
    other = dict(data, therapist=personas.cover.uuid, cover=personas.therapist.uuid)
    login(personas.therapist).post(reverse("messaging_absences"), other)
    assert Absence.objects.count() == 1


def test_the_periodic_command_syncs_cover(personas, enrollment):
    from io import StringIO

    from django.core.management import call_command

    from tests.personas import make_patient

    today = timezone.localdate()
    cover.mark_absence(
        actor=personas.therapist,
        therapist=personas.therapist,
        cover=personas.other_therapist,
        starts_on=today,
        ends_on=today,
    )
    make_patient(personas.clinic, personas.therapist, name="Late Joiner")
    out = StringIO()
    call_command("messaging_sync_cover", stdout=out)
    assert "1 cover membership(s) added." in out.getvalue()


def test_a_new_safety_alert_goes_to_the_cover_during_an_absence(personas, enrollment):
    from tandem.safety import services as safety

    today = timezone.localdate()
    cover.mark_absence(
        actor=personas.therapist,
        therapist=personas.therapist,
        cover=personas.other_therapist,
        starts_on=today,
        ends_on=today + timedelta(days=2),
    )
    route = safety.care_team_route(personas.patient)
    assert personas.therapist not in route
    assert route and route[0] in (personas.cover, personas.other_therapist)
    assert cover.absent_therapist_ids([personas.therapist.pk], timezone.now()) == {
        personas.therapist.pk
    }
    later = timezone.now() + timedelta(days=5)
    assert cover.absent_therapist_ids([personas.therapist.pk], later) == set()
