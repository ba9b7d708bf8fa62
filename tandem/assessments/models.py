"""Questionnaires given to patients (assignments), their responses and drafts.

Instrument definitions are data (``content/instruments``), read through
``tandem.assessments.definitions``; rows refer to them by code and record the
definition version each response was scored with.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandem.core.fields import EncryptedJSONField
from tandem.core.models import TimeStampedModel


class AssignmentSource(models.TextChoices):
    SCHEDULE = "schedule", _("Program schedule")
    ADHOC = "adhoc", _("Sent by your therapist")
    MODULE = "module", _("End of a module")


class AssignmentState(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    DUE = "due", _("Due")
    OVERDUE = "overdue", _("Overdue")
    MISSED = "missed", _("Missed")
    COMPLETED = "completed", _("Completed")


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def open_now(self, now: datetime | None = None) -> AssignmentQuerySet:
        """Available, not completed and not expired: what the patient can fill in now."""
        now = now or timezone.now()
        return self.filter(completed_at__isnull=True, available_at__lte=now).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Assignment(TimeStampedModel):
    """A questionnaire given to a patient: by the program schedule, at the end of a
    module, or ad hoc by a therapist. Its state follows from its times and response."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="assignments"
    )
    enrollment = models.ForeignKey(
        "programs.Enrollment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    instrument = models.CharField(_("instrument"), max_length=32)
    source = models.CharField(max_length=10, choices=AssignmentSource.choices)
    # Idempotency of schedules: "baseline", "weekly:3", "module:<id>", "end", "followup:90".
    schedule_key = models.CharField(max_length=100, blank=True)
    available_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    expires_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overdue_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The response this one will be compared with (the earliest complete response to the
    # instrument in the enrollment), fixed when the questionnaire is given if there is
    # one already; responses never change, so its total is kept here too. Without it the
    # baseline is looked up on submission.
    baseline = models.ForeignKey(
        "Response", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    baseline_total = models.FloatField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "instrument", "schedule_key"],
                condition=Q(enrollment__isnull=False) & ~Q(schedule_key=""),
                name="one_scheduled_assignment",
            )
        ]
        indexes = [models.Index(fields=["patient", "completed_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} for {self.patient_id} due {self.due_at:%Y-%m-%d}"

    def state(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.completed_at is not None:
            return AssignmentState.COMPLETED
        if self.missed_at is not None or (self.expires_at is not None and now >= self.expires_at):
            return AssignmentState.MISSED
        if now < self.available_at:
            return AssignmentState.UPCOMING
        if now > self.due_at:
            return AssignmentState.OVERDUE
        return AssignmentState.DUE

    @property
    def current_state(self) -> str:
        return self.state()

    @property
    def state_label(self) -> str:
        return AssignmentState(self.state()).label


class Response(TimeStampedModel):
    """A submitted questionnaire, scored once with the definition version it records.

    ``answers`` maps item numbers (as strings) to the answer values: choices, never
    free text. Free-text answers, should an instrument have them, go to ``free_text``
    (encrypted).
    """

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="response")
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="responses"
    )
    instrument = models.CharField(max_length=32)
    definition_version = models.CharField(max_length=20)
    language = models.CharField(max_length=8, default="en")
    answers = models.JSONField(default=dict)
    followup = models.JSONField(default=dict, blank=True)
    free_text = EncryptedJSONField(null=True, blank=True)
    total = models.FloatField(null=True, blank=True)
    raw_total = models.FloatField(null=True, blank=True)
    max_total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=60, blank=True)
    band_index = models.SmallIntegerField(null=True, blank=True)
    critical = models.BooleanField(default=False)
    tier = models.CharField(max_length=8, blank=True)
    critical_items = models.JSONField(default=list, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)
    complete = models.BooleanField(default=True)
    prorated = models.BooleanField(default=False)
    # Jacobson-Truax reliable change against the baseline response (the patient's first
    # complete response to this instrument, in the same enrollment when there is one).
    baseline = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change = models.CharField(max_length=20, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_response_per_idempotency_key",
            )
        ]
        indexes = [models.Index(fields=["patient", "instrument", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} response {self.uuid}"

    @property
    def total_display(self) -> str:
        return _number(self.total)

    @property
    def max_display(self) -> str:
        return _number(self.max_total)

    def answer(self, number: int) -> int | None:
        value = self.answers.get(str(number))
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def change_since_baseline(self) -> float | None:
        if self.baseline is None or self.total is None or self.baseline.total is None:
            return None
        return self.total - self.baseline.total


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


class Draft(models.Model):
    """Answers so far for one assignment, saved on every step (server-side, so a draft
    survives logout, session expiry and a second device)."""

    class Mode(models.TextChoices):
        ITEM = "item", _("One question at a time")
        PAGE = "page", _("All questions on one page")

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="draft")
    answers = models.JSONField(default=dict, blank=True)
    followup = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.ITEM)
    # When a critical answer first appeared in the draft; if the patient leaves without
    # submitting, ``assessments_schedule`` raises the alert from the draft.
    critical_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"draft of {self.assignment_id}"
