"""Users, roles, clinics, patients, care teams, invitations and break-glass grants."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.timezone import now as _now
from django.utils.translation import gettext_lazy as _

from tandem.core.fields import EncryptedTextField
from tandem.core.models import PublicModel, TimeStampedModel

if TYPE_CHECKING:
    from django.db.models import QuerySet


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    THERAPIST = "therapist", _("Therapist")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")
    RESEARCHER = "researcher", _("Researcher")


STAFF_ROLES = frozenset({Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN, Role.RESEARCHER})
CLINICAL_ROLES = frozenset({Role.THERAPIST, Role.SUPERVISOR})


class Clinic(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("is_superuser", False)
        return self.create_user(email, password, **fields)


class User(PublicModel, AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=_now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name", "role"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:
        # Django's admin site is not used; no user is "staff" in Django's sense.
        return False

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def requires_mfa(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES


class PatientQuerySet(models.QuerySet["Patient"]):
    def for_user(self, user: object, *, at: datetime | None = None) -> QuerySet[Patient]:
        """The one path to patients: what ``user`` may see, now. Everything else is 404.

        patient → themselves; therapist → care-team patients (membership active now) and
        patients under an active break-glass grant, both within the therapist's clinic;
        supervisor → patients of their clinic; admin and researcher → none.
        """
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return self.none()
        now = at or timezone.now()
        role = user.role  # type: ignore[attr-defined]
        if role == Role.PATIENT:
            return self.filter(user=user, user__is_active=True)
        if role == Role.THERAPIST:
            on_team = CareTeamMember.objects.active(now).filter(
                patient=OuterRef("pk"), therapist=user
            )
            glass = BreakGlassGrant.objects.active(now).filter(patient=OuterRef("pk"), user=user)
            return self.filter(clinic_id=user.clinic_id).filter(  # type: ignore[attr-defined]
                Exists(on_team) | Exists(glass)
            )
        if role == Role.SUPERVISOR:
            return self.filter(clinic_id=user.clinic_id)  # type: ignore[attr-defined]
        return self.none()


class Patient(TimeStampedModel):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="patient")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["user__full_name"]

    def __str__(self) -> str:
        return self.user.full_name

    @property
    def name(self) -> str:
        return self.user.full_name


class CareTeamQuerySet(models.QuerySet["CareTeamMember"]):
    def active(self, at: datetime | None = None) -> QuerySet[CareTeamMember]:
        now = at or timezone.now()
        return self.filter(started_at__lte=now).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=now)
        )


class CareTeamMember(TimeStampedModel):
    class TeamRole(models.TextChoices):
        PRIMARY = "primary", _("Primary therapist")
        COVER = "cover", _("Cover therapist")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_team")
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="care_teams")
    team_role = models.CharField(max_length=10, choices=TeamRole.choices)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = CareTeamQuerySet.as_manager()

    class Meta:
        ordering = ["team_role", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "therapist"],
                condition=Q(ended_at__isnull=True),
                name="one_open_membership_per_therapist",
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapist} → {self.patient} ({self.team_role})"


class Invitation(TimeStampedModel):
    email = models.EmailField(_("email address"))
    full_name = models.CharField(_("full name"), max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="invitations")
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    token_hash = models.CharField(max_length=64, unique=True)
    # The raw token, encrypted, so that the background task can put it in the email.
    token_sealed = EncryptedTextField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation {self.email} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class BreakGlassQuerySet(models.QuerySet["BreakGlassGrant"]):
    def active(self, at: datetime | None = None) -> QuerySet[BreakGlassGrant]:
        now = at or timezone.now()
        return self.filter(started_at__lte=now, expires_at__gt=now, ended_at__isnull=True)


class BreakGlassGrant(TimeStampedModel):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="break_glass")
    reason = EncryptedTextField(_("reason"))
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(blank=True, default="")

    objects = BreakGlassQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"break-glass {self.user} → {self.patient}"


class LoginThrottle(models.Model):
    """Consecutive failed logins per account key (a hash of the typed email, so unknown
    accounts are throttled exactly like known ones)."""

    key = models.CharField(max_length=64, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"login throttle {self.key[:12]}…"


class LoginFailure(models.Model):
    """One failed login from an address, for the per-IP hourly limit (pruned after a day)."""

    ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ip", "at"])]

    def __str__(self) -> str:
        return f"login failure {self.ip} {self.at:%Y-%m-%d %H:%M}"
