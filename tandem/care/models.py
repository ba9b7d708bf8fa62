"""The therapist's workspace: signals, the denormalised caseload, rules, outreach, time.

- ``Signal``: something a therapist should attend to, materialised by event handlers
  (``handlers.py``) and the periodic ``care_signals`` command — pages never recompute.
- ``CaseloadRow``: one row per patient with what the caseload page sorts and filters on
  (scores, adherence, dropout risk, open signals), kept current by the same handlers.
- ``SignalRule`` / ``ClinicCarePolicy``: a clinic's thresholds and planned minutes.
- ``OutreachStep``: what was done about a disengagement signal and what came of it.
- ``TimeEntry``: minutes spent per patient (automatic while working, or typed in).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandem.care.kinds import SignalKind
from tandem.care.ladder import Outcome, Step
from tandem.core.fields import EncryptedTextField
from tandem.core.models import PublicModel, TimeStampedModel


class SignalState(models.TextChoices):
    OPEN = "open", _("Open")
    SNOOZED = "snoozed", _("Snoozed")
    RESOLVED = "resolved", _("Resolved")


UNRESOLVED = (SignalState.OPEN, SignalState.SNOOZED)


class SignalQuerySet(models.QuerySet["Signal"]):
    def unresolved(self) -> SignalQuerySet:
        return self.filter(state__in=UNRESOLVED)

    def showing(self, now=None) -> SignalQuerySet:  # type: ignore[no-untyped-def]
        """Open, or snoozed with the snooze over (the periodic job reopens those)."""
        now = now or timezone.now()
        return self.filter(
            Q(state=SignalState.OPEN) | Q(state=SignalState.SNOOZED, snoozed_until__lte=now)
        )


class Signal(PublicModel):
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="care_signals"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "programs.Enrollment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_signals",
    )
    # The patient's primary therapist, denormalised so a triage list is an index range
    # (therapist, state, priority, since) whatever the caseload. Kept with the caseload
    # row; the rows shown are re-checked through the scoped patient path.
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=SignalKind.choices)
    priority = models.SmallIntegerField(default=50)
    # When the signal becomes more urgent (a message past the reply promise).
    due_at = models.DateTimeField(null=True, blank=True)
    due_priority = models.SmallIntegerField(null=True, blank=True)
    # Words come from the code and structured parameters — never clinical free text.
    reason_code = models.CharField(max_length=64)
    reason_params = models.JSONField(default=dict, blank=True)
    since = models.DateTimeField(_("since"))
    state = models.CharField(max_length=10, choices=SignalState.choices, default="open")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    snoozed_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    snooze_reason = EncryptedTextField(_("why"), blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # How it ended: "event" (the cause was answered), "manual", "re_engaged", "ended",
    # "rule" (no longer applies), "reconciled" (the periodic job found it answered).
    resolution = models.CharField(max_length=16, blank=True)
    ref_type = models.CharField(max_length=64, blank=True)
    ref_uuid = models.UUIDField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200)

    objects = SignalQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "since", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(state__in=["open", "snoozed"]),
                name="one_unresolved_signal_per_key",
            )
        ]
        indexes = [
            # Lookups by key: the partial unique index cannot serve "state IN (%s, %s)".
            models.Index(fields=["dedupe_key"]),
            models.Index(fields=["patient", "state"]),
            models.Index(fields=["therapist", "state", "priority", "since", "id"]),
            models.Index(fields=["clinic", "state", "priority", "since", "id"]),
            # The supervisor's workload per therapist: an index-only count.
            models.Index(fields=["clinic", "state", "therapist", "kind", "due_at"]),
            models.Index(fields=["state", "snoozed_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} signal ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state != SignalState.RESOLVED


class CaseloadRow(models.Model):
    """What the caseload page shows, sorts and filters on, one row per patient.

    The current enrollment is the most recently started ongoing one (else the latest).
    Kept current by ``handlers.py`` on events and rebuilt by ``care_signals``; the page
    reads only this table (and the scoped patient path) in a fixed number of queries.
    """

    patient = models.OneToOneField(
        "accounts.Patient", on_delete=models.CASCADE, related_name="caseload_row"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    primary_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrollment = models.ForeignKey(
        "programs.Enrollment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrollments = models.PositiveSmallIntegerField(default=0)
    program_code = models.CharField(max_length=50, blank=True)
    guidance_mode = models.CharField(max_length=12, blank=True)
    status = models.CharField(max_length=12, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    modules_completed = models.PositiveSmallIntegerField(default=0)
    modules_expected = models.PositiveSmallIntegerField(default=0)
    modules_total = models.PositiveSmallIntegerField(default=0)
    progress_gap = models.SmallIntegerField(default=0)  # expected - completed
    exercises_submitted = models.PositiveIntegerField(default=0)
    questionnaires_due = models.PositiveSmallIntegerField(default=0)
    questionnaires_done = models.PositiveSmallIntegerField(default=0)
    # UTC dates (ISO) with patient activity in the last 28 days.
    active_dates = models.JSONField(default=list, blank=True)
    active_days = models.PositiveSmallIntegerField(default=0)
    # {code: {"total", "baseline", "delta", "change", "band", "at"}}: latest complete scores.
    scores = models.JSONField(default=dict, blank=True)
    score_change = models.CharField(max_length=20, blank=True)  # worst reliable change
    open_signals = models.PositiveSmallIntegerField(default=0)
    open_kinds = models.JSONField(default=list, blank=True)
    top_priority = models.SmallIntegerField(null=True, blank=True)
    # The default caseload order as one indexed number: the most urgent open signal
    # first, then the higher dropout risk (see ``caseload.attention``).
    attention = models.IntegerField(default=993)
    adherence = models.CharField(max_length=12, blank=True)
    risk = models.CharField(max_length=8, blank=True)
    risk_rank = models.SmallIntegerField(default=0)  # 0 none, 1 low, 2 medium, 3 high
    risk_score = models.SmallIntegerField(default=0)
    risk_reasons = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["primary_therapist", "attention", "id"]),
            models.Index(fields=["clinic", "attention", "id"]),
            models.Index(fields=["clinic", "primary_therapist"]),
        ]

    def __str__(self) -> str:
        return f"caseload row of {self.patient_id}"


class SignalRule(TimeStampedModel):
    """A clinic's change to a signal rule, for one program or all (``program_code`` "")."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    program_code = models.CharField(_("program"), max_length=50, blank=True)
    kind = models.CharField(_("signal"), max_length=24, choices=SignalKind.choices)
    enabled = models.BooleanField(_("on"), default=True)
    threshold_days = models.PositiveSmallIntegerField(_("days"), null=True, blank=True)
    priority = models.SmallIntegerField(_("priority"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "program_code", "kind"], name="one_rule_per_kind_and_program"
            )
        ]

    def __str__(self) -> str:
        return f"rule {self.kind} {self.program_code or '*'} @ {self.clinic_id}"


class ClinicCarePolicy(TimeStampedModel):
    """A clinic's planned therapist time per patient (one row per clinic; defaults apply
    without one)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="care_policy"
    )
    planned_minutes_per_week = models.PositiveSmallIntegerField(
        _("planned minutes per patient per week"), default=15
    )

    def __str__(self) -> str:
        return f"care policy of {self.clinic_id}"


class OutreachStep(TimeStampedModel):
    """One rung of the outreach ladder: what was done, when and what came of it."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="outreach_steps"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "programs.Enrollment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signal = models.ForeignKey(
        Signal, null=True, blank=True, on_delete=models.SET_NULL, related_name="outreach"
    )
    signal_kind = models.CharField(max_length=24, choices=SignalKind.choices, blank=True)
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    done_at = models.DateTimeField(_("done"), default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    note = EncryptedTextField(_("note"), blank=True, default="")

    class Meta:
        ordering = ["done_at", "pk"]
        indexes = [
            models.Index(fields=["patient", "outcome"]),
            models.Index(fields=["clinic", "done_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.step} → {self.outcome}"


class TimeSource(models.TextChoices):
    AUTO = "auto", _("Automatic")
    MANUAL = "manual", _("Typed in")


class TimeEntry(TimeStampedModel):
    """Minutes a therapist spent on one patient. Automatic entries grow from heartbeats
    while the therapist works on the patient's pages (idle time excluded); manual ones
    are typed in (a phone call). Both can be edited by their therapist."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_time"
    )
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="care_time"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started"))
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=0)
    seconds = models.PositiveIntegerField(default=0)
    last_beat_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=TimeSource.choices, default="auto")
    activity = models.CharField(_("what"), max_length=16, blank=True)
    note = EncryptedTextField(_("note"), blank=True, default="")
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["therapist", "started_at"]),
            models.Index(fields=["clinic", "started_at"]),
            models.Index(fields=["therapist", "patient", "last_beat_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min {self.therapist_id}→{self.patient_id}"
