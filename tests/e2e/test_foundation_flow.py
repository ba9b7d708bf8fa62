"""Issue 2 in a real browser: sign-in with TOTP, inviting a patient, the patient's first
visit on a phone, the security headers and the no-other-origin rule, keyboard-only
sign-in and the MFA set-up that staff cannot skip."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tandem.accounts.models import CareTeamMember, Patient, Role
from tests.e2e.conftest import log_of
from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.e2e

NEW_PATIENT_PASSWORD = "maple river quiet lantern"
INVITE_LINK = re.compile(r"https?://\S+/invite/[A-Za-z0-9_-]+/")


def _assert_clean(page, origin: str) -> None:  # type: ignore[no-untyped-def]
    log = log_of(page)
    assert not log.foreign_requests(origin), f"requests to another origin: {log.requests}"
    assert not log.console_errors, f"console errors: {log.console_errors}"
    assert not log.page_errors, f"uncaught script errors: {log.page_errors}"


def test_therapist_invites_patient_who_accepts_on_a_phone(
    personas, page, new_page, sign_in, live_server, settings
):
    settings.SITE_URL = live_server.url
    therapist = personas.therapist

    # The therapist signs in with password and TOTP and lands on their own start page.
    sign_in(page, therapist.email)
    assert page.get_by_role("heading", level=1).first.is_visible()

    # Invite a patient through the menu.
    page.locator("details.menu summary").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invite a patient").click()
    page.wait_for_url("**/patients/invite/")
    page.get_by_label("Full name").fill("Ilona Aaltonen")
    page.get_by_label("Email address").fill("ilona.aaltonen@test.example")
    with page.expect_navigation():
        page.get_by_role("button", name="Send invitation").click()
    assert page.url.endswith("/patients/")
    assert "Invitation sent to ilona.aaltonen@test.example" in page.inner_text("main")

    # The invitation email carries the single-use link and nothing clinical.
    sent = [m for m in mail.outbox if "ilona.aaltonen@test.example" in m.to]
    assert len(sent) == 1, f"expected one invitation email, outbox has {len(mail.outbox)}"
    links = INVITE_LINK.findall(sent[0].body)
    assert len(links) == 1, sent[0].body
    link = links[0]
    assert link.startswith(live_server.url)

    # The patient opens it on a phone, in a browser that knows nothing of the therapist.
    phone = new_page("phone")
    response = phone.goto(link)
    assert response is not None and response.status == 200
    assert phone.get_by_role("heading", name="Welcome to Tandem").is_visible()
    assert phone.get_by_label("Your name").input_value() == "Ilona Aaltonen"
    phone.get_by_label("Choose a password").fill(NEW_PATIENT_PASSWORD)
    phone.get_by_label("Type the password again").fill(NEW_PATIENT_PASSWORD)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Create my account").click()

    # … and lands on their home page, signed in, with their therapist on the care team
    # and the crisis information in view.
    assert "/invite/" not in phone.url and "/account/" not in phone.url, phone.url
    assert phone.get_by_role("heading", level=1).inner_text() == "Hello, Ilona Aaltonen"
    assert therapist.full_name in phone.inner_text("main")
    assert phone.get_by_role("heading", name="If you need help now").is_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390, (
        "the patient's home page must not scroll sideways on a phone"
    )
    _assert_clean(phone, live_server.url)

    patient = Patient.objects.get(user__email="ilona.aaltonen@test.example")
    assert patient.clinic_id == therapist.clinic_id
    assert CareTeamMember.objects.active().filter(patient=patient, therapist=therapist).exists()

    # The link is single-use: opening it again shows a clear page, not an error.
    again = new_page("phone")
    response = again.goto(link)
    assert response is not None and response.status == 410
    assert "already been used" in again.inner_text("main")

    # The new patient shows in the therapist's caseload.
    page.reload()
    assert "Ilona Aaltonen" in page.inner_text("main")


@pytest.mark.viewport("phone")
def test_login_page_and_patient_home_stay_on_our_origin(personas, page, sign_in, live_server):
    response = page.goto(live_server.url + "/account/login/")
    assert response is not None and response.status == 200
    csp = response.headers.get("content-security-policy", "")
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp, f"{directive!r} missing from CSP {csp!r}"
    assert "'unsafe-inline'" not in csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "same-origin"
    assert response.headers.get("cross-origin-opener-policy") == "same-origin"
    assert "camera=()" in response.headers.get("permissions-policy", "")
    page.wait_for_load_state("networkidle")
    _assert_clean(page, live_server.url)
    assert any(url.endswith(".css") for url in log_of(page).requests), "stylesheet not loaded"

    log_of(page).clear()
    sign_in(page, personas.patient.user.email, totp=False)
    response = page.reload()
    assert response is not None
    assert "default-src 'self'" in response.headers.get("content-security-policy", "")
    assert "no-store" in response.headers.get("cache-control", "")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Pat Patient"
    _assert_clean(page, live_server.url)


def test_keyboard_only_sign_in_with_totp(personas, page, sign_in, live_server):
    sign_in(page, personas.therapist.email, keyboard=True)
    # Signed in: the therapist's own patient list opens.
    page.goto(live_server.url + "/patients/")
    assert page.url.endswith("/patients/"), page.url
    assert "Pat Patient" in page.inner_text("main")
    _assert_clean(page, live_server.url)


def test_staff_without_mfa_is_sent_to_set_it_up(personas, page, sign_in, live_server, totp_codes):
    newcomer = make_user(Role.THERAPIST, personas.clinic, name="Nina Newcomer", mfa=False)
    sign_in(page, newcomer.email, totp=False)
    assert "Staff accounts need two-factor authentication" in page.inner_text("main")
    # allauth asks for the password again before a second factor is added.
    if "/account/reauthenticate/" in page.url:
        assert "next=%2Faccount%2F2fa%2Ftotp%2Factivate%2F" in page.url, page.url
        page.locator("main input[type=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
    assert "/account/2fa/totp/activate/" in page.url, page.url

    # Every other page sends them back to the set-up page.
    for path in ("/", "/patients/", "/patients/invite/", "/preferences/"):
        page.goto(live_server.url + path)
        assert "/account/2fa/totp/activate/" in page.url, f"{path} reachable without MFA"

    # Setting up TOTP opens the rest of the app.
    secret = page.locator("#authenticator_secret").input_value()
    assert secret
    page.locator("main form input[name=code]").fill(totp_codes.next(newcomer.email, secret))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(live_server.url + "/patients/")
    assert page.url.endswith("/patients/"), page.url
    _assert_clean(page, live_server.url)
