"""The kinds of notification Tandem sends, each with its templates under
``templates/notifications/<channel>/<kind>.txt`` (and ``email/<kind>_subject.txt``).

Every email and SMS template says only that there is something new, with a link; it
never carries message text, scores, diagnoses or program names
(tests/notifications/test_content.py renders all of them in every language).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: object  # lazy translation
    category: str  # reminder | digest | alert | account | general
    priority: int = 0  # task priority: alerts jump the queue
    # The context keys its templates may see (see rendering.project_context).
    context_keys: tuple[str, ...] = ()


PATIENT_REMINDER = "patient_reminder"
PATIENT_CHECKIN = "patient_checkin"
APPOINTMENT_REMINDER = "appointment_reminder"
THERAPIST_DIGEST = "therapist_digest"
SAFETY_ALERT = "safety_alert"
SAFETY_ESCALATION = "safety_escalation"
SOMETHING_NEW = "something_new"
SECURITY_NOTICE = "security_notice"

KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind(PATIENT_REMINDER, _("Reminder"), "reminder", context_keys=("reasons",)),
        Kind(PATIENT_CHECKIN, _("Check-in"), "reminder"),
        Kind(APPOINTMENT_REMINDER, _("Appointment reminder"), "reminder"),
        Kind(THERAPIST_DIGEST, _("Daily summary"), "digest", context_keys=("lines",)),
        Kind(SAFETY_ALERT, _("Safety alert"), "alert", priority=50),
        Kind(SAFETY_ESCALATION, _("Escalated safety alert"), "alert", priority=50),
        Kind(SOMETHING_NEW, _("Something new"), "general"),
        # "Your sign-in settings changed": never switched off, never grouped.
        Kind(
            SECURITY_NOTICE, _("Security notice"), "account", priority=40, context_keys=("notice",)
        ),
    )
}

REMINDER_KINDS = frozenset(k.code for k in KINDS.values() if k.category == "reminder")
# Grouped into at most one per patient per local day (appointments are not grouped).
DAILY_KINDS = frozenset({PATIENT_REMINDER, PATIENT_CHECKIN})


def get(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise ValueError(f"unknown notification kind {code!r} (one of {sorted(KINDS)})") from None
