"""The safety plan: encrypted, versioned, edited by the patient and the care team
together (conflicts caught), one tap from every patient page."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.urls import reverse

from tandem.core import crypto
from tandem.wellbeing import services
from tandem.wellbeing.models import SafetyPlan, SafetyPlanVersion

pytestmark = pytest.mark.django_db


def plan_data(version: int, **sections: str) -> dict[str, object]:
    return {"base_version": version, **sections}


def test_patient_and_therapist_edit_together(personas, login):
    canary = "CANARY-" + uuid.uuid4().hex
    patient = login(personas.patient.user)
    own = reverse("wellbeing_safety_plan")
    response = patient.post(
        own, plan_data(0, warning_signs=f"I stop sleeping {canary}", helpers="My sister")
    )
    assert response.status_code == 302
    therapist = login(personas.therapist)
    team_url = reverse("wellbeing_patient_safety_plan", args=[personas.patient.uuid])
    html = therapist.get(team_url).content.decode()
    assert canary in html
    response = therapist.post(
        team_url,
        plan_data(
            1,
            warning_signs=f"I stop sleeping {canary}",
            helpers="My sister",
            safe_environment="Pills kept by my sister",
        ),
    )
    assert response.status_code == 302
    html = patient.get(own).content.decode()
    assert "Pills kept by my sister" in html
    assert f"last edited by {personas.therapist.full_name}" in html
    assert SafetyPlanVersion.objects.count() == 2
    old = patient.get(own + "?version=1").content.decode()
    assert "Version 1 (earlier)" in old
    assert patient.get(own + "?version=9").status_code == 404
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM wellbeing_safetyplanversion")
        rows = [row[0] for row in cursor.fetchall()]
    assert all(raw.startswith(crypto.PREFIX) and canary not in raw for raw in rows)


def test_a_stale_edit_is_a_conflict_not_a_lost_update(personas, login):
    services.save_plan(
        actor=personas.patient.user,
        patient=personas.patient,
        content={"coping": "walk"},
        base_version=0,
    )
    services.save_plan(
        actor=personas.therapist,
        patient=personas.patient,
        content={"coping": "walk, music"},
        base_version=1,
    )
    response = login(personas.patient.user).post(
        reverse("wellbeing_safety_plan"), plan_data(1, coping="walk, bath")
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "saved a newer version" in html and "walk, bath" in html
    assert SafetyPlan.objects.get().version == 2


def test_empty_plan_is_refused_clearly(personas, login):
    response = login(personas.patient.user).post(reverse("wellbeing_safety_plan"), plan_data(0))
    assert response.status_code == 400
    assert "at least one section" in response.content.decode()
    assert not SafetyPlanVersion.objects.exists()


def test_who_may_edit(personas, login):
    url = reverse("wellbeing_patient_safety_plan", args=[personas.patient.uuid])
    assert login(personas.supervisor).get(url).status_code == 200
    assert login(personas.supervisor).post(url, plan_data(0, coping="x")).status_code == 404
    assert login(personas.other_therapist).post(url, plan_data(0, coping="x")).status_code == 404
    assert login(personas.outsider).get(url).status_code == 404
    assert not SafetyPlanVersion.objects.exists()


def test_safety_plan_and_coping_tools_are_one_tap_from_every_patient_page(personas, login):
    client = login(personas.patient.user)
    for name in (
        "home",
        "my_access_log",
        "preferences",
        "wellbeing_checkin",
        "wellbeing_tools",
        "messaging_inbox",
    ):
        response = client.get(reverse(name), follow=True)
        html = response.content.decode()
        assert f'href="{reverse("wellbeing_safety_plan")}"' in html, name
        assert f'href="{reverse("wellbeing_tools")}"' in html, name
    staff = login(personas.therapist).get(reverse("messaging_inbox")).content.decode()
    assert 'class="quick-links"' not in staff


@pytest.mark.parametrize("language", ["en", "fi", "sv"])
def test_coping_tools_in_every_language(personas, login, language):
    personas.patient.user.language = language
    personas.patient.user.save()
    client = login(personas.patient.user)
    html = client.get(reverse("wellbeing_tools")).content.decode()
    for slug in ("breathing", "grounding", "urge-surfing", "worry-time", "self-compassion"):
        assert reverse("wellbeing_tool", args=[slug]) in html
        page = client.get(reverse("wellbeing_tool", args=[slug]))
        assert page.status_code == 200
        assert "style=" not in page.content.decode()
    breathing = client.get(reverse("wellbeing_tool", args=["breathing"])).content.decode()
    assert 'class="breath-circle"' in breathing and "breathing.js" in breathing
    assert client.get(reverse("wellbeing_tool", args=["nope"])).status_code == 404
