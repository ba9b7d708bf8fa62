"""Invitations: a therapist invites a patient, an admin invites staff. Tokens are
single-use and expire after 7 days; every unusable link gets a clear page (404/410 with
a message), never an error."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tandem.accounts import services
from tandem.accounts.models import CareTeamMember, Invitation, Patient, Role, User
from tandem.audit.models import AuditEntry
from tests.accounts.flows import TOTP_SETUP_URL, is_signed_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "seven quiet lanterns drifting"  # 29 characters, no context words
NEW_EMAIL = "new.person@test.example"


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Invite through the service and return (invitation, token from the email)."""

    def _send(actor, role=Role.PATIENT, email=NEW_EMAIL, full_name="Nina Newcomer"):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invite(actor=actor, email=email, full_name=full_name, role=role)
        assert len(mail.outbox) == 1
        return invitation, token_from(mail.outbox[0].body)

    return _send


def token_from(body: str) -> str:
    match = re.search(r"/invite/([^/\s]+)/", body)
    assert match, body
    return match.group(1)


def accept_url(token: str) -> str:
    return reverse("accept_invitation", args=[token])


def accept(client: Client, token: str, password: str = NEW_PASSWORD, **fields):
    data = {
        "full_name": "Nina Newcomer",
        "language": "fi",
        "password1": password,
        "password2": password,
        **fields,
    }
    return client.post(accept_url(token), data)


def problem(response) -> str:
    match = re.search(r'<p id="invitation-problem" data-code="(\w+)">', response.content.decode())
    return match.group(1) if match else ""


# --- sending ---------------------------------------------------------------------------------


def test_therapist_invites_a_patient_through_the_page(
    personas, login, django_capture_on_commit_callbacks
):
    client = login(personas.therapist)
    assert client.get(reverse("invite_patient")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invite_patient"),
            {"full_name": "Nina Newcomer", "email": "New.Person@Test.example"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == NEW_EMAIL
    assert invitation.role == Role.PATIENT
    assert invitation.clinic == personas.clinic
    assert invitation.invited_by == personas.therapist
    assert abs(invitation.expires_at - timezone.now() - timedelta(days=7)) < timedelta(minutes=1)
    entry = AuditEntry.objects.get(action="accounts.invitation.sent")
    assert entry.actor == personas.therapist and entry.target_uuid == invitation.uuid
    # The email: a link and nothing clinical.
    (message,) = mail.outbox
    assert message.to == [NEW_EMAIL]
    token = token_from(message.body)
    assert Invitation.objects.filter(token_hash=services._hash_token(token)).exists()


def test_the_raw_token_is_not_stored_in_clear(personas, send):
    invitation, token = send(personas.therapist)
    assert invitation.token_hash != token
    with connection.cursor() as cursor:
        cursor.execute("SELECT token_hash, token_sealed FROM accounts_invitation")
        row = cursor.fetchone()
    assert token not in " ".join(row)


def test_therapist_cannot_invite_staff(personas, login):
    for role in (Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN, Role.RESEARCHER):
        with pytest.raises(PermissionDenied):
            services.invite(actor=personas.therapist, email=NEW_EMAIL, full_name="X", role=role)
    client = login(personas.therapist)
    assert client.get(reverse("invite_staff")).status_code == 404
    response = client.post(
        reverse("invite_staff"), {"full_name": "X", "email": NEW_EMAIL, "role": "admin"}
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_admin_cannot_invite_patients(personas, login):
    with pytest.raises(PermissionDenied):
        services.invite(actor=personas.admin, email=NEW_EMAIL, full_name="X", role=Role.PATIENT)
    client = login(personas.admin)
    assert client.get(reverse("invite_patient")).status_code == 404
    assert (
        client.post(reverse("invite_patient"), {"full_name": "X", "email": NEW_EMAIL}).status_code
        == 404
    )
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["supervisor", "researcher", "patient"])
def test_other_roles_invite_nobody(personas, who):
    actor = personas.patient.user if who == "patient" else getattr(personas, who)
    for role in Role.values:
        with pytest.raises(PermissionDenied):
            services.invite(actor=actor, email=NEW_EMAIL, full_name="X", role=role)


def test_unknown_role_is_refused(personas):
    with pytest.raises(ValidationError):
        services.invite(actor=personas.admin, email=NEW_EMAIL, full_name="X", role="superuser")


def test_existing_account_cannot_be_invited(personas, login):
    with pytest.raises(ValidationError):
        services.invite(
            actor=personas.therapist,
            email=personas.patient.user.email.upper(),
            full_name="X",
            role=Role.PATIENT,
        )
    response = login(personas.therapist).post(
        reverse("invite_patient"), {"full_name": "X", "email": personas.patient.user.email}
    )
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_new_invitation_revokes_the_previous_one(personas, send, client):
    _, first = send(personas.therapist)
    _, second = send(personas.therapist)
    response = client.get(accept_url(first))
    assert response.status_code == 410 and problem(response) == "revoked"
    assert client.get(accept_url(second)).status_code == 200


# --- accepting -------------------------------------------------------------------------------


def test_patient_accepts_and_lands_on_their_home_page(personas, send):
    invitation, token = send(personas.therapist)
    client = Client()
    page = client.get(accept_url(token))
    assert page.status_code == 200
    assert NEW_EMAIL in page.content.decode()
    response = accept(client, token)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert is_signed_in(client)
    assert client.get(reverse("my_access_log")).status_code == 200

    user = User.objects.get(email=NEW_EMAIL)
    assert user.role == Role.PATIENT
    assert user.clinic == personas.clinic
    assert user.language == "fi"
    assert user.check_password(NEW_PASSWORD)
    patient = Patient.objects.get(user=user)
    (member,) = CareTeamMember.objects.active().filter(patient=patient)
    assert member.therapist == personas.therapist
    assert member.team_role == CareTeamMember.TeamRole.PRIMARY
    assert Patient.objects.for_user(personas.therapist).filter(pk=patient.pk).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_user == user
    entry = AuditEntry.objects.get(action="accounts.invitation.accepted")
    assert entry.actor == user and entry.patient_uuid == patient.uuid
    assert patient.events.filter(kind="patient.activated").exists()


def test_staff_accepts_and_must_set_up_mfa(personas, send):
    _, token = send(personas.admin, role=Role.SUPERVISOR)
    client = Client()
    response = accept(client, token, password="twelve chars")  # staff minimum is 12
    assert response.status_code == 302
    user = User.objects.get(email=NEW_EMAIL)
    assert user.role == Role.SUPERVISOR and user.clinic == personas.clinic
    assert not Patient.objects.filter(user=user).exists()
    assert client.get(reverse("patient_list"))["Location"] == TOTP_SETUP_URL


def test_used_invitation_gets_a_clear_page(personas, send):
    _, token = send(personas.therapist)
    accept(Client(), token)
    for response in (Client().get(accept_url(token)), accept(Client(), token)):
        assert response.status_code == 410
        assert problem(response) == "used"
        assert "already been used" in response.content.decode()
    assert User.objects.filter(email=NEW_EMAIL).count() == 1


def test_double_submission_creates_one_user(personas, send):
    _, token = send(personas.therapist)
    first, second = Client(), Client()
    assert first.get(accept_url(token)).status_code == 200
    assert second.get(accept_url(token)).status_code == 200
    assert accept(first, token).status_code == 302
    again = accept(second, token)
    assert again.status_code == 410
    assert not is_signed_in(second)
    assert User.objects.filter(email=NEW_EMAIL).count() == 1
    assert Patient.objects.filter(user__email=NEW_EMAIL).count() == 1


def test_service_accepts_exactly_once(personas, send):
    _, token = send(personas.therapist)
    services.accept_invitation(
        token=token, password=NEW_PASSWORD, full_name="N", language="en", request=None
    )
    with pytest.raises(services.InvitationProblem) as problem_info:
        services.accept_invitation(
            token=token, password=NEW_PASSWORD, full_name="N", language="en", request=None
        )
    assert problem_info.value.code == "used"
    assert User.objects.filter(email=NEW_EMAIL).count() == 1


def test_invitation_expires_after_seven_days(personas, send):
    with time_machine.travel("2031-05-01 12:00:00+00:00", tick=False) as traveller:
        _, token = send(personas.therapist)
        traveller.shift(timedelta(days=7) - timedelta(seconds=1))
        assert Client().get(accept_url(token)).status_code == 200
        traveller.shift(timedelta(seconds=1))
        for response in (Client().get(accept_url(token)), accept(Client(), token)):
            assert response.status_code == 410
            assert problem(response) == "expired"
            assert "expired" in response.content.decode()
        assert not User.objects.filter(email=NEW_EMAIL).exists()
        refused = AuditEntry.objects.filter(action="accounts.invitation.refused").latest("id")
        assert refused.detail == {"why": "expired"} and refused.outcome == "denied"


def test_expiry_between_form_and_submit_is_a_clear_page(personas, send):
    with time_machine.travel("2031-05-01 12:00:00+00:00", tick=False) as traveller:
        _, token = send(personas.therapist)
        client = Client()
        traveller.shift(timedelta(days=6, hours=23, minutes=59))
        assert client.get(accept_url(token)).status_code == 200
        traveller.shift(timedelta(minutes=2))
        response = accept(client, token)
        assert response.status_code == 410 and problem(response) == "expired"
        assert not User.objects.filter(email=NEW_EMAIL).exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[:10],
        lambda t: t + "x",
        lambda t: "not-a-real-token",
        lambda t: "x" * 3000,
        lambda t: "%00%27%22<script>",
        lambda t: t.upper(),
    ],
)
def test_tampered_tokens_get_a_clear_404_page(personas, send, mangle):
    _, token = send(personas.therapist)
    bad = mangle(token)
    response = Client().get(f"/invite/{bad}/")
    assert response.status_code == 404
    assert problem(response) == "invalid"
    assert "not valid" in response.content.decode()
    response = Client().post(
        f"/invite/{bad}/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 404
    assert not User.objects.filter(email=NEW_EMAIL).exists()


def test_revoked_invitation_gets_a_clear_page(personas, send, login):
    invitation, token = send(personas.therapist)
    response = login(personas.therapist).post(reverse("revoke_invitation", args=[invitation.uuid]))
    assert response.status_code == 302
    response = Client().get(accept_url(token))
    assert response.status_code == 410
    assert problem(response) == "revoked"
    assert "withdrawn" in response.content.decode()
    assert AuditEntry.objects.filter(action="accounts.invitation.revoked").exists()


def test_only_the_inviter_or_an_admin_may_revoke(personas, send, login):
    invitation, _ = send(personas.therapist)
    url = reverse("revoke_invitation", args=[invitation.uuid])
    for user in (personas.other_therapist, personas.outsider, personas.supervisor):
        assert login(user).post(url).status_code == 404
    with pytest.raises(PermissionDenied):
        services.revoke_invitation(
            actor=personas.other_therapist, invitation=invitation, request=None
        )
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_weak_passwords_are_refused_on_acceptance(personas, send):
    _, token = send(personas.therapist, full_name="Nina Newcomer")
    client = Client()
    for bad, message in (
        ("fourteen chars", "Use at least 15 characters"),  # patients without MFA: 15
        ("nina newcomer's own words", "Do not build your password on"),  # their name
        ("tandem is where i get help", "Do not build your password on"),  # the service
        ("manchesterunited", "This password is too common"),  # common-password list
        ("x" * 129, "Use at most 128 characters"),
    ):
        response = accept(client, token, password=bad)
        assert response.status_code == 200, bad
        assert message in response.content.decode(), bad
    response = accept(client, token, password1=NEW_PASSWORD, password2=NEW_PASSWORD + "x")
    assert response.status_code == 200
    assert "differ" in response.content.decode()
    assert not User.objects.filter(email=NEW_EMAIL).exists()
    assert accept(client, token).status_code == 302


def test_signed_in_users_are_sent_home(personas, send, login):
    _, token = send(personas.therapist)
    response = login(personas.patient.user).get(accept_url(token))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert login(personas.patient.user).post(accept_url(token), {}).status_code == 302
    assert not User.objects.filter(email=NEW_EMAIL).exists()
