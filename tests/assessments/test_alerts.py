"""The critical-item flow through the patient's screens: follow-up questions at once,
crisis resources at once — also when alerting fails — and the care team's side."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.assessments import schedules
from tandem.assessments.models import Draft, Response
from tandem.safety.models import Alert
from tests.safety.factories import make_assignment

pytestmark = pytest.mark.django_db


def fill_url(assignment, step=0, mode="item"):  # type: ignore[no-untyped-def]
    return reverse("questionnaire_fill", args=[assignment.uuid]) + f"?step={step}&mode={mode}"


def post_step(client, assignment, step, data, mode="item"):  # type: ignore[no-untyped-def]
    payload = {
        "instrument": assignment.instrument,
        "step": step,
        "mode": mode,
        "action": "next",
        "token": f"tok-{assignment.pk}",
        **data,
    }
    return client.post(reverse("questionnaire_fill", args=[assignment.uuid]), payload)


def answer_phq9(client, assignment, item9, followup=None):  # type: ignore[no-untyped-def]
    """Answer the PHQ-9 one item per screen; returns the last response."""
    for step in range(8):
        response = post_step(client, assignment, step, {f"item_{step + 1}": "1"})
        assert response.status_code == 302, response.content.decode()[:500]
    response = post_step(client, assignment, 8, {"item_9": str(item9)})
    step = 9
    if item9 > 0:
        # the follow-up questions come at once, on the next screen, with crisis resources
        assert response["Location"] == fill_url(assignment, 9)
        page = client.get(response["Location"]).content.decode()
        assert "thoughts of ending your life" in page
        assert 'href="tel:112"' in page and 'role="alert"' in page
        response = post_step(
            client,
            assignment,
            9,
            {f"fu_{k}": ("yes" if v else "no") for k, v in (followup or {}).items()},
        )
        step = 10
    assert response.status_code == 302
    return post_step(client, assignment, step, {"item_10": "1"})


NO = {"thoughts": False, "plan": False, "intent": False}


def test_item9_equals_1_with_all_no_is_a_review_alert_and_shows_crisis_resources(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    response = answer_phq9(client, assignment, 1, NO)
    assert response.status_code == 302
    assert response["Location"] == reverse("questionnaire_result", args=[assignment.uuid])
    stored = Response.objects.get()
    assert stored.critical and stored.tier == "review" and stored.followup == NO
    alert = Alert.objects.get()
    assert (alert.tier, alert.reason, alert.assigned_to) == (
        "review",
        "phq9.item9",
        personas.therapist,
    )
    page = client.get(response["Location"]).content.decode()
    assert 'role="alert"' in page and 'href="tel:112"' in page and "09 2525 0111" in page
    assert "not monitored around the clock" in page
    assert "phq9.item9" not in page and "review" not in page.lower().split("</h1>")[0]


@pytest.mark.parametrize("question", ["thoughts", "plan", "intent"])
def test_a_yes_to_a_followup_question_makes_it_urgent(personas, login, question):
    assignment = make_assignment(personas.patient)
    answer_phq9(login(personas.patient.user), assignment, 1, {**NO, question: True})
    assert Alert.objects.get().tier == "urgent"
    assert Response.objects.get().followup[question] is True


def test_item9_of_2_is_urgent_whatever_the_followup(personas, login):
    assignment = make_assignment(personas.patient)
    answer_phq9(login(personas.patient.user), assignment, 2, NO)
    assert Alert.objects.get().tier == "urgent"


def test_no_followup_and_no_alert_for_item9_equals_0(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    response = answer_phq9(client, assignment, 0)
    assert response.status_code == 302 and not Alert.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'role="alert"' not in page


def test_followup_questions_must_be_answered(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    for step in range(8):
        post_step(client, assignment, step, {f"item_{step + 1}": "0"})
    post_step(client, assignment, 8, {"item_9": "1"})
    response = post_step(client, assignment, 9, {"fu_thoughts": "no"})
    assert response.status_code == 200
    assert "Please answer yes or no." in response.content.decode()
    assert 'href="tel:112"' in response.content.decode()  # still shown


def test_when_alerting_fails_the_patient_still_sees_crisis_resources(personas, login):
    """Decided behaviour: the response is not stored (it would be a critical answer
    without its alert); the patient sees the crisis resources from the clinic's
    configuration and is asked to phone the clinic. The draft keeps the answers."""
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    with mock.patch(
        "tandem.safety.services.raise_alert", side_effect=RuntimeError("alerting is down")
    ):
        response = answer_phq9(client, assignment, 2, {**NO, "plan": True})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and 'href="tel:112"' in page and "09 2525 0111" in page
    assert "not monitored around the clock" in page
    assert "Please contact your clinic by phone" in page
    assert not Response.objects.exists() and not Alert.objects.exists()
    assignment.refresh_from_db()
    assert assignment.completed_at is None
    assert Draft.objects.get(assignment=assignment).answers["9"] == 2


def test_when_the_database_fails_at_submit_crisis_resources_still_show(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    with mock.patch(
        "tandem.assessments.models.Response.objects.create",
        side_effect=RuntimeError("disk I/O error"),
    ):
        response = answer_phq9(client, assignment, 1, NO)
    assert response.status_code == 200 and 'href="tel:112"' in response.content.decode()
    assert not Response.objects.exists() and not Alert.objects.exists()


def test_the_care_team_sees_the_answers_behind_the_alert_and_acknowledges(personas, login):
    assignment = make_assignment(personas.patient)
    answer_phq9(login(personas.patient.user), assignment, 1, {**NO, "thoughts": True})
    alert = Alert.objects.get()
    client = login(personas.therapist)
    listing = client.get(reverse("alert_list")).content.decode()
    assert reverse("alert_detail", args=[alert.uuid]) in listing
    page = client.get(reverse("alert_detail", args=[alert.uuid])).content.decode()
    assert "Thoughts that you would be better off dead" in page
    assert "thoughts of ending your life" in page and "Yes" in page
    response = client.post(
        reverse("alert_acknowledge", args=[alert.uuid]),
        {"note": "Phoned Pat; no plan; safety plan reviewed."},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert not alert.is_open


def test_an_abandoned_critical_draft_still_reaches_the_care_team(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    for step in range(8):
        post_step(client, assignment, step, {f"item_{step + 1}": "0"})
    post_step(client, assignment, 8, {"item_9": "3"})  # then the patient leaves
    draft = Draft.objects.get()
    assert draft.critical_at is not None
    assert schedules.alert_abandoned_critical_drafts(timezone.now()) == 0  # not yet
    later = timezone.now() + schedules.ABANDONED_CRITICAL_DRAFT + timedelta(minutes=1)
    assert schedules.alert_abandoned_critical_drafts(later) == 1
    alert = Alert.objects.get()
    assert alert.tier == "urgent" and alert.reason == "phq9.item9.unsubmitted"
    assert schedules.alert_abandoned_critical_drafts(later) == 0  # once
    page = login(personas.therapist).get(reverse("alert_detail", args=[alert.uuid]))
    assert "did not send this questionnaire" in page.content.decode()
