"""Passwords (SECURITY.md): at least 12 characters (15 for patients without MFA), up to
128 accepted, no composition rules, common passwords and context words refused,
Argon2id. Password reset: token valid 30 minutes, single use, no sign-in (so MFA still
applies), every session ended."""

import importlib.util
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from tandem.accounts.models import Role
from tests.accounts.flows import MFA_URL, is_signed_in, post_password
from tests.personas import PASSWORD, make_clinic, make_patient, make_user

pytestmark = pytest.mark.django_db

RESET_URL = "/account/password/reset/"
NEW_PASSWORD = "violet harbour morning tide"
PAGE = "/preferences/"  # any page of a signed-in user


def fresh_settings():
    """tandem/settings.py as written (tests override PASSWORD_HASHERS for speed)."""
    spec = importlib.util.spec_from_file_location(
        "tandem_settings_fresh", django_settings.BASE_DIR / "tandem" / "settings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def codes(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list}
    return set()


@pytest.fixture
def clinic():
    return make_clinic("Riverside Clinic")


# --- rules -----------------------------------------------------------------------------------


def test_staff_need_twelve_characters(clinic):
    staff = make_user(Role.THERAPIST, clinic, name="Theo Therapist")
    assert codes("moss quiet owls"[:11], staff) == {"password_too_short"}
    assert codes("moss quiet owls"[:12], staff) == set()


def test_patients_without_mfa_need_fifteen(clinic):
    patient = make_patient(clinic, name="Pat Patient").user
    assert codes("moss quiet owls"[:14], patient) == {"password_too_short"}
    assert codes("moss quiet owls", patient) == set()


def test_patients_with_mfa_need_twelve(clinic):
    from tandem.accounts.demo import give_totp

    patient = make_patient(clinic, name="Pat Patient").user
    give_totp(patient)
    assert codes("moss quiet owls"[:12], patient) == set()
    assert codes("moss quiet owls"[:11], patient) == {"password_too_short"}


def test_a_new_patient_account_needs_fifteen(clinic):
    from tandem.accounts.models import User

    unsaved = User(email="n@test.example", full_name="Nina New", role=Role.PATIENT, clinic=clinic)
    assert codes("moss quiet owls"[:14], unsaved) == {"password_too_short"}


def test_up_to_128_characters_are_accepted(clinic):
    staff = make_user(Role.THERAPIST, clinic, name="Theo Therapist")
    long_passphrase = ("lichen drifts over granite " * 5)[:128]
    assert len(long_passphrase) == 128
    assert codes(long_passphrase, staff) == set()
    assert codes(long_passphrase + "x", staff) == {"password_too_long"}


def test_no_composition_rules(clinic):
    staff = make_user(Role.THERAPIST, clinic, name="Theo Therapist")
    for password in (
        "onlylowercaseletters",
        "ALLCAPSWITHOUTDIGITS",
        "483920174658",
        "spaces and words ok",
        "åäö ünïcödé ääkköset",
    ):
        assert codes(password, staff) == set(), password


def test_common_passwords_are_refused(clinic):
    staff = make_user(Role.THERAPIST, clinic, name="Theo Therapist")
    for password in ("manchesterunited", "qwerty123456789", "123456789101112"):
        assert "password_too_common" in codes(password, staff), password


@pytest.mark.parametrize(
    "password",
    [
        "my tandem account 2031",  # the service's name
        "therapy is helping me",  # the service's purpose
        "SALASANA on hyvä tämä",  # "password" in Finnish
        "my password is long enough",
        "welcome riverside morning",  # the clinic's name
        "theodore therapist friend",  # the user's own name
        "theo.t.mailbox forever",  # the email's local part ("theo")
    ],
)
def test_context_words_are_refused(clinic, password):
    staff = make_user(
        Role.THERAPIST, clinic, name="Theodore Therapist", email="theo.t@test.example"
    )
    assert codes(password, staff) & {"password_context_word", "password_too_similar"}, password


def test_validators_explain_the_rule_in_their_help_text():
    from django.contrib.auth.password_validation import password_validators_help_texts

    text = " ".join(password_validators_help_texts())
    assert "12" in text and "15" in text and "128" in text


# --- hashing ---------------------------------------------------------------------------------


def test_argon2id_is_the_configured_hasher():
    configured = fresh_settings().PASSWORD_HASHERS
    assert configured[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=configured):
        encoded = make_password("lichen drifts over granite")
        assert encoded.startswith("argon2$argon2id$")
        assert identify_hasher(encoded).algorithm == "argon2"


def test_older_hashes_are_upgraded_to_argon2id_at_sign_in(clinic):
    configured = fresh_settings().PASSWORD_HASHERS
    patient = make_patient(clinic).user
    with override_settings(PASSWORD_HASHERS=configured):
        patient.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
        patient.save(update_fields=["password"])
        client = Client()
        post_password(client, patient.email)
        assert is_signed_in(client)
        patient.refresh_from_db()
        assert patient.password.startswith("argon2$argon2id$")


# --- password reset --------------------------------------------------------------------------


def request_reset(email):
    mail.outbox.clear()
    response = Client().post(RESET_URL, {"email": email})
    links = [m for m in mail.outbox if m.to == [email]]
    return response, links


def reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/account/password/reset/key/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def set_new_password(client: Client, link: str, password: str = NEW_PASSWORD):
    """Follow the emailed link; returns the final response."""
    response = client.get(link)
    if response.status_code != 302:
        return response
    form_url = response["Location"]
    return client.post(form_url, {"password1": password, "password2": password})


def token_failed(response) -> bool:
    return response.status_code == 200 and bool(response.context.get("token_fail"))


def test_reset_timeout_is_thirty_minutes():
    assert fresh_settings().PASSWORD_RESET_TIMEOUT == 30 * 60
    assert fresh_settings().ACCOUNT_LOGIN_ON_PASSWORD_RESET is False


def test_reset_answers_known_and_unknown_addresses_alike(clinic):
    patient = make_patient(clinic).user
    known, known_mail = request_reset(patient.email)
    unknown, unknown_mail = request_reset("nobody-here@test.example")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(known_mail) == 1
    # allauth tells an unknown address that it has no account — by email to that
    # address only, never on the page.
    assert all("/account/password/reset/key/" not in m.body for m in unknown_mail)


def test_reset_sets_the_password_without_signing_in(clinic):
    patient = make_patient(clinic).user
    _, (message,) = request_reset(patient.email)
    client = Client()
    response = set_new_password(client, reset_link(message))
    assert response.status_code == 302
    assert response["Location"] == "/account/password/reset/key/done/"
    assert not is_signed_in(client)
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    assert not patient.check_password(PASSWORD)


def test_reset_link_is_single_use(clinic):
    patient = make_patient(clinic).user
    _, (message,) = request_reset(patient.email)
    link = reset_link(message)
    set_new_password(Client(), link)
    again = set_new_password(Client(), link, "another fine passphrase")
    assert token_failed(again)
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)


def test_reset_link_lasts_thirty_minutes(clinic):
    patient = make_patient(clinic).user
    with time_machine.travel("2031-06-01 08:00:00+00:00", tick=False) as traveller:
        _, (first,) = request_reset(patient.email)
        traveller.shift(timedelta(minutes=29))
        _, (second,) = request_reset(patient.email)
        # The first link is still valid at 29 minutes …
        response = Client().get(reset_link(first))
        assert response.status_code == 302
        # … and expired after 30 (checked on the second link at 31 minutes from it).
        traveller.shift(timedelta(minutes=31))
        assert token_failed(set_new_password(Client(), reset_link(second)))
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_reset_does_not_bypass_mfa(clinic):
    staff = make_user(Role.THERAPIST, clinic)
    _, (message,) = request_reset(staff.email)
    client = Client()
    set_new_password(client, reset_link(message))
    assert not is_signed_in(client)
    response = post_password(client, staff.email, NEW_PASSWORD)
    assert response["Location"] == MFA_URL
    assert not is_signed_in(client)


def test_reset_ends_every_session(clinic, login):
    patient = make_patient(clinic).user
    signed_in = Client()
    post_password(signed_in, patient.email)
    assert signed_in.get(PAGE).status_code == 200
    _, (message,) = request_reset(patient.email)
    set_new_password(Client(), reset_link(message))
    response = signed_in.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_reset_refuses_a_weak_new_password(clinic):
    patient = make_patient(clinic).user
    _, (message,) = request_reset(patient.email)
    client = Client()
    response = set_new_password(client, reset_link(message), "short pass")
    assert response.status_code == 200
    assert "Use at least 15 characters" in response.content.decode()
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
