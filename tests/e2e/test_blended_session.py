"""Issue 7 in a real browser: the therapist opens tomorrow's agenda (built from the online
work), works through it, records the session note, gives homework; the patient sees it
"between our sessions" on a phone and ticks it off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.blended.models import AgendaItem, Homework, SessionNote
from tests.blended import factories
from tests.e2e.conftest import log_of
from tests.exercises import factories as ex

pytestmark = pytest.mark.e2e


def _failed(page) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    failed: list[tuple[int, str]] = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    return failed


def test_agenda_note_homework_and_the_patient_on_a_phone(
    personas, page, new_page, sign_in, live_server
):
    now = timezone.now()
    enrollment = factories.blended(
        personas.patient, by=personas.therapist, started_at=now - timedelta(days=20)
    )
    factories.session(enrollment, personas.therapist, now - timedelta(days=7), status="attended")
    tomorrow = factories.session(enrollment, personas.therapist, now + timedelta(days=1))
    factories.session(enrollment, personas.therapist, now + timedelta(days=8))
    ex.submitted(
        enrollment,
        "reflection",
        {"responses": {"matters": "Being a good father to my kids", "notice": ""}},
    )

    failed = _failed(page)
    sign_in(page, personas.therapist.email)
    page.goto(live_server.url + reverse("blended_schedule"))
    page.get_by_role("link", name="Prepare").first.click()
    assert page.url.endswith(reverse("blended_agenda", args=[tomorrow.uuid]))
    assert "Being a good father to my kids" in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("button", name="Prepare the agenda from the online work").click()
    items = page.locator(".agenda-item")
    assert items.count() >= 2
    # Tick the first point without a page load (htmx).
    items.first.get_by_role("button", name="Mark as done").click()
    page.wait_for_selector(".agenda-item.is-done")
    assert AgendaItem.objects.filter(appointment=tomorrow, done=True).count() == 1

    # Give homework from the work view: a task of our own.
    page.get_by_role("link", name="Give homework").click()
    page.select_option("#id_task", value="custom:")
    page.fill("#id_text", "Play a board game with the kids on Saturday")
    with page.expect_navigation():
        page.get_by_role("button", name="Give homework").click()
    assert page.url.endswith(reverse("blended_agenda", args=[tomorrow.uuid]))
    assert "Play a board game" in page.inner_text("main")

    # The note, prefilled from the agenda; saved and signed.
    page.get_by_role("link", name="Session note").click()
    assert "Play a board game" in page.input_value("#id_new_homework")
    page.fill("#id_main_work", "Values: time with the children.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the note").click()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Sign", exact=True).click()
    assert SessionNote.objects.get(appointment=tomorrow).is_signed
    assert not failed and not log_of(page).page_errors

    # The patient, on a phone.
    phone = new_page("phone")
    sign_in(phone, personas.patient.user.email, totp=False)
    phone_failed = _failed(phone)
    phone.goto(live_server.url + reverse("journey_home"))
    card = phone.locator(".between-sessions")
    assert "Play a board game with the kids on Saturday" in card.inner_text()
    with phone.expect_navigation():
        card.get_by_role("button", name="I did this").click()
    assert Homework.objects.get().is_done
    phone.goto(live_server.url + reverse("blended_my_sessions"))
    text = phone.inner_text("main")
    assert "Done" in text and "Play a board game" in text
    assert not phone_failed and not log_of(phone).page_errors
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must fit a phone without sideways scrolling"
