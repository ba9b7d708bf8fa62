"""Passkeys (SECURITY.md "MFA": passkeys where supported): allauth's WebAuthn as a second
factor and for signing in without a password. The browser ceremony itself is exercised
in ``tests/e2e/test_passkeys.py`` with Chromium's virtual authenticator; here: what the
server offers, who may reach it, and that malformed credentials are refused cleanly."""

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.audit.models import AuditEntry
from tests.personas import make_clinic, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic()


def test_the_login_page_offers_a_passkey_with_same_origin_scripts_only():
    response = Client().get(reverse("account_login"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="passkey_login"' in page and 'form="mfa_login"' in page
    assert "Sign in with a passkey" in page
    assert "/static/mfa/js/webauthn.js" in page
    # allauth passes its data in JSON blocks, never inline code: the CSP stays strict.
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp


def test_the_passkey_button_is_translated():
    client = Client(headers={"accept-language": "fi"})
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign in with a passkey" not in page


def test_a_malformed_passkey_is_refused_without_signing_in(clinic):
    client = Client()
    client.get(reverse("account_login"))
    for credential in ("", "not json", '{"id": "x", "type": "public-key"}', "[]"):
        response = client.post(reverse("mfa_login_webauthn"), {"credential": credential})
        assert response.status_code < 500, (credential, response.status_code)
        assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action="accounts.login.succeeded").exists()


def test_adding_a_passkey_needs_a_signed_in_user():
    response = Client().get(reverse("mfa_add_webauthn"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_staff_member_whose_second_factor_is_a_passkey_is_not_sent_to_set_up_totp(clinic, login):
    therapist = make_user(Role.THERAPIST, clinic, mfa=False)
    client = login(therapist)
    response = client.get(reverse("care_triage"))
    assert response.status_code == 302 and "/account/2fa/totp/activate/" in response["Location"]
    _stored_passkey(therapist, passwordless=True)
    assert client.get(reverse("care_triage")).status_code == 200


def test_the_passkey_pages_are_listed_with_the_other_factors(clinic, login):
    therapist = make_user(Role.THERAPIST, clinic)
    page = login(therapist).get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_add_webauthn") in page
    response = login(therapist, Client()).get(reverse("mfa_add_webauthn"))
    # Adding a key is a change to the second factor: a fresh sign-in or re-authentication.
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert "/account/reauthenticate/" in response["Location"]
    else:
        assert "mfa_webauthn_add" in response.content.decode()


def _stored_passkey(user, *, passwordless: bool = False) -> Authenticator:  # type: ignore[no-untyped-def]
    """A passkey as allauth stores it after a registration: a real P-256 public key in
    a "none" attestation (no browser needed to have one on file)."""
    import os

    from cryptography.hazmat.primitives.asymmetric import ec
    from fido2.cose import ES256
    from fido2.utils import sha256, websafe_encode
    from fido2.webauthn import (
        Aaguid,
        AttestationObject,
        AttestedCredentialData,
        AuthenticatorData,
    )

    key = ec.generate_private_key(ec.SECP256R1())
    credential_id = os.urandom(16)
    attested = AttestedCredentialData.create(
        Aaguid.NONE, credential_id, ES256.from_cryptography_key(key.public_key())
    )
    flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT
    data = AuthenticatorData.create(sha256(b"testserver"), flags, 0, attested)
    attestation = AttestationObject.create("none", data, {})
    credential = {
        "id": websafe_encode(credential_id),
        "rawId": websafe_encode(credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": websafe_encode(
                b'{"type":"webauthn.create","challenge":"AAAA","origin":"http://testserver"}'
            ),
            "attestationObject": websafe_encode(bytes(attestation)),
        },
    }
    return Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Laptop", "credential": credential, "passwordless": passwordless},
    )


def _assertion() -> str:
    """A well-formed but unsigned passkey assertion (the shape a browser posts)."""
    import json

    return json.dumps(
        {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {
                "clientDataJSON": "e30",
                "authenticatorData": "AAAA",
                "signature": "AAAA",
            },
        }
    )


def test_the_passkey_step_obeys_the_account_lockout(clinic, settings):
    from tandem.accounts import throttle
    from tests.accounts.flows import MFA_URL, error_text, is_signed_in, post_password

    therapist = make_user(Role.THERAPIST, clinic)
    _stored_passkey(therapist)
    client = Client()
    assert post_password(client, therapist.email)["Location"] == MFA_URL
    for _ in range(settings.TANDEM_LOCKOUT_THRESHOLD):
        throttle.register_failure(email=therapist.email, ip="127.0.0.1")
    response = client.post(MFA_URL, {"credential": _assertion()})
    assert response.status_code == 200 and not is_signed_in(client)
    assert "too many" in error_text(response).lower(), error_text(response)


def test_an_unsigned_assertion_is_refused_at_the_passkey_step(clinic):
    from tests.accounts.flows import MFA_URL, error_text, is_signed_in, post_password

    therapist = make_user(Role.THERAPIST, clinic)
    _stored_passkey(therapist)
    client = Client()
    post_password(client, therapist.email)
    for credential in (_assertion(), "{}", "not json"):
        response = client.post(MFA_URL, {"credential": credential})
        assert response.status_code == 200 and not is_signed_in(client), credential
        assert error_text(response), f"no message for {credential!r}"
