"""Shared test personas and factories, importable by every app's tests.

Every test module should include a persona who must be refused (healthchecks' "charlie").
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.utils import timezone

from tandem.accounts.demo import DEMO_TOTP_SECRET, give_totp
from tandem.accounts.models import CareTeamMember, Clinic, Patient, Role, User

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def make_clinic(name: str | None = None) -> Clinic:
    n = next(_seq)
    name = name or f"Clinic {n}"
    return Clinic.objects.create(name=name, slug=f"clinic-{n}")


def make_user(
    role: str,
    clinic: Clinic | None,
    *,
    name: str | None = None,
    email: str | None = None,
    mfa: bool | None = None,
    active: bool = True,
) -> User:
    n = next(_seq)
    email = email or f"{role}{n}@test.example"
    user = User.objects.create_user(
        email,
        PASSWORD,
        full_name=name or f"{role.title()} {n}",
        role=role,
        clinic=clinic,
        is_active=active,
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if mfa if mfa is not None else role != Role.PATIENT:
        give_totp(user)
    return user


def make_patient(
    clinic: Clinic,
    therapist: User | None = None,
    *,
    name: str | None = None,
    team_role: str = "primary",
) -> Patient:
    user = make_user(Role.PATIENT, clinic, name=name)
    patient = Patient.objects.create(user=user, clinic=clinic)
    if therapist is not None:
        CareTeamMember.objects.create(patient=patient, therapist=therapist, team_role=team_role)
    return patient


def totp_now(secret: str = DEMO_TOTP_SECRET, offset_steps: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset_steps))


@dataclass
class Personas:
    clinic: Clinic
    other_clinic: Clinic
    patient: Patient
    other_patient: Patient  # same clinic, another therapist's patient
    foreign_patient: Patient  # another clinic
    therapist: User  # primary therapist of `patient`
    cover: User  # cover therapist of `patient`
    other_therapist: User  # same clinic, not on the care team
    former_therapist: User  # was on the care team, membership ended
    deactivated_therapist: User
    supervisor: User
    admin: User
    researcher: User
    outsider: User  # therapist of another clinic
    outsider_supervisor: User

    def all_users(self) -> dict[str, User]:
        return {
            "patient": self.patient.user,
            "other_patient": self.other_patient.user,
            "therapist": self.therapist,
            "cover": self.cover,
            "other_therapist": self.other_therapist,
            "former_therapist": self.former_therapist,
            "supervisor": self.supervisor,
            "admin": self.admin,
            "researcher": self.researcher,
            "outsider": self.outsider,
            "outsider_supervisor": self.outsider_supervisor,
        }


def make_personas() -> Personas:
    clinic = make_clinic("Test Clinic")
    other = make_clinic("Other Clinic")
    therapist = make_user(Role.THERAPIST, clinic, name="Theo Therapist")
    cover = make_user(Role.THERAPIST, clinic, name="Cora Cover")
    other_therapist = make_user(Role.THERAPIST, clinic, name="Otto Other")
    former = make_user(Role.THERAPIST, clinic, name="Fay Former")
    deactivated = make_user(Role.THERAPIST, clinic, name="Dan Deactivated", active=False)
    patient = make_patient(clinic, therapist, name="Pat Patient")
    CareTeamMember.objects.create(patient=patient, therapist=cover, team_role="cover")
    CareTeamMember.objects.create(
        patient=patient,
        therapist=former,
        team_role="cover",
        started_at=timezone.now() - timedelta(days=30),
        ended_at=timezone.now() - timedelta(days=1),
    )
    CareTeamMember.objects.create(patient=patient, therapist=deactivated, team_role="cover")
    other_patient = make_patient(clinic, other_therapist, name="Olga Otherpatient")
    outsider = make_user(Role.THERAPIST, other, name="Oscar Outsider")
    foreign_patient = make_patient(other, outsider, name="Frida Foreign")
    return Personas(
        clinic=clinic,
        other_clinic=other,
        patient=patient,
        other_patient=other_patient,
        foreign_patient=foreign_patient,
        therapist=therapist,
        cover=cover,
        other_therapist=other_therapist,
        former_therapist=former,
        deactivated_therapist=deactivated,
        supervisor=make_user(Role.SUPERVISOR, clinic, name="Sue Supervisor"),
        admin=make_user(Role.ADMIN, clinic, name="Ada Admin"),
        researcher=make_user(Role.RESEARCHER, clinic, name="Rex Researcher"),
        outsider=outsider,
        outsider_supervisor=make_user(Role.SUPERVISOR, other, name="Olli Outsidersup"),
    )
