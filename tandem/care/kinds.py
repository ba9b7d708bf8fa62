"""Signal kinds: their default priority, what they say and what to do about them — pure.

A *signal* is something a therapist should attend to. Its words are built from a reason
code and structured parameters (numbers, codes, keys — never clinical free text); the
words are translated at render time, so every therapist reads them in their language.

Priorities: lower comes first. A safety alert is always first. A signal with a deadline
(``due_at``) moves up to its ``due_priority`` once the deadline passes (a message waiting
beyond the clinic's reply promise comes right after safety alerts).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignalKind(models.TextChoices):
    SAFETY_ALERT = "safety_alert", _("Safety alert")
    MESSAGE_WAITING = "message_waiting", _("Message waiting for a reply")
    HARD_MOMENT = "hard_moment", _("“This is hard”")
    EXERCISE_FEEDBACK = "exercise_feedback", _("Exercise awaiting feedback")
    RELIABLE_DETERIORATION = "reliable_deterioration", _("Reliable deterioration")
    ALLIANCE_DIP = "alliance_dip", _("Alliance pulse dip")
    SESSION_WITHOUT_AGENDA = "session_without_agenda", _("Session without agenda")
    MISSED_QUESTIONNAIRE = "missed_questionnaire", _("Missed questionnaire")
    MODULE_OVERDUE = "module_overdue", _("Module overdue")
    SILENCE = "silence", _("Silence")
    NOT_STARTED = "not_started", _("Not started")
    ENROLLMENT_ENDING = "enrollment_ending", _("Enrollment ending")


K = SignalKind


@dataclass(frozen=True)
class KindSpec:
    priority: int
    due_priority: int | None = None  # priority once ``due_at`` has passed
    disengagement: bool = False  # answered by the outreach ladder
    per_enrollment: bool = True  # resolved when the enrollment ends or pauses


SPECS: dict[str, KindSpec] = {
    K.SAFETY_ALERT: KindSpec(0, per_enrollment=False),
    K.MESSAGE_WAITING: KindSpec(40, due_priority=10),
    K.HARD_MOMENT: KindSpec(30, due_priority=15, per_enrollment=False),
    K.RELIABLE_DETERIORATION: KindSpec(35, per_enrollment=False),
    K.EXERCISE_FEEDBACK: KindSpec(45, due_priority=25),
    K.ALLIANCE_DIP: KindSpec(50, per_enrollment=False),
    K.SESSION_WITHOUT_AGENDA: KindSpec(55),
    K.MISSED_QUESTIONNAIRE: KindSpec(60, disengagement=True, per_enrollment=False),
    K.MODULE_OVERDUE: KindSpec(70, disengagement=True),
    K.SILENCE: KindSpec(65, disengagement=True),
    K.NOT_STARTED: KindSpec(75, disengagement=True),
    K.ENROLLMENT_ENDING: KindSpec(80),
}
DISENGAGEMENT = frozenset(k for k, s in SPECS.items() if s.disengagement)
PER_ENROLLMENT = frozenset(k for k, s in SPECS.items() if s.per_enrollment)
# Kinds that patient activity (opening a module, writing, a check-in …) answers.
ANSWERED_BY_ACTIVITY = frozenset({K.SILENCE, K.NOT_STARTED})


def priority_of(kind: str) -> int:
    spec = SPECS.get(kind)
    return spec.priority if spec else 99


@dataclass(frozen=True)
class Action:
    """The one-click action of a row: a URL name of the owning app and its arguments."""

    label: str
    url_name: str
    arg: str  # "alert" | "enrollment" | "entry" | "patient" | "none"
    query: str = ""


ACTIONS: dict[str, Action] = {
    K.SAFETY_ALERT: Action(_("Acknowledge the alert"), "alert_detail", "ref"),
    K.MESSAGE_WAITING: Action(_("Open the conversation"), "messaging_conversation", "enrollment"),
    K.HARD_MOMENT: Action(_("Answer now"), "patient_exercises", "patient"),
    K.EXERCISE_FEEDBACK: Action(_("Give feedback"), "exercise_entry", "ref"),
    K.RELIABLE_DETERIORATION: Action(_("Review the scores"), "patient_scores", "patient"),
    K.ALLIANCE_DIP: Action(_("Open the conversation"), "messaging_conversation", "enrollment"),
    K.SESSION_WITHOUT_AGENDA: Action(_("Prepare the agenda"), "blended_agenda", "ref"),
    K.MISSED_QUESTIONNAIRE: Action(
        _("Send a gesture"), "messaging_conversation", "enrollment", "context=questionnaire_missed"
    ),
    K.MODULE_OVERDUE: Action(
        _("Send encouragement"), "messaging_conversation", "enrollment", "context=silent_week"
    ),
    K.SILENCE: Action(
        _("Send a check-in"), "messaging_conversation", "enrollment", "context=silent_week"
    ),
    K.NOT_STARTED: Action(
        _("Send a welcome nudge"), "messaging_conversation", "enrollment", "context=silent_week"
    ),
    K.ENROLLMENT_ENDING: Action(_("Plan the ending"), "enrollment_detail", "enrollment"),
}
