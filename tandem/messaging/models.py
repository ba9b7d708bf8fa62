"""Conversations, messages, drafts, gesture templates, alliance pulses and absences.

One conversation per enrollment, between the patient and the care team. Message bodies
and drafts are clinical free text: encrypted at rest. A message may point at what it is
about (an exercise, a module or a score) by a typed reference — type, public id and a
short label — never by copying clinical text.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tandem.accounts.models import Patient
from tandem.core.fields import EncryptedTextField
from tandem.core.models import TimeStampedModel
from tandem.core.workhours import WorkCalendar

if TYPE_CHECKING:
    from django.db.models import QuerySet

MAX_BODY = 10_000


class SupportFunction(models.TextChoices):
    AUTONOMY = "autonomy", _("Autonomy")
    ALLIANCE = "alliance", _("Alliance")
    EMOTION_REGULATION = "emotion_regulation", _("Emotion regulation")


FUNCTION_CODES = tuple(SupportFunction.values)


class GestureContext(models.TextChoices):
    EXERCISE_SUBMITTED = "exercise_submitted", _("A submitted exercise")
    MODULE_COMPLETED = "module_completed", _("A completed module")
    SILENT_WEEK = "silent_week", _("A silent week")
    SCORE_IMPROVED = "score_improved", _("An improved score")
    QUESTIONNAIRE_MISSED = "questionnaire_missed", _("A missed questionnaire")


class RefType(models.TextChoices):
    EXERCISE = "exercise", _("Exercise")
    MODULE = "module", _("Module")
    SCORE = "score", _("Score")


class ClinicMessagingPolicy(TimeStampedModel):
    """A clinic's reply promise and working calendar (one per clinic; defaults apply
    when a clinic has none)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="messaging_policy"
    )
    promise_hours = models.PositiveSmallIntegerField(
        _("reply promise (working hours)"),
        default=16,
        help_text=_("The longest a patient's message should wait, in working hours."),
    )
    workday_start = models.TimeField(_("working day starts"), default=time(8))
    workday_end = models.TimeField(_("working day ends"), default=time(16))
    working_days = models.JSONField(_("working days"), default=list, blank=True)
    holiday_country = models.CharField(_("public holidays of"), max_length=2, default="FI")
    min_samples = models.PositiveSmallIntegerField(
        _("replies needed before the measured time is shown"), default=5
    )

    def __str__(self) -> str:
        return f"messaging policy of {self.clinic}"

    def calendar(self) -> WorkCalendar:
        return WorkCalendar(
            tz=ZoneInfo(self.clinic.timezone if self.clinic_id else settings.TIME_ZONE),
            day_start=self.workday_start,
            day_end=self.workday_end,
            workdays=frozenset(self.working_days or (0, 1, 2, 3, 4)),
            holiday_country=self.holiday_country or None,
        )


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def for_user(self, user: object) -> QuerySet[Conversation]:
        """Conversations of the patients ``user`` may see (the one scoped path)."""
        return self.filter(patient__in=Patient.objects.for_user(user))


class Conversation(TimeStampedModel):
    enrollment = models.OneToOneField(
        "programs.Enrollment", on_delete=models.PROTECT, related_name="conversation"
    )
    # Denormalised from the enrollment for scoped queries and the overdue scan.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="conversations")
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="conversations"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    # When the oldest patient message still without a care-team reply was sent.
    awaiting_reply_since = models.DateTimeField(null=True, blank=True, db_index=True)
    message_count = models.PositiveIntegerField(default=0)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["clinic", "awaiting_reply_since"])]

    def __str__(self) -> str:
        return f"conversation {self.uuid}"


class Direction(models.TextChoices):
    PATIENT_TO_TEAM = "patient_to_team", _("From the patient")
    TEAM_TO_PATIENT = "team_to_patient", _("From the care team")


class Message(TimeStampedModel):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent"
    )
    direction = models.CharField(max_length=16, choices=Direction.choices)
    body = EncryptedTextField(_("message"))
    # One message per click token: a double-clicked send stores one message.
    client_token = models.UUIDField()
    sent_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the message is about: a typed reference, rendered as a link.
    ref_type = models.CharField(max_length=16, choices=RefType.choices, blank=True)
    ref_uuid = models.UUIDField(null=True, blank=True)
    ref_label = models.CharField(max_length=120, blank=True)
    ref_key = models.CharField(max_length=80, blank=True)  # e.g. a module's key in its program
    # Gesture taxonomy (therapist messages): the support functions it serves.
    fn_autonomy = models.BooleanField(default=False)
    fn_alliance = models.BooleanField(default=False)
    fn_emotion_regulation = models.BooleanField(default=False)
    context_kind = models.CharField(max_length=32, blank=True)
    template_key = models.CharField(max_length=64, blank=True)
    # Reply-time measurement (team messages that answer a waiting patient message).
    answers_since = models.DateTimeField(null=True, blank=True)
    reply_working_hours = models.FloatField(null=True, blank=True)
    # Risk-language finding (patient messages): tier only, never the phrase's context.
    risk_tier = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_token"], name="one_message_per_client_token"
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "sent_at"]),
            models.Index(fields=["sender", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"message {self.uuid}"

    @property
    def functions(self) -> list[str]:
        return [code for code in FUNCTION_CODES if getattr(self, f"fn_{code}")]

    @property
    def from_team(self) -> bool:
        return self.direction == Direction.TEAM_TO_PATIENT


class Draft(TimeStampedModel):
    """The unsent text of one user in one conversation (autosaved)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="drafts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_drafts"
    )
    body = EncryptedTextField(blank=True, default="")
    context_kind = models.CharField(max_length=32, blank=True)
    context_ref = models.UUIDField(null=True, blank=True)
    functions = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "author"], name="one_draft_per_author")
        ]


class MessageTemplate(TimeStampedModel):
    """A gesture template of a clinic (``owner`` empty) or of one therapist."""

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="message_templates"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="message_templates",
    )
    context = models.CharField(_("starts from"), max_length=32, choices=GestureContext.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=4000)
    fn_autonomy = models.BooleanField(_("autonomy"), default=False)
    fn_alliance = models.BooleanField(_("alliance"), default=False)
    fn_emotion_regulation = models.BooleanField(_("emotion regulation"), default=False)
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["context", "language", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def functions(self) -> list[str]:
        return [code for code in FUNCTION_CODES if getattr(self, f"fn_{code}")]

    @property
    def key(self) -> str:
        return f"db:{self.uuid}"


class PulseStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ANSWERED = "answered", _("Answered")
    DISMISSED = "dismissed", _("Dismissed")


class AlliancePulse(TimeStampedModel):
    """One offer of the two-item alliance pulse to a patient about one therapist."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="pulses")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alliance_pulses")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alliance_pulses"
    )
    trigger = models.CharField(max_length=32)  # "reply" or "feedback"
    status = models.CharField(
        max_length=10, choices=PulseStatus.choices, default=PulseStatus.OFFERED
    )
    understood = models.PositiveSmallIntegerField(null=True, blank=True)
    helps = models.PositiveSmallIntegerField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["patient", "therapist", "created_at"])]

    @property
    def score(self) -> float | None:
        values = [v for v in (self.understood, self.helps) if v is not None]
        return sum(values) / len(values) if values else None


class Absence(TimeStampedModel):
    """A therapist away on given dates, with a named cover of the same clinic."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="absences"
    )
    cover = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covering"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("first day away"))
    ends_on = models.DateField(_("last day away"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapist} away {self.starts_on}–{self.ends_on}"


class AbsenceCover(models.Model):
    """A time-bounded care-team membership created for an absence."""

    absence = models.ForeignKey(Absence, on_delete=models.CASCADE, related_name="memberships")
    member = models.OneToOneField(
        "accounts.CareTeamMember", on_delete=models.PROTECT, related_name="absence_cover"
    )

    def __str__(self) -> str:
        return f"cover {self.member_id} for absence {self.absence_id}"
