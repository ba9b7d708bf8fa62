"""Mood & emotion check-ins and the personal safety plan (with its versions).

Check-in notes and safety plans are clinical free text: encrypted at rest. Mood (0–10)
and emotions (codes from a fixed list, intensity 1–3) stay queryable for trends.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandem.accounts.models import Patient
from tandem.core.fields import EncryptedJSONField, EncryptedTextField
from tandem.core.models import TimeStampedModel

EMOTIONS = (
    ("calm", _("Calm")),
    ("joy", _("Joy")),
    ("hope", _("Hope")),
    ("sadness", _("Sadness")),
    ("anxiety", _("Anxiety")),
    ("anger", _("Anger")),
    ("shame", _("Shame")),
    ("guilt", _("Guilt")),
    ("loneliness", _("Loneliness")),
    ("tiredness", _("Tiredness")),
)
EMOTION_CODES = tuple(code for code, _label in EMOTIONS)
INTENSITIES = ((1, _("a little")), (2, _("quite")), (3, _("strongly")))
MAX_NOTE = 2000


class CheckIn(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="checkins")
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    mood = models.PositiveSmallIntegerField(_("mood"))
    emotions = models.JSONField(_("emotions"), default=dict, blank=True)  # code → 1..3
    note = EncryptedTextField(_("note"), blank=True, default="")
    client_token = models.UUIDField()
    risk_tier = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "client_token"], name="one_checkin_per_token"
            ),
            models.CheckConstraint(condition=models.Q(mood__lte=10), name="mood_at_most_10"),
        ]
        indexes = [models.Index(fields=["patient", "recorded_at"])]

    def __str__(self) -> str:
        return f"check-in {self.uuid}"

    def emotion_list(self) -> list[tuple[str, str, int]]:
        labels = dict(EMOTIONS)
        return [
            (code, str(labels[code]), int(self.emotions[code]))
            for code in EMOTION_CODES
            if code in (self.emotions or {})
        ]


SECTIONS = (
    (
        "warning_signs",
        _("My warning signs"),
        _("Thoughts, feelings, situations or behaviour that tell me a crisis may be coming."),
    ),
    (
        "coping",
        _("What I can do on my own"),
        _("Things that help me calm down or take my mind off things, without contacting anyone."),
    ),
    (
        "distractions",
        _("People and places that take my mind off things"),
        _("Someone to spend time with, or a place to go: a café, a library, a walk somewhere."),
    ),
    ("helpers", _("People I can ask for help"), _("Names and phone numbers.")),
    (
        "professionals",
        _("Professionals and crisis lines"),
        _("My care team, my health centre, the crisis line, the emergency number 112."),
    ),
    (
        "safe_environment",
        _("Making my surroundings safe"),
        _("What I can do, or ask someone to do, to keep dangerous things out of reach."),
    ),
)
SECTION_CODES = tuple(code for code, _label, _help in SECTIONS)


class SafetyPlan(TimeStampedModel):
    """A patient's personal safety plan; its content lives in versions (newest current)."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="safety_plan")
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"safety plan of {self.patient_id}"


class SafetyPlanVersion(models.Model):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = EncryptedJSONField()  # section code → text
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="one_safety_plan_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"safety plan version {self.number}"
