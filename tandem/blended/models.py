"""Blended care: appointments, their agenda, session notes with addenda, homework that
bridges sessions, the treatment plan, the weekly load limit and calendar-feed tokens.

Times are stored in UTC. Clinical free text (agenda items, notes, addenda, custom tasks,
goals, cancellation and override reasons) is encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandem.core.fields import EncryptedJSONField, EncryptedTextField
from tandem.core.models import TimeStampedModel

DEFAULT_NOTE_LOCK_HOURS = 24
DEFAULT_AGENDA_LEAD_HOURS = 48
DEFAULT_MAX_GAP_DAYS = 21
DEFAULT_MINUTES_PER_WEEK = 120
DEFAULT_ASSIGNMENTS_PER_WEEK = 3


class BlendedSettings(TimeStampedModel):
    """A clinic's rules for blended care (defaults apply when a clinic has no row)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="blended_settings"
    )
    note_lock_hours = models.PositiveSmallIntegerField(
        _("notes lock after signing (hours)"),
        default=DEFAULT_NOTE_LOCK_HOURS,
        help_text=_("0 locks a note the moment it is signed."),
    )
    agenda_lead_hours = models.PositiveSmallIntegerField(
        _("agenda expected this many hours before a session"), default=DEFAULT_AGENDA_LEAD_HOURS
    )
    max_gap_days = models.PositiveSmallIntegerField(
        _("longest gap between sessions (days)"), default=DEFAULT_MAX_GAP_DAYS
    )

    def __str__(self) -> str:
        return f"blended settings {self.clinic_id}"


class AppointmentKind(models.TextChoices):
    IN_PERSON = "in_person", _("Face to face")
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Phone")


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ATTENDED = "attended", _("Attended")
    DID_NOT_ATTEND = "did_not_attend", _("Did not attend")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.ATTENDED)


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def not_cancelled(self) -> AppointmentQuerySet:
        return self.exclude(status=AppointmentStatus.CANCELLED)

    def upcoming(self, now: datetime | None = None) -> AppointmentQuerySet:
        return self.filter(status=AppointmentStatus.SCHEDULED, ends_at__gt=now or timezone.now())

    def overlapping(self, starts_at: datetime, ends_at: datetime) -> AppointmentQuerySet:
        return self.not_cancelled().filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


class Appointment(TimeStampedModel):
    """One face-to-face, video or phone session between a patient and a care-team member.
    A recurring series is a set of rows sharing ``series``."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    enrollment = models.ForeignKey(
        "programs.Enrollment", on_delete=models.PROTECT, related_name="appointments"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments_held"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=AppointmentKind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    # Where to meet or how to join (a video link is a key of its own): encrypted, shown in
    # Tandem only, never in a calendar feed.
    location = EncryptedTextField(_("place or how to join"), blank=True, default="")
    series = models.UUIDField(null=True, blank=True, db_index=True)
    series_index = models.PositiveSmallIntegerField(null=True, blank=True)
    # iCalendar SEQUENCE: bumped on every change calendars must pick up.
    sequence = models.PositiveIntegerField(default=0)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = EncryptedTextField(_("reason"), blank=True, default="")
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    agenda_prepared_at = models.DateTimeField(null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["enrollment", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"appointment {self.uuid}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_cancelled(self) -> bool:
        return self.status == AppointmentStatus.CANCELLED

    @property
    def is_scheduled(self) -> bool:
        return self.status == AppointmentStatus.SCHEDULED


class AgendaSource(models.TextChoices):
    AUTO = "auto", _("From the online work")
    THERAPIST = "therapist", _("Therapist")
    PATIENT = "patient", _("Patient")


class AgendaItem(TimeStampedModel):
    """One point on a session's agenda: prepared from the online work, added by the
    therapist, or what the patient wants to talk about."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="agenda_items"
    )
    source = models.CharField(max_length=10, choices=AgendaSource.choices)
    text = EncryptedTextField(_("topic"))
    # What an automatic item is about: a kind ("exercise", "module", "homework", …) and
    # the object's UUID or key, so the work view can link to it.
    ref_kind = models.CharField(max_length=32, blank=True)
    ref_uuid = models.UUIDField(null=True, blank=True)
    ref_key = models.CharField(max_length=120, blank=True)
    order = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"agenda item {self.uuid}"


NOTE_SECTIONS = (
    ("agenda", _("Agenda")),
    ("homework_review", _("Review of homework")),
    ("main_work", _("Main work")),
    ("new_homework", _("New homework")),
    ("summary", _("Summary")),
    ("risk_review", _("Risk review")),
)
NOTE_SECTION_NAMES = tuple(name for name, _label in NOTE_SECTIONS)


class SessionNote(TimeStampedModel):
    """The therapist's structured note of one session. Editable until it locks (a clinic
    setting, 24 hours after signing by default); afterwards corrections are addenda."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="note")
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="session_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agenda = EncryptedTextField(_("Agenda"), blank=True, default="")
    homework_review = EncryptedTextField(_("Review of homework"), blank=True, default="")
    main_work = EncryptedTextField(_("Main work"), blank=True, default="")
    new_homework = EncryptedTextField(_("New homework"), blank=True, default="")
    summary = EncryptedTextField(_("Summary"), blank=True, default="")
    risk_review = EncryptedTextField(_("Risk review"), blank=True, default="")
    # Whether the homework review section has content (drift indicators read this flag
    # instead of decrypting notes).
    homework_reviewed = models.BooleanField(default=False)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locks_at = models.DateTimeField(null=True, blank=True)
    edited_after_signing_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"session note {self.uuid}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locks_at is not None and (now or timezone.now()) >= self.locks_at


class NoteAddendum(TimeStampedModel):
    """A later correction or addition to a locked note: appended, never edited."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("addendum"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"addendum {self.uuid}"


class HomeworkKind(models.TextChoices):
    MODULE = "module", _("A module of the program")
    EXERCISE = "exercise", _("An exercise")
    QUESTIONNAIRE = "questionnaire", _("A questionnaire")
    CUSTOM = "custom", _("A task of our own")


class HomeworkQuerySet(models.QuerySet["Homework"]):
    def current(self) -> HomeworkQuerySet:
        return self.filter(withdrawn_at__isnull=True)

    def open(self) -> HomeworkQuerySet:
        return self.current().filter(completed_at__isnull=True)


class Homework(TimeStampedModel):
    """Work between sessions: a module, an exercise, a questionnaire or a custom task,
    due before the next session. Completion comes from the event stream (or, for a
    custom task, the patient's tick)."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="homework"
    )
    enrollment = models.ForeignKey(
        "programs.Enrollment", on_delete=models.PROTECT, related_name="homework"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="homework"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=HomeworkKind.choices)
    module_key = models.CharField(max_length=80, blank=True)
    exercise_key = models.CharField(max_length=80, blank=True)
    instrument = models.CharField(max_length=32, blank=True)
    text = EncryptedTextField(_("task"), blank=True, default="")
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    plan_goal = models.PositiveSmallIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessment = models.ForeignKey(
        "assessments.Assignment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_ref = models.UUIDField(null=True, blank=True)  # the event that completed it
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_in = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    over_limit = models.BooleanField(default=False)
    override_reason = EncryptedTextField(blank=True, default="")

    objects = HomeworkQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["patient", "completed_at"]),
            models.Index(fields=["enrollment", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"homework {self.uuid}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class TreatmentPlan(TimeStampedModel):
    """Goals, the planned number of sessions and which modules go with which session."""

    enrollment = models.OneToOneField(
        "programs.Enrollment", on_delete=models.PROTECT, related_name="treatment_plan"
    )
    goals = EncryptedJSONField(default=list)
    planned_sessions = models.PositiveSmallIntegerField(_("planned sessions"), default=8)
    # {"1": ["starting-out"], "2": ["activity"], …}: module keys by session number.
    session_modules = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"treatment plan {self.uuid}"

    def modules_for(self, number: int) -> list[str]:
        return list(self.session_modules.get(str(number), []))


class LoadLimit(TimeStampedModel):
    """The weekly load a patient agreed to: minutes of content and number of tasks."""

    enrollment = models.OneToOneField(
        "programs.Enrollment", on_delete=models.PROTECT, related_name="load_limit"
    )
    minutes_per_week = models.PositiveSmallIntegerField(
        _("minutes a week"), default=DEFAULT_MINUTES_PER_WEEK
    )
    assignments_per_week = models.PositiveSmallIntegerField(
        _("tasks a week"), default=DEFAULT_ASSIGNMENTS_PER_WEEK
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"load limit {self.uuid}"


class CalendarFeedToken(TimeStampedModel):
    """A secret, revocable calendar-feed address. Only a SHA-256 digest of the token is
    stored; the address is shown once when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"calendar feed {self.uuid}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


FEED_PAST = timedelta(days=60)
