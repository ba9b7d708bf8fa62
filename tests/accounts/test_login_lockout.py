"""Brute-force protection (SECURITY.md "brute force"), through real login requests.

Per account: 10 consecutive failures → 15-minute cool-off, doubling (30 min, 1 h …) up
to 24 h, never permanent. Per IP: 50 failures an hour. Known and unknown accounts get
identical answers, lockout included.
"""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from tandem.accounts import throttle
from tandem.accounts.models import LoginThrottle, Role
from tandem.audit.models import AuditEntry
from tests.accounts.flows import (
    MFA_URL,
    error_text,
    is_signed_in,
    post_password,
    without_tokens,
)
from tests.personas import make_clinic, make_patient, make_user

pytestmark = pytest.mark.django_db

WRONG = "not the password at all"
BAD_CREDENTIALS = "The email address and/or password you specified are not correct."
LOCKED = "Too many failed login attempts. Try again later."
START = "2031-03-03 09:00:00+00:00"


@pytest.fixture
def patient_user():
    # A patient without MFA: a correct password alone signs them in.
    return make_patient(make_clinic()).user


def fail(client: Client, email: str, times: int, ip: str = "127.0.0.1") -> None:
    for _ in range(times):
        response = post_password(client, email, WRONG, REMOTE_ADDR=ip)
        assert response.status_code == 200
        assert not is_signed_in(client)


def test_correct_password_signs_in(patient_user):
    client = Client()
    response = post_password(client, patient_user.email)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_wrong_password_is_refused_and_audited(patient_user):
    client = Client()
    response = post_password(client, patient_user.email, WRONG, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert error_text(response) == BAD_CREDENTIALS
    assert not is_signed_in(client)
    entry = AuditEntry.objects.filter(action="accounts.login.failed").latest("id")
    assert entry.ip == "10.1.2.3"
    assert entry.outcome == "failed"
    assert entry.detail["email"] == patient_user.email


def test_ten_failures_lock_the_account_for_15_minutes(patient_user):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        fail(client, patient_user.email, 9)
        # Nine failures: the right password still works …
        assert LoginThrottle.objects.get().consecutive_failures == 9
        fail(client, patient_user.email, 1)
        # … the tenth starts the cool-off: even the right password is refused.
        response = post_password(client, patient_user.email)
        assert response.status_code == 200
        assert error_text(response) == LOCKED
        assert not is_signed_in(client)
        assert AuditEntry.objects.filter(action="accounts.login.blocked").exists()

        traveller.shift(timedelta(minutes=14, seconds=59))
        assert error_text(post_password(client, patient_user.email)) == LOCKED

        traveller.shift(timedelta(seconds=2))
        response = post_password(client, patient_user.email)
        assert response.status_code == 302
        assert is_signed_in(client)


def test_cool_off_doubles_and_success_resets(patient_user):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        fail(client, patient_user.email, 10)
        traveller.shift(timedelta(minutes=15, seconds=1))
        # The cool-off is over, but the next ten failures cost twice as long.
        fail(client, patient_user.email, 10)
        traveller.shift(timedelta(minutes=29))
        assert error_text(post_password(Client(), patient_user.email)) == LOCKED
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert post_password(Client(), patient_user.email).status_code == 302

        # A successful login clears the history: back to 15 minutes.
        fail(client, patient_user.email, 10)
        traveller.shift(timedelta(minutes=15, seconds=1))
        assert post_password(Client(), patient_user.email).status_code == 302


def test_failures_must_be_consecutive(patient_user):
    with time_machine.travel(START, tick=False):
        fail(Client(), patient_user.email, 9)
        assert post_password(Client(), patient_user.email).status_code == 302
        fail(Client(), patient_user.email, 9)
        assert post_password(Client(), patient_user.email).status_code == 302


def test_cool_off_schedule_caps_at_24_hours():
    assert [throttle.cool_off(n) for n in range(1, 10)] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
        timedelta(hours=16),
        timedelta(hours=24),
        timedelta(hours=24),
    ]
    assert throttle.cool_off(1000) == timedelta(hours=24)


def test_lock_is_never_permanent(patient_user):
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(12):  # twelve lockouts in a row, each served in full
            for _ in range(10):
                throttle.register_failure(email=patient_user.email, ip=None)
            locked_until = LoginThrottle.objects.get().locked_until
            assert locked_until is not None
            traveller.move_to(locked_until + timedelta(seconds=1))
        assert LoginThrottle.objects.get().lockouts == 12
        # The last cool-off was the 24-hour cap, and it has passed.
        response = post_password(Client(), patient_user.email)
        assert response.status_code == 302


def test_lock_applies_to_mfa_users_before_the_second_factor():
    staff = make_user(Role.THERAPIST, make_clinic())
    client = Client()
    with time_machine.travel(START, tick=False):
        fail(client, staff.email, 10)
        response = post_password(client, staff.email)
        assert response.status_code == 200
        assert error_text(response) == LOCKED
        # The correct password does not even reach the TOTP step.
        assert response.get("Location") != MFA_URL
        assert not is_signed_in(client)


def test_known_and_unknown_accounts_get_identical_answers(patient_user):
    unknown = "nobody-here@test.example"
    known_client, unknown_client = Client(), Client()
    known = post_password(known_client, patient_user.email, WRONG)
    other = post_password(unknown_client, unknown, WRONG)
    assert known.status_code == other.status_code == 200
    assert error_text(known) == error_text(other) == BAD_CREDENTIALS
    assert without_tokens(known.content, patient_user.email) == without_tokens(
        other.content, unknown
    )


def test_unknown_accounts_are_locked_out_exactly_like_known_ones(patient_user):
    unknown = "nobody-here@test.example"
    with time_machine.travel(START, tick=False) as traveller:
        for email in (patient_user.email, unknown):
            client = Client()
            fail(client, email, 10)
        known = post_password(Client(), patient_user.email, WRONG)
        other = post_password(Client(), unknown, WRONG)
        assert known.status_code == other.status_code == 200
        assert error_text(known) == error_text(other) == LOCKED
        assert without_tokens(known.content, patient_user.email) == without_tokens(
            other.content, unknown
        )
        traveller.shift(timedelta(minutes=15, seconds=1))
        assert error_text(post_password(Client(), unknown, WRONG)) == BAD_CREDENTIALS


def test_email_case_and_spaces_do_not_escape_the_lock(patient_user):
    with time_machine.travel(START, tick=False):
        fail(Client(), patient_user.email.upper(), 5)
        fail(Client(), f"  {patient_user.email}", 5)
        assert error_text(post_password(Client(), patient_user.email)) == LOCKED


def test_fifty_failures_an_hour_block_the_ip(patient_user):
    attacker = "203.0.113.7"
    with time_machine.travel(START, tick=False) as traveller:
        # Spread over many accounts, so that no single account is locked.
        for n in range(50):
            response = post_password(
                Client(), f"guess{n}@test.example", WRONG, REMOTE_ADDR=attacker
            )
            assert error_text(response) == BAD_CREDENTIALS
        blocked = post_password(Client(), patient_user.email, REMOTE_ADDR=attacker)
        assert error_text(blocked) == LOCKED
        # Another address is not affected.
        elsewhere = Client()
        assert (
            post_password(elsewhere, patient_user.email, REMOTE_ADDR="198.51.100.1").status_code
            == 302
        )
        assert is_signed_in(elsewhere)
        # The window is one hour.
        traveller.shift(timedelta(minutes=59))
        assert (
            error_text(post_password(Client(), patient_user.email, REMOTE_ADDR=attacker)) == LOCKED
        )
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert post_password(Client(), patient_user.email, REMOTE_ADDR=attacker).status_code == 302


def test_forty_nine_failures_from_an_ip_do_not_block(patient_user):
    with time_machine.travel(START, tick=False):
        for n in range(49):
            post_password(Client(), f"guess{n}@test.example", WRONG, REMOTE_ADDR="203.0.113.8")
        response = post_password(Client(), patient_user.email, REMOTE_ADDR="203.0.113.8")
        assert response.status_code == 302
