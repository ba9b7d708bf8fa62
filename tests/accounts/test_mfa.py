"""Second factor (SECURITY.md "MFA"): mandatory for every staff role, TOTP ±1 step,
single-use codes, recovery codes once, re-authentication and a notice when MFA changes,
a new session key at each step, and no unlimited guessing of codes."""

import time
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.test import Client
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.audit.models import AuditEntry
from tests.access_matrix import MATRIX
from tests.accounts.flows import (
    MFA_URL,
    TOTP_SETUP_URL,
    is_signed_in,
    post_code,
    post_password,
    sign_in,
    step_start,
)
from tests.personas import PASSWORD, make_clinic, make_patient, make_user, totp_now

pytestmark = pytest.mark.django_db

STEP = 65_000_000  # a fixed TOTP step (2031-10-20), frozen for the time-sensitive tests
STAFF = [Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN, Role.RESEARCHER]


@pytest.fixture
def clinic():
    return make_clinic()


@pytest.fixture
def therapist(clinic):
    return make_user(Role.THERAPIST, clinic)


def code_at(step: int) -> str:
    from tandem.accounts.demo import DEMO_TOTP_SECRET

    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, step))


# --- the sign-in flow ------------------------------------------------------------------------


def test_staff_password_alone_does_not_sign_in(therapist):
    client = Client()
    response = post_password(client, therapist.email)
    assert response.status_code == 302
    assert response["Location"] == MFA_URL
    assert not is_signed_in(client)
    # Nothing but the second-factor page is reachable in between.
    page = client.get(reverse("patient_list"))
    assert page.status_code == 302 and page["Location"].startswith("/account/login/")


def test_staff_sign_in_with_totp(therapist):
    client = Client()
    post_password(client, therapist.email)
    response = post_code(client, totp_now())
    assert response.status_code == 302
    assert is_signed_in(client)
    assert client.get(reverse("patient_list")).status_code == 200
    login = AuditEntry.objects.filter(action="accounts.login.succeeded", actor=therapist)
    assert login.get().ip == "127.0.0.1"
    assert AuditEntry.objects.filter(action="accounts.mfa.used", actor=therapist).exists()


def test_wrong_code_is_refused_and_audited(therapist):
    client = Client()
    post_password(client, therapist.email)
    wrong = "000000" if totp_now() != "000000" else "111111"
    response = post_code(client, wrong)
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not is_signed_in(client)
    failed = AuditEntry.objects.get(action="accounts.mfa.failed")
    assert failed.actor == therapist and failed.outcome == "failed"


def test_patient_without_mfa_signs_in_with_password(clinic):
    patient = make_patient(clinic).user
    client = Client()
    response = post_password(client, patient.email)
    assert response.status_code == 302 and response["Location"] == "/"
    assert is_signed_in(client)
    assert client.get(reverse("preferences")).status_code == 200


def test_patient_with_mfa_is_asked_for_the_code(clinic):
    patient = make_user(Role.PATIENT, clinic, mfa=True)
    client = Client()
    assert post_password(client, patient.email)["Location"] == MFA_URL
    post_code(client, totp_now())
    assert is_signed_in(client)


# --- TOTP tolerance and replay ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
def test_totp_tolerance_is_one_step(therapist, offset, accepted):
    with time_machine.travel(step_start(STEP) + timedelta(seconds=10), tick=False):
        client = Client()
        post_password(client, therapist.email)
        post_code(client, code_at(STEP + offset))
        assert is_signed_in(client) is accepted


def test_a_code_cannot_be_used_twice(therapist):
    with time_machine.travel(step_start(STEP) + timedelta(seconds=1), tick=False):
        first = Client()
        sign_in(first, therapist, code=code_at(STEP))
        assert is_signed_in(first)
        second = Client()
        post_password(second, therapist.email)
        response = post_code(second, code_at(STEP))
        assert response.status_code == 200
        assert not is_signed_in(second)


def test_a_code_stays_used_for_its_whole_validity_window(clinic, therapist):
    twin = make_user(Role.THERAPIST, clinic)  # same demo secret, another account
    with time_machine.travel(step_start(STEP) + timedelta(seconds=1), tick=False) as traveller:
        sign_in(Client(), therapist, code=code_at(STEP))
        # 58 s later (the last second of the next step) the code is still within the
        # ±1-step tolerance …
        traveller.shift(timedelta(seconds=58))
        assert int(time.time()) // 30 == STEP + 1
        # … so the twin may use it, but the account that used it may not.
        twin_client = Client()
        sign_in(twin_client, twin, code=code_at(STEP))
        assert is_signed_in(twin_client)
        replay = Client()
        sign_in(replay, therapist, code=code_at(STEP))
        assert not is_signed_in(replay)


def test_recovery_codes_work_once(therapist):
    codes = RecoveryCodes.activate(therapist).generate_codes()
    client = Client()
    sign_in(client, therapist, code=codes[0])
    assert is_signed_in(client)
    again = Client()
    sign_in(again, therapist, code=codes[0])
    assert not is_signed_in(again)
    other = Client()
    sign_in(other, therapist, code=codes[1])
    assert is_signed_in(other)


def test_mfa_codes_cannot_be_guessed_without_limit(therapist):
    """Ten wrong codes lock the account like ten wrong passwords: the right code and the
    right password are refused during the cool-off, then accepted."""
    with time_machine.travel(step_start(STEP) + timedelta(seconds=1), tick=False) as traveller:
        attacker = Client()
        assert post_password(attacker, therapist.email)["Location"] == MFA_URL
        wrong = [
            f"{n:06d}"
            for n in range(200)
            if f"{n:06d}" not in {code_at(STEP + d) for d in (-1, 0, 1)}
        ]
        for guess in wrong[:10]:
            post_code(attacker, guess)
        post_code(attacker, code_at(STEP))
        assert not is_signed_in(attacker)
        # A second pending sign-in prepared before the lock gains nothing either.
        fresh = Client()
        response = post_password(fresh, therapist.email)
        assert response.status_code == 200
        assert not is_signed_in(fresh)

        traveller.shift(timedelta(minutes=15, seconds=1))
        client = Client()
        sign_in(client, therapist)
        assert is_signed_in(client)


def test_parallel_pending_sign_ins_share_the_code_limit(therapist):
    with time_machine.travel(step_start(STEP) + timedelta(seconds=1), tick=False):
        pending = [Client() for _ in range(3)]
        for client in pending:
            assert post_password(client, therapist.email)["Location"] == MFA_URL
        wrong = iter(
            f"{n:06d}"
            for n in range(300)
            if f"{n:06d}" not in {code_at(STEP + d) for d in (-1, 0, 1)}
        )
        for client in pending:
            for _ in range(4):
                post_code(client, next(wrong))
        # Twelve wrong codes in all: every pending sign-in is now refused the right code.
        for client in pending:
            response = post_code(client, code_at(STEP))
            assert not is_signed_in(client)
            assert response.status_code in (200, 302)


# --- session fixation ------------------------------------------------------------------------


def test_new_session_key_after_password_and_after_mfa(therapist):
    client = Client()
    client.get("/account/login/")
    planted = client.session.session_key
    assert planted
    post_password(client, therapist.email)
    after_password = client.session.session_key
    post_code(client, totp_now())
    after_mfa = client.session.session_key
    assert is_signed_in(client)
    assert len({planted, after_password, after_mfa}) == 3


def test_new_session_key_at_patient_login(clinic):
    patient = make_patient(clinic).user
    client = Client()
    client.get("/account/login/")
    planted = client.session.session_key
    post_password(client, patient.email)
    assert is_signed_in(client)
    assert client.session.session_key != planted


# --- mandatory MFA for staff -----------------------------------------------------------------


def _pages(personas):
    """Every project page that a signed-in user could open, with real arguments."""
    for name, rule in sorted(MATRIX.items()):
        if name in {"healthz", "set_language"}:
            continue
        yield name, reverse(name, kwargs=rule.kwargs(personas))
    yield "account_email", reverse("account_email")
    yield "account_change_password", reverse("account_change_password")


@pytest.mark.parametrize("role", STAFF)
def test_staff_without_authenticator_reach_only_the_setup_page(personas, login, role):
    user = make_user(role, personas.clinic, mfa=False)
    client = login(user)
    for name, url in _pages(personas):
        response = client.get(url)
        assert response.status_code == 302, f"{role} without MFA reached {name}"
        assert response["Location"] == TOTP_SETUP_URL, name
        response = client.post(url, {})
        assert response.status_code in (302, 403), f"{role} without MFA posted to {name}"
        if response.status_code == 302:
            assert response["Location"] == TOTP_SETUP_URL, name
    # The way out stays open: the setup page (after re-authentication) and sign-out.
    setup = client.get(TOTP_SETUP_URL)
    assert setup.status_code == 302
    assert setup["Location"].startswith("/account/reauthenticate/")
    assert client.get("/account/reauthenticate/").status_code == 200
    assert client.post("/account/logout/").status_code == 302
    assert not is_signed_in(client)


def test_htmx_requests_without_mfa_are_redirected_too(personas, login):
    user = make_user(Role.THERAPIST, personas.clinic, mfa=False)
    response = login(user).get(reverse("patient_list"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == TOTP_SETUP_URL


def test_patient_without_mfa_is_not_sent_to_setup(personas, login):
    client = login(personas.patient.user)
    assert client.get(reverse("preferences")).status_code == 200
    assert client.get(reverse("my_access_log")).status_code == 200


def test_staff_sets_up_totp_after_reauthentication_and_is_notified(
    clinic, django_capture_on_commit_callbacks
):
    user = make_user(Role.SUPERVISOR, clinic, mfa=False)
    client = Client()
    assert post_password(client, user.email)["Location"] == "/"
    assert client.get("/").headers["Location"] == TOTP_SETUP_URL
    assert client.get(TOTP_SETUP_URL)["Location"].startswith("/account/reauthenticate/")
    # A wrong password does not re-authenticate.
    response = client.post("/account/reauthenticate/", {"password": "wrong password here"})
    assert response.status_code == 200
    assert client.get(TOTP_SETUP_URL).status_code == 302
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    assert client.get(TOTP_SETUP_URL).status_code == 200
    secret = client.session["mfa.totp.secret"]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(TOTP_SETUP_URL, {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert AuditEntry.objects.filter(action="accounts.mfa.added", actor=user).exists()
    notices = [m for m in mail.outbox if m.to == [user.email]]
    assert notices, "adding an authenticator must notify the user"
    assert client.get(reverse("patient_list")).status_code == 200


def test_removing_mfa_needs_reauthentication(therapist, login):
    client = login(therapist)
    response = client.post("/account/2fa/totp/deactivate/", {})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauthenticate/")
    assert Authenticator.objects.filter(user=therapist, type="totp").exists()


def test_second_factor_page_without_pending_login_is_not_an_error():
    response = Client().get(MFA_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
