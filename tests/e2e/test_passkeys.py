"""Passkeys in a real browser (SECURITY.md "MFA": passkeys where supported): a therapist
adds one from the two-factor page, signs out, and signs in again with the passkey alone
— no password, no code — using Chromium's virtual authenticator (DevTools' WebAuthn
domain, as a phone's or laptop's platform authenticator would answer)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator

from tandem.audit.models import AuditEntry
from tests.e2e.conftest import log_of
from tests.personas import PASSWORD

pytestmark = pytest.mark.e2e


def _virtual_authenticator(page: Any) -> Any:
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable", {"enableUI": False})
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return session


def test_a_therapist_adds_a_passkey_and_signs_in_with_it_alone(
    personas, page, sign_in, live_server
):
    assert live_server.url.startswith("http://localhost:"), "WebAuthn needs a domain"
    therapist = personas.therapist
    sign_in(page, therapist.email)  # password and TOTP
    _virtual_authenticator(page)

    # Add a passwordless key from the two-factor page.
    page.goto(live_server.url + "/account/2fa/")
    with page.expect_navigation():
        page.locator("a[href='/account/2fa/webauthn/add/']").first.click()
    if "/account/reauthenticate/" in page.url:  # a change to the second factor: confirm
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form[method=post] button[type=submit]")
    page.fill("input[name=name]", "Work laptop")
    page.check("input[name=passwordless]")
    with page.expect_navigation():
        page.click("#mfa_webauthn_add")
    key = Authenticator.objects.get(user=therapist, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Work laptop" and key.wrap().is_passwordless
    assert AuditEntry.objects.filter(actor=therapist, action="accounts.mfa.added").exists()

    # Sign out, then sign in with the passkey: no password, no TOTP code.
    page.goto(live_server.url + "/")
    page.locator("details.menu summary").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    page.goto(live_server.url + "/account/login/")
    with page.expect_navigation():
        page.click("#passkey_login")
    assert "/account/login/" not in page.url and "/account/2fa/" not in page.url, page.url
    assert page.get_by_role("heading", level=1).first.is_visible()
    assert (
        AuditEntry.objects.filter(actor=therapist, action="accounts.login.succeeded").count() == 2
    )
    log = log_of(page)
    assert not log.page_errors, log.page_errors
    assert not [e for e in log.console_errors if "Content Security Policy" in e]
