"""Account use cases. Each is one function, one transaction, with an explicit actor."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tandem.accounts import tasks
from tandem.accounts.models import (
    BreakGlassGrant,
    CareTeamMember,
    Clinic,
    Invitation,
    Patient,
    Role,
    User,
)
from tandem.audit import services as audit
from tandem.core import events


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- invitations -----------------------------------------------------------------------------


def invite(
    *,
    actor: User,
    email: str,
    full_name: str,
    role: str,
    request: HttpRequest | None = None,
) -> Invitation:
    """An admin invites staff of their clinic; a therapist invites a patient."""
    email = email.strip().lower()
    if role == Role.PATIENT:
        if actor.role != Role.THERAPIST:
            raise PermissionDenied("only therapists invite patients")
    elif role in {Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN, Role.RESEARCHER}:
        if actor.role != Role.ADMIN:
            raise PermissionDenied("only administrators invite staff")
    else:
        raise ValidationError(_("Unknown role."))
    if actor.clinic_id is None:
        raise PermissionDenied("inviting needs a clinic")
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("This address already has an account. Ask the person to sign in.")}
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(
            email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            email=email,
            full_name=full_name.strip(),
            role=role,
            clinic_id=actor.clinic_id,
            invited_by=actor,
            token_hash=_hash_token(token),
            token_sealed=token,
            expires_at=timezone.now() + timedelta(days=settings.TANDEM_INVITATION_DAYS),
        )
        audit.record(
            actor=actor,
            action="accounts.invitation.sent",
            request=request,
            target=invitation,
            detail={"role": role, "email": email},
        )
        tasks.enqueue_invitation(invitation.pk)
    return invitation


class InvitationProblem(Exception):
    """Why an invitation link cannot be used: ``invalid``, ``expired``, ``used``, ``revoked``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def find_invitation(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("clinic", "invited_by")
        .filter(token_hash=_hash_token(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationProblem("invalid")
    if invitation.accepted_at is not None:
        raise InvitationProblem("used")
    if invitation.revoked_at is not None:
        raise InvitationProblem("revoked")
    if invitation.expires_at <= timezone.now():
        raise InvitationProblem("expired")
    return invitation


def new_user_for(invitation: Invitation) -> User:
    """An unsaved user for the invitation, for password validation."""
    return User(
        email=invitation.email,
        full_name=invitation.full_name,
        role=invitation.role,
        clinic=invitation.clinic,
    )


def accept_invitation(
    *, token: str, password: str, full_name: str, language: str, request: HttpRequest | None
) -> User:
    """Create the account (and for a patient, their record and care team) exactly once."""
    with transaction.atomic():
        invitation = find_invitation(token)
        invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationProblem("used")
        user = new_user_for(invitation)
        user.full_name = full_name.strip() or invitation.full_name
        user.language = language
        user.set_password(password)
        try:
            user.save()
        except IntegrityError as exc:
            raise InvitationProblem("used") from exc
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user", "updated_at"])
        if user.role == Role.PATIENT:
            patient = Patient.objects.create(user=user, clinic=invitation.clinic)
            CareTeamMember.objects.create(
                patient=patient,
                therapist=invitation.invited_by,
                team_role=CareTeamMember.TeamRole.PRIMARY,
            )
            events.record(patient=patient, kind="patient.activated", actor=user, ref=patient)
            audit.record(
                actor=user,
                action="accounts.invitation.accepted",
                request=request,
                patient=patient,
                target=invitation,
            )
        else:
            audit.record(
                actor=user,
                action="accounts.invitation.accepted",
                request=request,
                target=invitation,
            )
    return user


def revoke_invitation(*, actor: User, invitation: Invitation, request: HttpRequest | None) -> None:
    if invitation.invited_by_id != actor.pk and actor.role != Role.ADMIN:
        raise PermissionDenied
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit.record(
            actor=actor, action="accounts.invitation.revoked", request=request, target=invitation
        )


# --- care teams --------------------------------------------------------------------------------


def add_to_care_team(
    *,
    actor: User,
    patient: Patient,
    therapist: User,
    team_role: str,
    request: HttpRequest | None = None,
) -> CareTeamMember:
    if actor.role != Role.SUPERVISOR or actor.clinic_id != patient.clinic_id:
        raise PermissionDenied
    if therapist.role != Role.THERAPIST or therapist.clinic_id != patient.clinic_id:
        raise ValidationError(_("Only therapists of the patient's clinic can join the care team."))
    if not therapist.is_active:
        raise ValidationError(_("This therapist's account is deactivated."))
    with transaction.atomic():
        if CareTeamMember.objects.active().filter(patient=patient, therapist=therapist).exists():
            raise ValidationError(_("This therapist is already on the care team."))
        member = CareTeamMember.objects.create(
            patient=patient, therapist=therapist, team_role=team_role
        )
        audit.record(
            actor=actor,
            action="accounts.care_team.added",
            request=request,
            patient=patient,
            target=member,
            detail={"therapist": str(therapist.uuid), "team_role": team_role},
        )
        events.record(patient=patient, kind="care_team.changed", actor=actor, ref=member)
    return member


def end_care_team_membership(
    *, actor: User, member: CareTeamMember, request: HttpRequest | None = None
) -> None:
    """Removing a therapist cuts their access on their very next request."""
    patient = member.patient
    if actor.role != Role.SUPERVISOR or actor.clinic_id != patient.clinic_id:
        raise PermissionDenied
    with transaction.atomic():
        CareTeamMember.objects.filter(pk=member.pk, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
        audit.record(
            actor=actor,
            action="accounts.care_team.removed",
            request=request,
            patient=patient,
            target=member,
            detail={"therapist": str(member.therapist.uuid)},
        )
        events.record(patient=patient, kind="care_team.changed", actor=actor, ref=member)


# --- break-glass ----------------------------------------------------------------------------------

MIN_REASON_LENGTH = 15


def break_glass(
    *, actor: User, patient: Patient, reason: str, request: HttpRequest | None = None
) -> BreakGlassGrant:
    """A therapist opens a patient of their own clinic outside their care team: reason
    required, 60 minutes, audited, visible to the patient and flagged to the supervisor."""
    reason = reason.strip()
    if actor.role != Role.THERAPIST or actor.clinic_id != patient.clinic_id:
        raise PermissionDenied
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": _("Describe why you need access (at least %(n)d characters).")
                % {"n": MIN_REASON_LENGTH}
            }
        )
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=actor,
            patient=patient,
            reason=reason,
            started_at=now,
            expires_at=now + timedelta(minutes=settings.TANDEM_BREAK_GLASS_MINUTES),
        )
        audit.record(
            actor=actor,
            action="accounts.break_glass.opened",
            request=request,
            patient=patient,
            target=grant,
            # The reason is clinical free text: it stays encrypted in the grant; the
            # chain holds the grant's id and a digest that anchors the text's integrity.
            detail={"break_glass": str(grant.uuid), "reason_sha256": _digest(reason)},
        )
    return grant


def review_break_glass(
    *, actor: User, grant: BreakGlassGrant, note: str, request: HttpRequest | None = None
) -> None:
    if actor.role != Role.SUPERVISOR or actor.clinic_id != grant.patient.clinic_id:
        raise PermissionDenied
    if grant.reviewed_at is not None:
        raise ValidationError(_("This access has already been reviewed."))
    with transaction.atomic():
        updated = BreakGlassGrant.objects.filter(pk=grant.pk, reviewed_at__isnull=True).update(
            reviewed_by=actor, reviewed_at=timezone.now()
        )
        if not updated:
            raise ValidationError(_("This access has already been reviewed."))
        grant.refresh_from_db()
        grant.review_note = note.strip()
        grant.save(update_fields=["review_note", "updated_at"])
        audit.record(
            actor=actor,
            action="accounts.break_glass.reviewed",
            request=request,
            patient=grant.patient,
            target=grant,
            detail={"break_glass": str(grant.uuid), "note_sha256": _digest(note.strip())},
        )


# --- staff administration ---------------------------------------------------------------------


def change_role(*, actor: User, user: User, role: str, request: HttpRequest | None = None) -> None:
    """Takes effect on the user's next request (roles are read per request)."""
    if actor.role != Role.ADMIN or user.clinic_id != actor.clinic_id or user.pk == actor.pk:
        raise PermissionDenied
    if role not in {Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN, Role.RESEARCHER}:
        raise ValidationError({"role": _("Choose a staff role.")})
    if user.role == Role.PATIENT:
        raise ValidationError(_("Patients cannot be given a staff role."))
    old = user.role
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(role=role)
        if old == Role.THERAPIST and role != Role.THERAPIST:
            CareTeamMember.objects.filter(therapist=user, ended_at__isnull=True).update(
                ended_at=timezone.now()
            )
        audit.record(
            actor=actor,
            action="accounts.user.role_changed",
            request=request,
            target=user,
            detail={"from": old, "to": role},
        )


def set_active(
    *, actor: User, user: User, active: bool, request: HttpRequest | None = None
) -> None:
    if actor.role != Role.ADMIN or user.clinic_id != actor.clinic_id or user.pk == actor.pk:
        raise PermissionDenied
    if user.role == Role.PATIENT:
        raise PermissionDenied
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            is_active=active, deactivated_at=None if active else timezone.now()
        )
        if not active:
            from allauth.usersessions.models import UserSession

            for session in UserSession.objects.filter(user=user):
                session.end()
        audit.record(
            actor=actor,
            action="accounts.user." + ("activated" if active else "deactivated"),
            request=request,
            target=user,
        )


def set_preferences(*, actor: User, language: str, timezone_name: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    User.objects.filter(pk=actor.pk).update(language=language, timezone=timezone_name)


# --- demo and setup ------------------------------------------------------------------------


@dataclass(frozen=True)
class NewClinic:
    name: str


def create_clinic(*, name: str, timezone_name: str = "Europe/Helsinki") -> Clinic:
    return Clinic.objects.create(name=name, slug=slugify(name), timezone=timezone_name)
