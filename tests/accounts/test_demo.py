"""``manage.py seed_demo``: refuses with DEBUG off unless forced, creates the documented
demo accounts (README), and ``--if-empty`` makes it safe to run on every ``make run``."""

import io

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from tandem.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tandem.accounts.models import STAFF_ROLES, CareTeamMember, Clinic, Patient, Role, User
from tests.accounts.flows import is_signed_in, sign_in
from tests.personas import totp_now

pytestmark = pytest.mark.django_db

DOCUMENTED = {
    "therapist@example.org": (Role.THERAPIST, "Demo Clinic"),
    "therapist2@example.org": (Role.THERAPIST, "Demo Clinic"),
    "supervisor@example.org": (Role.SUPERVISOR, "Demo Clinic"),
    "admin@example.org": (Role.ADMIN, None),
    "researcher@example.org": (Role.RESEARCHER, None),
    "patient@example.org": (Role.PATIENT, "Demo Clinic"),
    "patient2@example.org": (Role.PATIENT, "Demo Clinic"),
}


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded():
    seed("--force")
    return {u.email: u for u in User.objects.select_related("clinic")}


def test_refuses_with_debug_off():
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG off"):
        seed()
    assert not User.objects.exists()
    assert not Clinic.objects.exists()


def test_runs_with_debug_on():
    with override_settings(DEBUG=True):
        seed()
    assert User.objects.filter(email="therapist@example.org").exists()


def test_creates_the_documented_accounts(seeded):
    for email, (role, clinic) in DOCUMENTED.items():
        assert email in seeded, email
        user = seeded[email]
        assert user.role == role, email
        if clinic:
            assert user.clinic.name == clinic, email
        assert user.check_password(DEMO_PASSWORD), email
        assert user.is_active
    assert seeded["therapist3@example.org"].role == Role.THERAPIST
    assert seeded["therapist3@example.org"].clinic.name != "Demo Clinic"


def test_two_clinics(seeded):
    names = set(Clinic.objects.values_list("name", flat=True))
    assert "Demo Clinic" in names
    assert len(names) >= 2


def test_therapist_has_at_least_six_patients(seeded):
    therapist = seeded["therapist@example.org"]
    assert Patient.objects.for_user(therapist).count() >= 6


def test_care_teams_are_as_documented(seeded):
    patient = Patient.objects.get(user__email="patient@example.org")
    patient2 = Patient.objects.get(user__email="patient2@example.org")
    primary = CareTeamMember.objects.active().get(patient=patient, team_role="primary")
    assert primary.therapist.email == "therapist@example.org"
    assert (
        CareTeamMember.objects.active()
        .filter(patient=patient2, therapist__email="therapist2@example.org")
        .exists()
    )
    # therapist2 has their own patients; therapist3 sees none of the Demo Clinic.
    assert Patient.objects.for_user(seeded["therapist2@example.org"]).exists()
    third = Patient.objects.for_user(seeded["therapist3@example.org"])
    assert not third.filter(clinic__name="Demo Clinic").exists()


def test_staff_have_totp_and_patients_do_not(seeded):
    from allauth.mfa.utils import decrypt

    for user in seeded.values():
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if user.role in STAFF_ROLES:
            assert totp is not None, user.email
            assert decrypt(totp.data["secret"]) == DEMO_TOTP_SECRET
        elif user.role == Role.PATIENT:
            assert totp is None, user.email


def test_demo_therapist_signs_in_with_the_documented_credentials(seeded):
    client = Client()
    sign_in(
        client,
        seeded["therapist@example.org"],
        password=DEMO_PASSWORD,
        code=totp_now(DEMO_TOTP_SECRET),
    )
    assert is_signed_in(client)
    page = client.get("/patients/")
    assert page.status_code == 200
    assert "Pia Patient" in page.content.decode()


def test_if_empty_is_idempotent(seeded):
    counts = (
        User.objects.count(),
        Patient.objects.count(),
        Clinic.objects.count(),
        CareTeamMember.objects.count(),
    )
    output = seed("--force", "--if-empty")
    assert "already loaded" in output
    assert (
        User.objects.count(),
        Patient.objects.count(),
        Clinic.objects.count(),
        CareTeamMember.objects.count(),
    ) == counts


def test_if_empty_seeds_an_empty_database():
    seed("--force", "--if-empty")
    assert User.objects.filter(email="therapist@example.org").exists()


def test_second_run_without_if_empty_refuses(seeded):
    with pytest.raises(CommandError, match="already exists"):
        seed("--force")
