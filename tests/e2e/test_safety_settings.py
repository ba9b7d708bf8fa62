"""The clinic's settings in a real browser. The supervisor corrects the Finnish
crisis line from the menu, a wrong number is explained on the page, and a Finnish-speaking
patient on a phone then finds the clinic's own line, callable, on "Get help now". An
administrator sets the reminders every patient gets until they choose."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_of

pytestmark = pytest.mark.e2e


def test_the_supervisor_sets_the_crisis_line_and_the_patient_can_call_it(
    personas, page, phone_page, sign_in, live_server
):
    sign_in(page, personas.supervisor.email)
    page.locator("details.menu summary").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Safety settings").click()
    with page.expect_navigation():
        page.locator("a[href$='/safety/settings/crisis/fi/']").click()

    page.fill("input[name=line_1_name]", "Alueen kriisikeskus")
    page.fill("input[name=line_1_number]", "040 123 four")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Enter a phone number" in page.locator("main").inner_text()
    page.fill("input[name=line_1_number]", "040 123 4567")
    page.fill("input[name=line_1_hours]", "joka päivä 9–21")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert page.url.endswith("/safety/settings/")
    assert "Alueen kriisikeskus: 040 123 4567" in page.locator("main").inner_text()

    patient = personas.patient.user
    patient.language = "fi"
    patient.save(update_fields=["language"])
    sign_in(phone_page, patient.email, totp=False)
    phone_page.goto(live_server.url + "/help/")
    call = phone_page.locator("a.crisis-call[href='tel:0401234567']")
    assert call.is_visible() and "Alueen kriisikeskus" in call.inner_text()
    for checked in (page, phone_page):
        log = log_of(checked)
        assert not log.page_errors and not log.console_errors, (log.page_errors, log.console_errors)


def test_an_administrator_sets_the_clinic_s_reminder_defaults(personas, page, sign_in):
    from tandem.notifications.models import ClinicReminderDefaults

    sign_in(page, personas.admin.email)
    page.locator("details.menu summary").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Reminder defaults").click()
    page.get_by_label("The therapist has written").uncheck()
    page.fill("input[name=quiet_start]", "22:00")
    page.fill("input[name=quiet_end]", "22:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Quiet hours must end at a different time" in page.locator("main").inner_text()
    page.fill("input[name=quiet_end]", "07:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Reminder defaults saved." in page.inner_text("body")
    defaults = ClinicReminderDefaults.objects.get(clinic=personas.clinic)
    assert defaults.remind_new_message is False and defaults.quiet_end.hour == 7
    assert not log_of(page).page_errors
