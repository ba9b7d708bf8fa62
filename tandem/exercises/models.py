"""Exercise answers (drafts and submissions), therapist feedback and "this is hard" moments.

An entry points at the ``ProgramVersion`` whose content defines its exercise and names the
module and exercise by their ids inside that version, so a content change never orphans
an answer. Answers, reasons, notes and feedback are clinical free text: encrypted fields.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tandem.core.fields import EncryptedJSONField, EncryptedTextField
from tandem.core.models import TimeStampedModel


class EntryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SKIPPED = "skipped", _("Skipped")


class SkipReason(models.TextChoices):
    NOT_RELEVANT = "not_relevant", _("It does not fit my situation")
    NO_TIME = "no_time", _("I do not have time for it now")
    TOO_HARD = "too_hard", _("It feels too difficult right now")
    DONE_ELSEWHERE = "done_elsewhere", _("I do this in another way already")
    OTHER = "other", _("Another reason")


class ExerciseEntryQuerySet(models.QuerySet["ExerciseEntry"]):
    def for_exercise(self, enrollment, version, module_key: str, exercise_key: str):  # type: ignore[no-untyped-def]
        return self.filter(
            enrollment=enrollment,
            version=version,
            module_key=module_key,
            exercise_key=exercise_key,
        )

    def drafts(self):  # type: ignore[no-untyped-def]
        return self.filter(status=EntryStatus.DRAFT)

    def submitted(self):  # type: ignore[no-untyped-def]
        return self.filter(status=EntryStatus.SUBMITTED)

    def awaiting_feedback(self):  # type: ignore[no-untyped-def]
        return self.filter(status=EntryStatus.SUBMITTED, feedback_at__isnull=True)


class ExerciseEntry(TimeStampedModel):
    """One answer to one exercise: a draft, a submission or a skip.

    Non-repeatable exercises have one current draft and normally one submission (a
    revision is a new submission); repeatable ones (diaries, logs) have many submissions
    over time and one current draft. ``answers`` holds, for a draft, the worksheet's raw
    form data as typed (so nothing is lost, even invalid input); for a submission, the
    validated, normalised answers.
    """

    enrollment = models.ForeignKey(
        "programs.Enrollment", on_delete=models.PROTECT, related_name="exercise_entries"
    )
    version = models.ForeignKey(
        "programs.ProgramVersion", on_delete=models.PROTECT, related_name="exercise_entries"
    )
    module_key = models.CharField(max_length=80)
    exercise_key = models.CharField(max_length=80)
    exercise_type = models.CharField(max_length=32)
    repeatable = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    answers = EncryptedJSONField(default=dict)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    draft_event_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    skip_reason_code = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    skip_reason = EncryptedTextField(blank=True, default="")
    # The client's token for this worksheet (idempotent submission: a repeated POST with
    # the same token returns the entry it created).
    submission_token = models.UUIDField()
    # When the care team first answered this submission (None: awaiting feedback).
    feedback_at = models.DateTimeField(null=True, blank=True)

    objects = ExerciseEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "version", "module_key", "exercise_key"],
                condition=Q(status="draft"),
                name="one_open_draft_per_exercise",
            ),
            models.UniqueConstraint(
                fields=["enrollment", "submission_token"], name="one_entry_per_token"
            ),
        ]
        indexes = [
            models.Index(fields=["enrollment", "status"]),
            models.Index(fields=["enrollment", "module_key", "exercise_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.module_key}/{self.exercise_key} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == EntryStatus.DRAFT

    @property
    def is_submitted(self) -> bool:
        return self.status == EntryStatus.SUBMITTED

    @property
    def awaiting_feedback(self) -> bool:
        return self.is_submitted and self.feedback_at is None


class Feedback(TimeStampedModel):
    """A therapist's written answer to a submitted exercise."""

    entry = models.ForeignKey(ExerciseEntry, on_delete=models.PROTECT, related_name="feedback")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("feedback"))
    template_key = models.CharField(max_length=80, blank=True)
    seen_by_patient_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"feedback on {self.entry_id} by {self.author_id}"


class HardMoment(TimeStampedModel):
    """ "This is hard for me": the patient is stuck or distressed inside an exercise."""

    enrollment = models.ForeignKey(
        "programs.Enrollment", on_delete=models.PROTECT, related_name="hard_moments"
    )
    entry = models.ForeignKey(
        ExerciseEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hard_moments",
    )
    version = models.ForeignKey(
        "programs.ProgramVersion", on_delete=models.PROTECT, related_name="+"
    )
    module_key = models.CharField(max_length=80)
    exercise_key = models.CharField(max_length=80)
    distress = models.PositiveSmallIntegerField(null=True, blank=True)
    note = EncryptedTextField(blank=True, default="")
    answer_due_on = models.DateField()
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(distress__isnull=True) | Q(distress__gte=0, distress__lte=10),
                name="hard_distress_0_10",
            )
        ]
        indexes = [models.Index(fields=["enrollment", "seen_at"])]

    def __str__(self) -> str:
        return f"hard moment {self.uuid}"
