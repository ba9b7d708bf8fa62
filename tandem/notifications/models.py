"""Notifications: the delivery log, in-app notifications, preferences, pending reminders
and the periodic-run claims.

A ``Notification`` is one message to one user on one channel. Its ``dedupe_key`` is
unique per recipient and channel, so asking twice for the same thing creates one row
(``services.notify``). Its state moves

    queued ──claim──► sending ──► sent
       ▲                 │  └───► failed (retry due at next_attempt_at) ──claim──► sending …
       └─────────────────┘  └───► failed + needs_review (outcome unknown; a person decides)
                            └───► bounced / suppressed

and the columns ``attempts``, ``sending_until`` (the lease) and ``handed_over_at`` make a
delivery safe against two workers and against a worker killed mid-send
(``delivery``; docs/notifications.md).
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandem.core.models import PublicModel, TimeStampedModel


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("In Tandem")


class State(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SUPPRESSED = "suppressed", _("Not sent")


CLAIMABLE = (State.QUEUED, State.FAILED)


class Notification(TimeStampedModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    dedupe_key = models.CharField(max_length=200)
    link_url = models.CharField(max_length=500, default="/")
    # Ids, counts and codes only (never clinical content); templates see an allow-listed
    # projection of it (``rendering``).
    context = models.JSONField(default=dict, blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # ``attempts`` never goes down (it fences stale workers); a resend starts a new series
    # of retries counted from here.
    attempts_at_resend = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    sending_until = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    needs_review = models.BooleanField(_("needs review"), default=False)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "channel", "dedupe_key"], name="notification_dedupe"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["recipient", "kind", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel} → {self.recipient_id} ({self.state})"


class InAppNotification(PublicModel):
    """What the user sees in Tandem's notification list (rendered at display time)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="in_app_notifications"
    )
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="in_app"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"])]

    def __str__(self) -> str:
        return f"in-app {self.notification_id} for {self.user_id}"


class Frequency(models.TextChoices):
    DAILY = "daily", _("At most once a day")
    WEEKLY = "weekly", _("At most once a week")
    OFF = "off", _("Never")


class ReminderChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("Only inside Tandem")


class DigestChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("Only inside Tandem")
    OFF = "off", _("No daily summary")


class Reason(models.TextChoices):
    """Why a patient is reminded (``services.remind``)."""

    MODULE_OPEN = "module_open", _("A new module is open")
    QUESTIONNAIRE_DUE = "questionnaire_due", _("A questionnaire is waiting for you")
    HOMEWORK_DUE = "homework_due", _("Homework is due")
    NEW_MESSAGE = "new_message", _("Your therapist has written to you")
    APPOINTMENT = "appointment", _("You have an appointment tomorrow")
    CHECK_IN = "check_in", _("We would be glad to see you again")


REASON_TOGGLES = {
    Reason.MODULE_OPEN: "remind_module_open",
    Reason.QUESTIONNAIRE_DUE: "remind_questionnaire_due",
    Reason.HOMEWORK_DUE: "remind_homework_due",
    Reason.NEW_MESSAGE: "remind_new_message",
    Reason.APPOINTMENT: "remind_appointment",
    Reason.CHECK_IN: "remind_check_in",
}


class ReminderSettings(models.Model):
    """The per-reason switches shared by a clinic's defaults and a patient's overrides."""

    remind_module_open = models.BooleanField(_("a new module opens"), null=True, blank=True)
    remind_questionnaire_due = models.BooleanField(
        _("a questionnaire is due"), null=True, blank=True
    )
    remind_homework_due = models.BooleanField(_("homework is due"), null=True, blank=True)
    remind_new_message = models.BooleanField(
        _("my therapist has written to me"), null=True, blank=True
    )
    remind_appointment = models.BooleanField(
        _("I have an appointment tomorrow"), null=True, blank=True
    )
    remind_check_in = models.BooleanField(
        _("I have not visited for a while"), null=True, blank=True
    )

    class Meta:
        abstract = True


class ClinicReminderDefaults(ReminderSettings):
    """A clinic's defaults (None on a switch means on). Patients override them."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="reminder_defaults"
    )
    check_in_after_days = models.PositiveSmallIntegerField(default=7)
    check_in_stop_after_days = models.PositiveSmallIntegerField(default=56)
    quiet_start = models.TimeField(default=time(21, 0))
    quiet_end = models.TimeField(default=time(8, 0))

    def __str__(self) -> str:
        return f"reminder defaults of clinic {self.clinic_id}"


class NotificationPreferences(ReminderSettings):
    """One user's choices. A missing row means the defaults (``preferences.for_user``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    phone = models.CharField(_("mobile phone number"), max_length=16, blank=True)
    # Patients: reminders.
    reminder_channel = models.CharField(
        _("send reminders by"),
        max_length=10,
        choices=ReminderChannel.choices,
        default=ReminderChannel.EMAIL,
    )
    frequency = models.CharField(
        _("how often"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY
    )
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_reminder_on = models.DateField(null=True, blank=True)
    last_check_in_on = models.DateField(null=True, blank=True)
    # Staff: the daily summary.
    digest_time = models.TimeField(_("daily summary at"), default=time(8, 0))
    digest_channel = models.CharField(
        _("send the daily summary by"),
        max_length=10,
        choices=DigestChannel.choices,
        default=DigestChannel.EMAIL,
    )
    # Delivery problems, shown to staff on the delivery log.
    bounced_email = models.EmailField(blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"

    @property
    def email_bounced(self) -> bool:
        return (
            bool(self.bounced_email)
            and self.bounced_email.lower() == (self.user.email or "").lower()
        )


class PendingReminder(models.Model):
    """A reason to remind a patient, waiting for the next allowed, grouped reminder."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        DROPPED = "dropped", _("Dropped")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.CASCADE, related_name="pending_reminders"
    )
    reason = models.CharField(max_length=32, choices=Reason.choices)
    ref_key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "reason", "ref_key"],
                condition=Q(handled_at__isnull=True),
                name="one_pending_reminder_per_reason_and_ref",
            )
        ]
        indexes = [models.Index(fields=["handled_at", "patient"])]

    def __str__(self) -> str:
        return f"{self.reason} for patient {self.patient_id}"


class PeriodicRun(models.Model):
    """One run of a periodic job for one period, claimed by inserting this row first."""

    name = models.CharField(max_length=64)
    period_key = models.CharField(max_length=32)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    host = models.CharField(max_length=255, blank=True)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "period_key"], name="periodic_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.period_key}"
