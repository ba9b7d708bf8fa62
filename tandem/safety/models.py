"""Safety alerts, their escalation policy and the crisis resources shown to patients.

An ``Alert`` is a safety signal that a human must acknowledge with a note of the action
taken (a critical questionnaire item, risk language in a message, ...). It is created by
``tandem.safety.services.raise_alert`` inside the transaction of the answer that caused
it, routed to the patient's care team (primary, else cover) and escalated to the clinic's
supervisor when it stays unacknowledged (``escalate_due``).
"""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandem.core.fields import EncryptedJSONField, EncryptedTextField
from tandem.core.models import TimeStampedModel


class Source(models.TextChoices):
    ASSESSMENT = "assessment", _("Questionnaire")
    MESSAGE = "message", _("Message")
    CHECKIN = "checkin", _("Check-in")
    EXERCISE = "exercise", _("Exercise")


class Tier(models.TextChoices):
    REVIEW = "review", _("Review")
    URGENT = "urgent", _("Urgent")


TIER_RANK = {Tier.REVIEW: 1, Tier.URGENT: 2}


class EscalationReason(models.TextChoices):
    OVERDUE = "overdue", _("Not acknowledged in time")
    NO_CARE_TEAM = "no_care_team", _("Nobody on the care team is available")


class EscalationPolicy(TimeStampedModel):
    """When a clinic's unacknowledged alerts escalate to its supervisor.

    Delays count *working hours*: Monday to Friday between ``workday_start`` and
    ``workday_end`` in the clinic's time zone, skipping the public holidays of
    ``holiday_country`` (the ``holidays`` package). Defaults: a review alert escalates
    after one working day (8 working hours), an urgent alert after 4 working hours (the
    same working day when raised in the morning). A clinic without a row uses the
    defaults.
    """

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="escalation_policy"
    )
    review_hours = models.PositiveSmallIntegerField(
        _("review alerts escalate after (working hours)"), default=8
    )
    urgent_hours = models.PositiveSmallIntegerField(
        _("urgent alerts escalate after (working hours)"), default=4
    )
    workday_start = models.TimeField(_("working day starts"), default=time(8, 0))
    workday_end = models.TimeField(_("working day ends"), default=time(16, 0))
    holiday_country = models.CharField(_("public holidays of"), max_length=2, default="FI")

    class Meta:
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return f"escalation policy of {self.clinic_id}"

    def hours_for(self, tier: str) -> int:
        return self.urgent_hours if tier == Tier.URGENT else self.review_hours


class CrisisResourceSet(TimeStampedModel):
    """What a clinic's patients see when they need help now, in one language.

    ``lines`` is a list of ``{"name": ..., "number": ..., "hours": ...}``. A clinic (or a
    language) without a row gets the Finnish defaults of ``tandem.safety.defaults``.
    """

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="crisis_resources"
    )
    language = models.CharField(_("language"), max_length=8)
    emergency_number = models.CharField(_("emergency number"), max_length=20, default="112")
    lines = models.JSONField(_("crisis lines"), default=list, blank=True)
    clinic_phone = models.CharField(_("clinic phone"), max_length=40, blank=True)
    clinic_hours = models.CharField(_("clinic opening hours"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "language"], name="one_crisis_set_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"crisis resources {self.clinic_id}/{self.language}"


class AlertQuerySet(models.QuerySet["Alert"]):
    def open(self) -> AlertQuerySet:
        return self.filter(acknowledged_at__isnull=True)

    def triage_order(self) -> AlertQuerySet:
        """Open before acknowledged, urgent before review, oldest first."""
        return self.annotate(
            _open=models.Case(
                models.When(acknowledged_at__isnull=True, then=0),
                default=1,
                output_field=models.IntegerField(),
            ),
            _tier=models.Case(
                models.When(tier=Tier.URGENT, then=0),
                default=1,
                output_field=models.IntegerField(),
            ),
        ).order_by("_open", "_tier", "raised_at", "pk")


class Alert(TimeStampedModel):
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="alerts")
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices)
    # A short code ("phq9.item9", "message.risk_language"); never clinical free text.
    reason = models.CharField(_("reason"), max_length=64)
    # What caused it: the model label and public id of the response, message, ...
    ref_type = models.CharField(max_length=64, blank=True)
    ref_key = models.CharField(max_length=64, blank=True)
    # Structured detail from the caller (item numbers, values); encrypted at rest.
    detail = EncryptedJSONField(null=True, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    last_raised_at = models.DateTimeField(default=timezone.now)
    raise_count = models.PositiveIntegerField(default=1)
    # The therapist responsible now: the primary therapist, else an active cover.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("acknowledge by"))
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation_reason = models.CharField(
        max_length=16, choices=EscalationReason.choices, blank=True
    )
    # Set when nobody (not even a supervisor) could be found; the job keeps retrying.
    unrouted_since = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement_note = EncryptedTextField(_("action taken"), blank=True, default="")

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["raised_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "source", "reason", "ref_type", "ref_key"],
                condition=Q(acknowledged_at__isnull=True),
                name="one_open_alert_per_cause",
            )
        ]
        indexes = [
            models.Index(fields=["clinic", "acknowledged_at"]),
            models.Index(fields=["acknowledged_at", "escalated_at", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.tier} alert {self.reason} ({self.patient_id})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None

    @property
    def reason_label(self) -> str:
        from tandem.safety.registry import reason_label

        return reason_label(self.source, self.reason)

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and self.due_at <= (now or timezone.now())
