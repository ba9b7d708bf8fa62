"""Between contacts, on a phone: the patient checks in (mood, a feeling, a note) in a few
taps, opens a coping tool and their safety plan from the header in one tap, edits the
plan, and sets quiet hours for reminders. Nothing leaves the origin; no page errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tandem.notifications.models import NotificationPreferences
from tandem.wellbeing.models import CheckIn
from tandem.wellbeing.services import current_plan
from tests.e2e.conftest import log_of

pytestmark = pytest.mark.e2e


def test_check_in_coping_safety_plan_and_quiet_hours(live_server, personas, phone_page, sign_in):
    patient = personas.patient
    page = sign_in(phone_page, patient.user.email, totp=False)

    # A check-in: mood 4, a feeling, a short note; one screen, then saved.
    page.goto(live_server.url + "/wellbeing/check-in/")
    page.locator("fieldset.mood label.tap", has_text="4").first.click()
    page.locator(".emotion label.chip").first.click()
    page.get_by_label("Anything you want to note?").fill("A long day, but I went for a walk.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save check-in").click()
    expect(page.locator(".messages")).to_contain_text("Check-in saved")
    checkin = CheckIn.objects.get(patient=patient)
    assert checkin.mood == 4 and "walk" in checkin.note

    # The coping tools and the safety plan are one tap away from the page header.
    page.get_by_role("link", name="Coping tools").first.click()
    expect(page.locator("main h1")).to_be_visible()
    page.locator("main a[href*='/wellbeing/tools/']").first.click()
    expect(page.locator("main h1")).to_be_visible()
    page.get_by_role("link", name="Safety plan").first.click()
    page.get_by_label("My warning signs").fill("Not sleeping, staying in bed all day.")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".messages")).to_contain_text("Safety plan saved")
    _plan, version = current_plan(patient)
    assert "Not sleeping" in version.content["warning_signs"]

    # Quiet hours for reminders, in the patient's own time.
    page.goto(live_server.url + "/notifications/settings/")
    page.get_by_label("Quiet from").fill("21:00")
    page.get_by_label("Quiet until").fill("09:00")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    prefs = NotificationPreferences.objects.get(user=patient.user)
    assert prefs.quiet_start.strftime("%H:%M") == "21:00"
    assert prefs.quiet_end.strftime("%H:%M") == "09:00"

    log = log_of(page)
    assert not log.page_errors
    assert not log.foreign_requests(live_server.url)
