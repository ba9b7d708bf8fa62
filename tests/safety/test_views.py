"""Alert list, detail and acknowledgement views; crisis resources for everyone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditEntry
from tandem.safety import services
from tandem.safety.crisis import crisis_resources, defaults
from tandem.safety.models import Alert, CrisisResourceSet
from tests.safety.factories import make_alert

pytestmark = pytest.mark.django_db


def test_the_list_shows_open_alerts_urgent_first_then_oldest(personas, login):
    review_old = make_alert(personas.patient, reason="phq9.item9")
    urgent = make_alert(
        personas.patient, reason="message.risk_language", source="message", tier="urgent"
    )
    review_new = make_alert(personas.patient, reason="gad7.reliable_deterioration")
    now = timezone.now()
    Alert.objects.filter(pk=review_old.pk).update(raised_at=now - timedelta(days=2))
    Alert.objects.filter(pk=urgent.pk).update(raised_at=now - timedelta(hours=1))
    Alert.objects.filter(pk=review_new.pk).update(raised_at=now - timedelta(days=1))
    response = login(personas.therapist).get(reverse("alert_list"))
    assert response.status_code == 200
    alerts = response.context["open_alerts"]
    assert [a.pk for a in alerts] == [urgent.pk, review_old.pk, review_new.pk]
    html = response.content.decode()
    assert html.index("Urgent") < html.index("Review")
    assert "PHQ-9 item 9: critical answer" in html  # readable reasons from assessments
    assert AuditEntry.objects.filter(
        action="safety.alert.listed", actor=personas.therapist
    ).exists()


def test_another_therapists_alerts_are_not_listed(personas, login):
    make_alert(personas.other_patient)
    response = login(personas.therapist).get(reverse("alert_list"))
    assert response.context["open_alerts"] == []
    response = login(personas.supervisor).get(reverse("alert_list"))
    assert len(response.context["open_alerts"]) == 1
    response = login(personas.outsider_supervisor).get(reverse("alert_list"))
    assert response.context["open_alerts"] == []


def test_the_detail_is_an_audited_patient_read(personas, login):
    alert = make_alert(personas.patient)
    response = login(personas.cover).get(reverse("alert_detail", args=[alert.uuid]))
    assert response.status_code == 200
    assert AuditEntry.objects.filter(
        action="safety.alert.viewed", actor=personas.cover, patient_uuid=personas.patient.uuid
    ).exists()


def test_a_guessed_alert_id_is_404_and_audited(personas, login):
    alert = make_alert(personas.other_patient)
    response = login(personas.therapist).get(reverse("alert_detail", args=[alert.uuid]))
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        action="safety.alert.access_denied", outcome="denied", actor=personas.therapist
    ).exists()


def test_acknowledging_without_a_note_shows_the_form_again(personas, login):
    alert = make_alert(personas.patient)
    client = login(personas.therapist)
    response = client.post(reverse("alert_acknowledge", args=[alert.uuid]), {"note": "  "})
    assert response.status_code == 200
    assert "Write down what you did" in response.content.decode()
    alert.refresh_from_db()
    assert alert.is_open


def test_acknowledging_with_a_note(personas, login):
    alert = make_alert(personas.patient)
    client = login(personas.therapist)
    response = client.post(
        reverse("alert_acknowledge", args=[alert.uuid]), {"note": "Phoned; agreed a safety plan."}
    )
    assert response.status_code == 302 and response["Location"] == reverse("alert_list")
    alert.refresh_from_db()
    assert alert.acknowledgement_note == "Phoned; agreed a safety plan."
    page = client.get(reverse("alert_detail", args=[alert.uuid])).content.decode()
    assert "Phoned; agreed a safety plan." in page and "Acknowledge alert" not in page


def test_acknowledging_twice_says_so_clearly(personas, login):
    alert = make_alert(personas.patient)
    services.acknowledge(actor=personas.cover, alert=alert, note="Called.")
    client = login(personas.therapist)
    response = client.post(
        reverse("alert_acknowledge", args=[alert.uuid]), {"note": "Me too."}, follow=True
    )
    assert response.status_code == 200
    assert "already acknowledged by Cora Cover" in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.cover


def test_acknowledging_is_post_only(personas, login):
    alert = make_alert(personas.patient)
    response = login(personas.therapist).get(reverse("alert_acknowledge", args=[alert.uuid]))
    assert response.status_code == 405
    alert.refresh_from_db()
    assert alert.is_open


def test_the_patient_never_sees_alert_internals(personas, login):
    alert = make_alert(personas.patient)
    client = login(personas.patient.user)
    assert client.get(reverse("alert_list")).status_code == 404
    assert client.get(reverse("alert_detail", args=[alert.uuid])).status_code == 404
    page = client.get(reverse("crisis_help")).content.decode()
    assert "112" in page and "phq9.item9" not in page


# --- crisis resources ---------------------------------------------------------------------------


def test_default_crisis_resources_for_finland():
    en = defaults(language="en")
    assert en.emergency_number == "112" and en.emergency_tel == "112"
    assert en.lines[0].number == "09 2525 0111" and en.lines[0].tel == "0925250111"
    assert "not monitored around the clock" in en.not_monitored
    assert defaults(language="sv").lines[0].number == "09 2525 0112"
    assert defaults(language="fi").lines[0].number == "09 2525 0111"
    assert defaults(language="xx").lines == en.lines


def test_a_clinic_configures_its_own_resources(personas):
    CrisisResourceSet.objects.create(
        clinic=personas.clinic,
        language="en",
        clinic_phone="+358 9 123 456",
        clinic_hours="Mon–Fri 8–16",
        lines=[
            {"name": "Local crisis line", "number": "09 310 44222", "hours": "24/7"},
            {"name": "broken entry"},
        ],
    )
    crisis = crisis_resources(clinic=personas.clinic, language="en")
    assert crisis.clinic_name == "Test Clinic" and crisis.clinic_tel == "+3589123456"
    assert [line.name for line in crisis.lines] == ["Local crisis line"]
    # Finnish: the clinic has no Finnish row, so the Finnish default lines, with the
    # clinic's own phone number.
    fi = crisis_resources(clinic=personas.clinic, language="fi")
    assert fi.lines[0].name == "MIELI Kriisipuhelin" and fi.clinic_phone == "+358 9 123 456"


def test_crisis_resources_never_fail(personas):
    from unittest import mock

    with mock.patch(
        "tandem.safety.models.CrisisResourceSet.objects.filter", side_effect=RuntimeError("db down")
    ):
        crisis = crisis_resources(clinic=personas.clinic, language="en")
    assert crisis.emergency_number == "112" and crisis.lines


def test_the_crisis_partial_has_large_tel_links_and_the_statement(personas):
    html = render_to_string(
        "safety/partials/crisis.html",
        {"crisis": crisis_resources(clinic=personas.clinic, language="en")},
    )
    assert 'role="alert"' in html
    assert 'href="tel:112"' in html and 'href="tel:0925250111"' in html
    assert "not monitored around the clock" in html
    assert 'class="button primary crisis-call"' in html


@pytest.mark.parametrize("who", ["patient", "therapist", "admin", "researcher"])
def test_everyone_can_open_the_help_page(personas, login, who):
    response = login(personas.all_users()[who]).get(reverse("crisis_help"))
    assert response.status_code == 200 and 'href="tel:112"' in response.content.decode()
