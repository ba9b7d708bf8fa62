"""Programs, their immutable versions, enrollments and module progress.

A loaded package becomes a ``ProgramVersion`` holding a snapshot of its content
(``tandem.programs.content.to_data``); a changed package becomes a new version and
existing enrollments stay on theirs. Progress and answers refer to modules and
exercises by their ids inside a version, so content changes never orphan them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandem.core.fields import EncryptedTextField, LazyJSONField
from tandem.core.models import TimeStampedModel


class Program(TimeStampedModel):
    code = models.SlugField(unique=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def current_version(self) -> ProgramVersion | None:
        return self.versions.filter(is_current=True).first()


class ProgramVersion(TimeStampedModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=40)
    content_hash = models.CharField(max_length=80)
    snapshot = LazyJSONField()  # parsed only when used: see catalog.package_for
    is_current = models.BooleanField(default=True)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["program__code", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "content_hash"], name="one_version_per_hash"
            ),
            models.UniqueConstraint(
                fields=["program"], condition=Q(is_current=True), name="one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.version}"

    @property
    def package(self):  # type: ignore[no-untyped-def]
        from tandem.programs.catalog import package_for

        return package_for(self)


class ProgramMedia(models.Model):
    """A media file shipped in a package version, served by the platform itself."""

    version = models.ForeignKey(ProgramVersion, on_delete=models.CASCADE, related_name="media")
    path = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "path"], name="unique_media_path")
        ]

    def __str__(self) -> str:
        return self.path


class GuidanceMode(models.TextChoices):
    GUIDED = "guided", _("Guided")
    SELF_GUIDED = "self_guided", _("Self-guided")
    BLENDED = "blended", _("Blended")


class PacingPolicy(models.TextChoices):
    ALL_OPEN = "all_open", _("All modules open")
    SEQUENTIAL = "sequential", _("One after another")
    WEEKLY = "weekly", _("One new module every N days")
    AFTER_FEEDBACK = "after_feedback", _("Next module after the therapist's feedback")
    THERAPIST = "therapist", _("Opened by the therapist")


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    DISCONTINUED = "discontinued", _("Discontinued")


class Enrollment(TimeStampedModel):
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="enrollments"
    )
    version = models.ForeignKey(
        ProgramVersion, on_delete=models.PROTECT, related_name="enrollments"
    )
    guidance_mode = models.CharField(max_length=12, choices=GuidanceMode.choices)
    pacing_policy = models.CharField(max_length=16, choices=PacingPolicy.choices)
    interval_days = models.PositiveSmallIntegerField(default=7)
    status = models.CharField(
        max_length=12, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    status_reason = EncryptedTextField(blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Tailoring: module ids hidden from this patient; modules added from other programs
    # as [{"version": <ProgramVersion uuid>, "module": <module id>}].
    hidden_modules = models.JSONField(default=list, blank=True)
    extra_modules = models.JSONField(default=list, blank=True)
    # Modules the therapist opened by hand (therapist-unlocked pacing or an exception).
    unlocked_modules = models.JSONField(default=list, blank=True)
    # Pace agreement (autonomy): bounds set by the therapist, pace chosen by the patient.
    pace_min_per_week = models.DecimalField(max_digits=3, decimal_places=1, default=0.5)
    pace_max_per_week = models.DecimalField(max_digits=3, decimal_places=1, default=2)
    pace_per_week = models.DecimalField(max_digits=3, decimal_places=1, default=1)
    optional_order = models.JSONField(default=list, blank=True)
    pace_agreed_at = models.DateTimeField(null=True, blank=True)
    # Counters kept current by the services, so workspaces never recompute them.
    last_activity_at = models.DateTimeField(null=True, blank=True)
    modules_completed = models.PositiveIntegerField(default=0)
    exercises_submitted = models.PositiveIntegerField(default=0)
    exercises_awaiting_feedback = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.patient} in {self.version}"

    @property
    def is_active(self) -> bool:
        return self.status == EnrollmentStatus.ACTIVE


class ModuleProgress(TimeStampedModel):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="progress")
    # The version the module belongs to (the enrollment's own, or another program's for an
    # added module) and the module's id inside it.
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="+")
    module_key = models.CharField(max_length=80)
    opened_at = models.DateTimeField(null=True, blank=True)
    last_page = models.CharField(max_length=80, blank=True)
    pages_viewed = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "version", "module_key"], name="one_progress_per_module"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}:{self.module_key}"
