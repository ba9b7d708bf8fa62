"""Demo data for `make run` and acceptance checks. Demo-only credentials:
every user's password is ``demo-password-1``; staff share the TOTP secret below."""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import CareTeamMember, Clinic, Patient, Role, User
from tandem.core import events

DEMO_PASSWORD = "demo-password-1"  # noqa: S105  # nosec B105  # documented, demo-only
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105  # nosec B105  # demo-only

STAFF = [
    ("therapist@example.org", "Terhi Therapist", Role.THERAPIST, "demo"),
    ("therapist2@example.org", "Tomas Therapist", Role.THERAPIST, "demo"),
    ("supervisor@example.org", "Sanna Supervisor", Role.SUPERVISOR, "demo"),
    ("admin@example.org", "Aino Admin", Role.ADMIN, "demo"),
    ("researcher@example.org", "Rasmus Researcher", Role.RESEARCHER, "demo"),
    ("therapist3@example.org", "Tuuli Therapist", Role.THERAPIST, "north"),
    ("supervisor3@example.org", "Saku Supervisor", Role.SUPERVISOR, "north"),
]
PATIENTS = [
    ("patient@example.org", "Pia Patient", "therapist@example.org", "demo"),
    ("patient2@example.org", "Paavo Patient", "therapist2@example.org", "demo"),
    ("patient3@example.org", "Leena Lahtinen", "therapist@example.org", "demo"),
    ("patient4@example.org", "Mikael Berg", "therapist@example.org", "demo"),
    ("patient5@example.org", "Sara Niemi", "therapist@example.org", "demo"),
    ("patient6@example.org", "Oskari Virtanen", "therapist@example.org", "demo"),
    ("patient7@example.org", "Elina Korhonen", "therapist@example.org", "demo"),
    ("patient8@example.org", "Jonas Lindqvist", "therapist3@example.org", "north"),
]


def _user(email: str, name: str, role: str, clinic: Clinic, language: str = "en") -> User:
    user = User.objects.create_user(
        email, DEMO_PASSWORD, full_name=name, role=role, clinic=clinic, language=language
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def give_totp(user: User, secret: str = DEMO_TOTP_SECRET) -> None:
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)}
    )


def seed() -> dict[str, User]:
    """Create the demo clinics and users. Returns the users by email."""
    with transaction.atomic():
        clinics = {
            "demo": Clinic.objects.create(name="Demo Clinic", slug="demo-clinic"),
            "north": Clinic.objects.create(name="North Clinic", slug="north-clinic"),
        }
        users: dict[str, User] = {}
        for email, name, role, clinic in STAFF:
            users[email] = _user(email, name, role, clinics[clinic])
            give_totp(users[email])
        start = timezone.now() - timedelta(days=40)
        for index, (email, name, therapist, clinic) in enumerate(PATIENTS):
            user = _user(email, name, Role.PATIENT, clinics[clinic])
            users[email] = user
            patient = Patient.objects.create(user=user, clinic=clinics[clinic])
            CareTeamMember.objects.create(
                patient=patient,
                therapist=users[therapist],
                team_role=CareTeamMember.TeamRole.PRIMARY,
                started_at=start + timedelta(days=index),
            )
            events.record(
                patient=patient,
                kind="patient.activated",
                actor=user,
                ref=patient,
                occurred_at=start + timedelta(days=index),
            )
        # therapist2 covers for therapist with the demo patient.
        CareTeamMember.objects.create(
            patient=users["patient@example.org"].patient,
            therapist=users["therapist2@example.org"],
            team_role=CareTeamMember.TeamRole.COVER,
        )
    return users
