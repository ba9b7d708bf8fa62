"""Issue 4 in a real browser: a patient answers the PHQ-9 on a phone with item 9 = 1, sees
the crisis resources at once (with the follow-up questions, then on the result), and the
therapist finds the alert at the top of their alert list and acknowledges it with a note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.assessments.models import Assignment, Response
from tandem.safety.models import Alert
from tests.e2e.conftest import log_of

pytestmark = pytest.mark.e2e


def test_item9_crisis_resources_and_acknowledgement(
    personas, phone_page, page, sign_in, live_server
):
    now = timezone.now()
    assignment = Assignment.objects.create(
        patient=personas.patient,
        instrument="phq9",
        source="adhoc",
        available_at=now - timedelta(minutes=5),
        due_at=now + timedelta(days=3),
        expires_at=now + timedelta(days=14),
    )
    phone = phone_page
    sign_in(phone, personas.patient.user.email, totp=False)
    phone.goto(live_server.url + reverse("questionnaire_list"))
    with phone.expect_navigation():
        phone.click("section.due-questionnaires a.button")
    # Items 1-8 with the keyboard: Space selects the focused radio, Enter sends the step.
    for number in range(1, 9):
        assert f"Question {number} of 10" in phone.inner_text("main")
        phone.locator(f'input[name="item_{number}"][value="0"]').focus()
        phone.keyboard.press("Space")
        with phone.expect_navigation():
            phone.keyboard.press("Enter")
    phone.locator('label:has(input[name="item_9"][value="1"])').click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Next").click()
    # At once: the follow-up questions, with the crisis resources on the same screen.
    crisis = phone.get_by_role("alert")
    assert crisis.is_visible()
    assert "112" in crisis.inner_text() and "not monitored around the clock" in crisis.inner_text()
    assert phone.locator('a[href="tel:112"]').is_visible()
    for question in ("thoughts", "plan", "intent"):
        phone.locator(f'label:has(input[name="fu_{question}"][value="no"])').click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Next").click()
    phone.locator('label:has(input[name="item_10"][value="1"])').click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send answers").click()
    assert phone.url.endswith(reverse("questionnaire_result", args=[assignment.uuid]))
    assert phone.get_by_role("alert").is_visible()
    assert phone.locator('a[href="tel:0925250111"]').is_visible()
    assert not log_of(phone).page_errors
    response = Response.objects.get()
    assert response.critical and response.tier == "review"
    alert = Alert.objects.get()

    sign_in(page, personas.therapist.email)
    page.goto(live_server.url + reverse("alert_list"))
    first = page.locator("#open-alerts tbody tr").first
    assert "Pat Patient" in first.inner_text() and "Review" in first.inner_text()
    with page.expect_navigation():
        first.get_by_role("link").click()
    assert "Thoughts that you would be better off dead" in page.inner_text("main")
    page.get_by_label("What did you do?").fill("Phoned Pat: no plan or intent; safety plan agreed.")
    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge alert").click()
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.therapist and not alert.is_open
    assert "No open alerts." in page.inner_text("main")
    assert not log_of(page).page_errors
