"""The patient's home: their programs with progress and one tap to continue, their care
team, the access log and the crisis box — and nothing for anyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tandem.programs import services
from tests.programs.engine import EXTRAS, T0, enroll, fresh, load

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        yield


def test_home_sends_patients_to_their_journey(personas, login):
    response = login(personas.patient.user).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("journey_home")


def test_home_without_programs(personas, login):
    html = login(personas.patient.user).get(reverse("journey_home")).content.decode()
    assert "Your therapist will add a program for you here." in html
    assert personas.therapist.full_name in html
    assert reverse("my_access_log") in html
    assert "If you need help now" in html


def test_home_lists_programs_with_progress_and_continue(personas, login):
    enrollment = enroll(personas)
    ended = enroll(personas, version=load(EXTRAS))
    services.set_status(actor=personas.therapist, enrollment=ended, status="completed")
    user = personas.patient.user
    services.view_page(
        actor=user, enrollment=fresh(enrollment), module_key="intro", page_id="goals"
    )
    html = login(user).get(reverse("journey_home")).content.decode()
    assert "Steps" in html and "Extras" in html
    assert "0 of 5 modules done" in html
    assert "Continue where I left off" in html
    assert reverse("module_page", args=[enrollment.uuid, "intro", "goals"]) in html
    assert "Completed. You can come back" in html
    # Ongoing programs come first.
    assert html.index("Steps") < html.index("Extras")


def test_nothing_nags(personas, login):
    enrollment = enroll(personas)
    html = (
        login(personas.patient.user)
        .get(reverse("journey_program", args=[enrollment.uuid]))
        .content.decode()
        .lower()
    )
    for word in ("overdue", "late", "behind", "streak", "deadline"):
        assert word not in html


@pytest.mark.parametrize("who", ["therapist", "supervisor", "admin", "researcher"])
def test_journey_home_is_for_patients_only(personas, login, who):
    assert login(personas.all_users()[who]).get(reverse("journey_home")).status_code == 404
