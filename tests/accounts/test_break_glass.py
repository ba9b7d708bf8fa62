"""Break-glass: a therapist opens a patient of their own clinic outside their care team
only with a reason; access lasts 60 minutes, is audited with its reason, shows in the
patient's access log and is listed for the supervisor, who reviews it once."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tandem.accounts import services
from tandem.accounts.models import BreakGlassGrant
from tandem.audit.models import AuditEntry
from tests.personas import make_patient

pytestmark = pytest.mark.django_db

REASON = "Critical PHQ-9 alert and the care team is on leave"
START = "2031-02-02 13:00:00+00:00"


def open_glass(client, patient, reason=REASON):
    return client.post(reverse("break_glass"), {"email": patient.user.email, "reason": reason})


def detail(patient):
    return reverse("patient_detail", args=[patient.uuid])


def test_break_glass_with_a_reason_opens_the_patient(personas, login):
    client = login(personas.other_therapist)
    assert client.get(detail(personas.patient)).status_code == 404
    assert client.get(reverse("break_glass")).status_code == 200
    response = open_glass(client, personas.patient)
    assert response.status_code == 302
    assert response["Location"] == detail(personas.patient)
    page = client.get(detail(personas.patient))
    assert page.status_code == 200
    assert "Emergency access until" in page.content.decode()

    grant = BreakGlassGrant.objects.get()
    assert grant.user == personas.other_therapist and grant.patient == personas.patient
    assert grant.reason == REASON
    assert grant.expires_at - grant.started_at == timedelta(minutes=60)
    opened = AuditEntry.objects.get(action="accounts.break_glass.opened")
    # The reason is clinical text: it stays encrypted in the grant; the chain anchors it
    # by the grant's id and a digest.
    assert opened.reason == ""
    assert opened.detail["break_glass"] == str(grant.uuid)
    assert opened.detail["reason_sha256"] == hashlib.sha256(REASON.encode()).hexdigest()
    assert opened.actor == personas.other_therapist
    assert opened.patient_uuid == personas.patient.uuid
    # Every read under the grant refers to the grant.
    read = AuditEntry.objects.filter(action="accounts.patient.viewed").latest("id")
    assert read.detail["break_glass"] == str(grant.uuid)


def test_patient_id_may_come_from_the_alert_link(personas, login):
    client = login(personas.other_therapist)
    response = client.post(
        reverse("break_glass"), {"patient": personas.patient.uuid, "reason": REASON}
    )
    assert response.status_code == 302
    assert client.get(detail(personas.patient)).status_code == 200


@pytest.mark.parametrize("reason", ["", "   ", "urgent", "  too short pls  ", " " * 40])
def test_a_reason_is_required(personas, login, reason):
    client = login(personas.other_therapist)
    response = open_glass(client, personas.patient, reason)
    assert response.status_code == 200
    assert not BreakGlassGrant.objects.exists()
    assert client.get(detail(personas.patient)).status_code == 404
    with pytest.raises(ValidationError):
        services.break_glass(
            actor=personas.other_therapist, patient=personas.patient, reason=reason
        )


def test_fifteen_characters_is_enough(personas):
    services.break_glass(actor=personas.other_therapist, patient=personas.patient, reason="x" * 15)
    with pytest.raises(ValidationError):
        services.break_glass(
            actor=personas.other_therapist, patient=personas.patient, reason="x" * 14
        )


def test_only_patients_of_the_own_clinic(personas, login):
    client = login(personas.other_therapist)
    target = personas.foreign_patient
    response = open_glass(client, target)
    assert response.status_code == 200
    assert "No patient of your clinic matches." in response.content.decode()
    response = client.post(reverse("break_glass"), {"patient": target.uuid, "reason": REASON})
    assert response.status_code == 200
    assert target.name not in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    assert AuditEntry.objects.filter(action="accounts.break_glass.no_match").count() == 2
    with pytest.raises(PermissionDenied):
        services.break_glass(
            actor=personas.other_therapist, patient=personas.foreign_patient, reason=REASON
        )


def test_unknown_and_foreign_emails_get_the_same_answer(personas, login):
    client = login(personas.other_therapist)
    foreign = open_glass(client, personas.foreign_patient)
    nobody = client.post(reverse("break_glass"), {"email": "nobody@test.example", "reason": REASON})
    assert foreign.status_code == nobody.status_code == 200
    assert "No patient of your clinic matches." in nobody.content.decode()


def test_deactivated_patients_cannot_be_opened(personas, login):
    gone = make_patient(personas.clinic, personas.therapist, name="Gone Patient")
    gone.user.is_active = False
    gone.user.save()
    response = open_glass(login(personas.other_therapist), gone)
    assert "No patient of your clinic matches." in response.content.decode()


@pytest.mark.parametrize("who", ["supervisor", "admin", "researcher", "patient"])
def test_only_therapists_break_glass(personas, login, who):
    user = personas.all_users()[who]
    assert (
        login(user)
        .post(
            reverse("break_glass"),
            {
                "email": personas.other_patient.user.email,
                "reason": REASON,
            },
        )
        .status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        services.break_glass(actor=user, patient=personas.other_patient, reason=REASON)
    assert not BreakGlassGrant.objects.exists()


def test_access_lasts_60_minutes(personas, login):
    with time_machine.travel(START, tick=False) as traveller:
        client = login(personas.other_therapist)
        open_glass(client, personas.patient)
        traveller.shift(timedelta(minutes=14))  # stay within the staff idle limit
        assert client.get(detail(personas.patient)).status_code == 200
        for _ in range(3):
            traveller.shift(timedelta(minutes=14))
            client.get(reverse("preferences"))
        traveller.shift(timedelta(minutes=3, seconds=59))  # 59:59 after opening
        assert client.get(detail(personas.patient)).status_code == 200
        traveller.shift(timedelta(seconds=1))
        assert client.get(detail(personas.patient)).status_code == 404


def test_break_glass_shows_in_the_patients_access_log(personas, login):
    client = login(personas.other_therapist)
    open_glass(client, personas.patient)
    client.get(detail(personas.patient))
    log = login(personas.patient.user).get(reverse("my_access_log")).content.decode()
    assert personas.other_therapist.full_name in log
    assert "Emergency access:" in log
    assert REASON in log
    other_log = login(personas.other_patient.user).get(reverse("my_access_log"))
    assert REASON not in other_log.content.decode()


def test_supervisor_sees_the_grant_for_review(personas, login):
    open_glass(login(personas.other_therapist), personas.patient)
    page = login(personas.supervisor).get(reverse("break_glass_reviews")).content.decode()
    assert REASON in page
    assert personas.other_therapist.full_name in page
    assert "Mark reviewed" in page
    foreign = login(personas.outsider_supervisor).get(reverse("break_glass_reviews"))
    assert REASON not in foreign.content.decode()


def test_review_happens_once(personas, login):
    open_glass(login(personas.other_therapist), personas.patient)
    grant = BreakGlassGrant.objects.get()
    url = reverse("break_glass_review", args=[grant.uuid])
    supervisor = login(personas.supervisor)
    assert supervisor.post(url, {"note": "Checked with the team, justified."}).status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == personas.supervisor and grant.reviewed_at is not None
    assert grant.review_note == "Checked with the team, justified."
    reviewed = AuditEntry.objects.get(action="accounts.break_glass.reviewed")
    assert reviewed.reason == ""
    assert (
        reviewed.detail["note_sha256"]
        == hashlib.sha256(b"Checked with the team, justified.").hexdigest()
    )

    first_review_at = grant.reviewed_at
    second = supervisor.post(url, {"note": "Changing my mind"}, follow=True)
    assert "already been reviewed" in second.content.decode()
    grant.refresh_from_db()
    assert grant.reviewed_at == first_review_at
    assert grant.review_note == "Checked with the team, justified."
    with pytest.raises(ValidationError):
        services.review_break_glass(actor=personas.supervisor, grant=grant, note="again")
    assert AuditEntry.objects.filter(action="accounts.break_glass.reviewed").count() == 1
    page = supervisor.get(reverse("break_glass_reviews")).content.decode()
    assert "Reviewed by" in page


def test_review_needs_a_note(personas, login):
    grant = services.break_glass(
        actor=personas.other_therapist, patient=personas.patient, reason=REASON
    )
    response = login(personas.supervisor).post(
        reverse("break_glass_review", args=[grant.uuid]), {"note": ""}, follow=True
    )
    assert "Write a short review note." in response.content.decode()
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_only_the_clinics_supervisor_reviews(personas, login):
    grant = services.break_glass(
        actor=personas.other_therapist, patient=personas.patient, reason=REASON
    )
    url = reverse("break_glass_review", args=[grant.uuid])
    for user in (
        personas.outsider_supervisor,
        personas.therapist,
        personas.admin,
        personas.other_therapist,
    ):
        assert login(user).post(url, {"note": "looks fine to me"}).status_code == 404
        with pytest.raises(PermissionDenied):
            services.review_break_glass(actor=user, grant=grant, note="looks fine to me")
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_care_team_reads_are_not_marked_as_break_glass(personas, login):
    login(personas.therapist).get(detail(personas.patient))
    read = AuditEntry.objects.filter(action="accounts.patient.viewed").latest("id")
    assert read.reason == "" and "break_glass" not in read.detail
