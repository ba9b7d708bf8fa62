"""Issue 6 in a real browser: the therapist's first screen says who needs attention and
why; they work down the list — answer a message, give feedback on an exercise, snooze a
silence — and each row disappears as it is resolved."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.care.models import Signal, SignalState
from tests.care import factories as care
from tests.e2e.conftest import log_of
from tests.exercises import factories as ex

pytestmark = pytest.mark.e2e


def test_therapist_works_down_the_triage_list(personas, page, sign_in, live_server):
    from tandem.messaging import services as messaging

    enrollment = ex.enroll(personas.patient, by=personas.therapist)
    messaging.send_message(
        actor=personas.patient.user,
        enrollment=enrollment,
        body="Could we talk about the activity plan?",
        client_token=uuid.uuid4(),
    )
    ex.submitted(enrollment, "reflection", ex.REFLECTION_ANSWERS)
    care.signal(personas.patient, "alliance_dip", key="dip")
    assert Signal.objects.filter(state=SignalState.OPEN).count() == 3

    sign_in(page, personas.therapist.email)
    page.goto(live_server.url + reverse("home"))
    assert page.url.endswith(reverse("care_triage"))  # the first screen
    rows = page.locator(".triage-row")
    assert rows.count() == 3
    text = page.inner_text("#triage-rows")
    assert "Message waiting for your reply" in text and "Exercise awaiting feedback" in text

    # 1. the message: one click to the conversation, write, send; the row is gone.
    page.locator(".kind-message_waiting").get_by_role("link", name="Open the conversation").click()
    page.locator("#id_body").fill("Yes, let's look at it together on Thursday.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    page.goto(live_server.url + reverse("care_triage"))
    assert page.locator(".kind-message_waiting").count() == 0
    assert rows.count() == 2

    # 2. the exercise: one click to the entry, write feedback, send; the row is gone.
    page.locator(".kind-exercise_feedback").get_by_role("link", name="Give feedback").click()
    page.locator("#write-feedback textarea").first.fill("Thank you — this shows real work.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    page.goto(live_server.url + reverse("care_triage"))
    assert page.locator(".kind-exercise_feedback").count() == 0

    # 3. the last row: snooze it in place (htmx swaps the rows; no page load).
    row = page.locator(".kind-alliance_dip")
    row.locator("summary").click()
    row.locator("input[type=date]").fill((timezone.localdate() + timedelta(days=3)).isoformat())
    row.get_by_role("button", name="Snooze").click()
    page.wait_for_selector(".kind-alliance_dip", state="detached")
    assert "Nothing needs your attention right now." in page.inner_text("#triage-rows")
    assert not log_of(page).page_errors
    assert Signal.objects.filter(state=SignalState.OPEN).count() == 0
