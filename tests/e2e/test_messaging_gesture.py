"""Issue 5 in a real browser: from a submitted exercise the therapist sends an edited
gesture in two clicks (open the composer from the signal's link, send); the patient
reads it on a phone, sees who it is about, and can answer the alliance pulse in a tap."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.urls import reverse

from tandem.messaging.models import AlliancePulse, Message
from tests.e2e.conftest import log_of
from tests.messaging import factories

pytestmark = pytest.mark.e2e


def _watch(page) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Failed responses of a page (the browser's own favicon request is not one of them)."""
    failed: list[tuple[int, str]] = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    return failed


def test_gesture_from_a_submitted_exercise_read_on_a_phone(
    personas, page, new_page, sign_in, live_server
):
    enrollment = factories.enroll(personas.patient, by=personas.therapist)
    event = factories.exercise_submitted(
        enrollment, answers={"thought": "Nobody ever calls me back"}
    )
    conversation_url = reverse("messaging_conversation", args=[enrollment.uuid])

    failed = _watch(page)
    sign_in(page, personas.therapist.email)
    # Click 1: the signal's link opens the composer with a suggestion.
    page.goto(
        f"{live_server.url}{conversation_url}?context=exercise_submitted&ref={event.ref_uuid}"
    )
    body = page.locator("#id_body")
    suggestion = body.input_value()
    assert suggestion.startswith("Hi Pat,") and "Nobody ever calls me back" in suggestion
    assert page.locator(".move-present").count() == 5
    # The therapist edits the text; the checklist follows (htmx, 500 ms).
    body.fill("Hi Pat, thank you for the thought record. Would you like to talk about it?")
    page.wait_for_function("() => document.querySelectorAll('#moves .move-present').length === 3")
    # Click 2: send.
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    message = Message.objects.get()
    assert message.body.startswith("Hi Pat, thank you for the thought record.")
    assert message.ref_type == "exercise" and message.functions == ["autonomy", "alliance"]
    assert not failed and not log_of(page).page_errors

    phone = new_page("phone")
    sign_in(phone, personas.patient.user.email, totp=False)
    phone_failed = _watch(phone)  # from here on: the messaging pages
    phone.goto(live_server.url + reverse("messaging_inbox"))
    assert phone.url.endswith(conversation_url)
    text = phone.inner_text("main")
    assert "thank you for the thought record" in text
    assert "About: Thought record" in text
    assert phone.get_by_role("link", name="Safety plan").first.is_visible()
    # The patient's visit marks the message read (htmx POST on load).
    for _ in range(50):
        try:
            message.refresh_from_db()
        except OperationalError:  # the live server is writing (shared in-memory SQLite)
            message.read_at = None
        if message.read_at is not None:
            break
        phone.wait_for_timeout(100)
    assert message.read_at is not None
    # One tap on the pulse.
    tap = phone.get_by_role("button", name="I felt understood: 5 of 5")
    tap.click()
    tap.wait_for(state="detached")  # htmx swapped the card: the second item is left
    assert phone.get_by_role("button", name="This helps me continue: 4 of 5").is_visible()
    assert AlliancePulse.objects.get().understood == 5
    assert not phone_failed and not log_of(phone).page_errors
