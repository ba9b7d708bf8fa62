"""Words for the workspace: a signal's reason, an event on the patient's timeline.

Built at render time from codes, keys and numbers in the active language. Content names
(module and exercise titles, instrument names) come from the programs and assessments
apps; nothing here reads clinical free text.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tandem.care.kinds import SignalKind as K

logger = logging.getLogger(__name__)

# --- content names ---------------------------------------------------------------------------

_hashes: dict[int, str] = {}


def _package(version_id: object) -> Any:
    from tandem.programs.catalog import _package as cached
    from tandem.programs.models import ProgramVersion

    if not isinstance(version_id, int):
        return None
    if version_id not in _hashes:
        found = (
            ProgramVersion.objects.filter(pk=version_id)
            .values_list("content_hash", flat=True)
            .first()
        )
        if found is None:
            return None
        _hashes[version_id] = found
    try:
        return cached(version_id, _hashes[version_id])
    except Exception:
        return None


def _module_id(module_key: str) -> str:
    return module_key.split(".", 1)[1] if "." in module_key else module_key


def module_title(version_id: object, module_key: str, lang: str) -> str:
    package = _package(version_id)
    module = package.program.module(_module_id(module_key)) if package else None
    return module.title.text(lang) if module is not None else module_key


def exercise_title(version_id: object, module_key: str, exercise_key: str, lang: str) -> str:
    package = _package(version_id)
    module = package.program.module(_module_id(module_key)) if package else None
    exercise = module.exercise(exercise_key) if module is not None else None
    return exercise.title.text(lang) if exercise is not None else exercise_key


@lru_cache(maxsize=128)
def instrument_name(code: str) -> str:
    """ "phq9" → its short name (PHQ-9) from the instrument definitions."""
    if apps.is_installed("tandem.assessments"):
        try:
            from tandem.assessments import definitions

            return str(definitions.get(code).short_name)
        except Exception:  # an unknown or retired instrument: its code, written as people do
            logger.debug("no definition for instrument %r", code)
    match = re.fullmatch(r"([a-z]+)(\d+)", code or "")
    return f"{match.group(1).upper()}-{match.group(2)}" if match else (code or "").upper()


def number(value: object) -> str:
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return "–"


# --- signals ----------------------------------------------------------------------------------


def _days_since(moment: datetime, now: datetime) -> int:
    return max(int((now - moment).total_seconds() // 86400), 0)


def _alert_reason(params: dict[str, Any]) -> str:
    if apps.is_installed("tandem.safety"):
        from tandem.safety.registry import reason_label

        return str(reason_label(str(params.get("source", "")), str(params.get("reason", ""))))
    return str(params.get("reason", ""))


def signal_text(signal: Any, now: datetime, lang: str) -> str:
    """The reason of a signal in words."""
    p = signal.reason_params or {}
    kind = signal.kind
    late = signal.due_at is not None and signal.due_at <= now
    if kind == K.SAFETY_ALERT:
        if p.get("tier") == "urgent":
            return _("Urgent safety alert: %(reason)s") % {"reason": _alert_reason(p)}
        return _("Safety alert to review: %(reason)s") % {"reason": _alert_reason(p)}
    if kind == K.MESSAGE_WAITING:
        if late:
            return _("Message waiting longer than the reply promise")
        return _("Message waiting for your reply")
    if kind == K.EXERCISE_FEEDBACK:
        title = exercise_title(
            p.get("version"), str(p.get("module", "")), str(p.get("exercise", "")), lang
        )
        if late:
            return _("Exercise waiting for feedback for longer than planned: %(title)s") % {
                "title": title
            }
        return _("Exercise awaiting feedback: %(title)s") % {"title": title}
    if kind == K.HARD_MOMENT:
        title = exercise_title(
            p.get("version"), str(p.get("module", "")), str(p.get("exercise", "")), lang
        )
        if isinstance(p.get("distress"), int):
            return _("“This is hard” in %(title)s (distress %(n)d of 10)") % {
                "title": title,
                "n": p["distress"],
            }
        return _("“This is hard” in %(title)s") % {"title": title}
    if kind == K.RELIABLE_DETERIORATION:
        return _("%(instrument)s reliably worse: %(before)s → %(after)s") % {
            "instrument": instrument_name(str(p.get("code", ""))),
            "before": number(p.get("baseline")),
            "after": number(p.get("total")),
        }
    if kind == K.MISSED_QUESTIONNAIRE:
        return _("Missed questionnaire: %(instrument)s") % {
            "instrument": instrument_name(str(p.get("code", "")))
        }
    if kind == K.SILENCE:
        days = _days_since(signal.since, now)
        return ngettext("No activity for %(n)d day", "No activity for %(n)d days", days) % {
            "n": days
        }
    if kind == K.NOT_STARTED:
        days = _days_since(signal.since, now)
        return ngettext(
            "Has not started, %(n)d day after enrolment",
            "Has not started, %(n)d days after enrolment",
            days,
        ) % {"n": days}
    if kind == K.MODULE_OVERDUE:
        return _("Behind the agreed pace: %(done)d of %(expected)d modules done") % {
            "done": int(p.get("completed", 0)),
            "expected": int(p.get("expected", 0)),
        }
    if kind == K.ALLIANCE_DIP:
        return _("Alliance pulse dipped to %(latest)s (usually %(usual)s)") % {
            "latest": number(p.get("latest")),
            "usual": number(p.get("median")),
        }
    if kind == K.SESSION_WITHOUT_AGENDA:
        when = _parse(p.get("starts_at"))
        label = (
            formats.date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT") if when else ""
        )
        return _("Session %(when)s has no agenda yet") % {"when": label}
    if kind == K.ENROLLMENT_ENDING:
        ends = _parse_date(p.get("ends_on"))
        days = max((ends - timezone.localdate(now)).days, 0) if ends else 0
        return ngettext("The program ends in %(n)d day", "The program ends in %(n)d days", days) % {
            "n": days
        }
    return str(K(kind).label) if kind in K.values else kind


def _parse(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def _parse_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


# --- the timeline -----------------------------------------------------------------------------

CATEGORIES = {
    "module": gettext_lazy("Module"),
    "exercise": gettext_lazy("Exercise"),
    "score": gettext_lazy("Score"),
    "message": gettext_lazy("Message"),
    "checkin": gettext_lazy("Check-in"),
    "alert": gettext_lazy("Alert"),
    "session": gettext_lazy("Session"),
    "program": gettext_lazy("Program"),
    "care": gettext_lazy("Care team"),
}


def category(kind: str) -> str:
    head = kind.split(".", 1)[0]
    return {
        "module": "module",
        "exercise": "exercise",
        "questionnaire": "score",
        "score": "score",
        "message": "message",
        "alliance": "message",
        "checkin": "checkin",
        "safety_plan": "checkin",
        "alert": "alert",
        "appointment": "session",
        "agenda": "session",
        "session_note": "session",
        "homework": "session",
        "treatment_plan": "session",
        "enrollment": "program",
        "patient": "care",
        "care_team": "care",
    }.get(head, "program")


def _find_title(versions: list[int], module: str, exercise: str, lang: str) -> str:
    for version_id in versions:
        package = _package(version_id)
        found = package.program.module(_module_id(module)) if package else None
        if found is None:
            continue
        if not exercise:
            return found.title.text(lang)
        item = found.exercise(exercise)
        if item is not None:
            return item.title.text(lang)
    return exercise or module


def event_text(event: Any, lang: str, versions: list[int] | None = None) -> str:
    """One timeline line for an event, from its kind and structured data only.
    ``versions``: the patient's program versions, to name modules and exercises."""
    d = event.data or {}
    kind = event.kind
    versions = versions or []
    module = str(d.get("module", ""))
    exercise = str(d.get("exercise", ""))
    code = instrument_name(str(d.get("code", ""))) if d.get("code") else ""
    if kind.startswith("module."):
        name = _find_title(versions, module, "", lang)
        texts = {
            "module.opened": _("Opened the module %(m)s"),
            "module.completed": _("Completed the module %(m)s"),
            "module.page_viewed": _("Read a page of %(m)s"),
            "module.unlocked": _("The module %(m)s was opened by the therapist"),
            "module.feedback_recorded": _("Feedback recorded on %(m)s"),
        }
        return texts.get(kind, _("Module %(m)s")) % {"m": name}
    if kind.startswith("exercise."):
        name = _find_title(versions, module, exercise, lang)
        texts = {
            "exercise.submitted": _("Submitted the exercise %(e)s"),
            "exercise.draft_saved": _("Worked on the exercise %(e)s"),
            "exercise.skipped": _("Skipped the exercise %(e)s"),
            "exercise.feedback_given": _("Feedback given on %(e)s"),
            "exercise.feedback_seen": _("Read the feedback on %(e)s"),
            "exercise.hard_reported": _("Said “this is hard” in %(e)s"),
            "exercise.hard_seen": _("“This is hard” in %(e)s answered"),
        }
        return texts.get(kind, _("Exercise %(e)s")) % {"e": name}
    if kind == "questionnaire.completed":
        return _("%(i)s completed: %(t)s") % {"i": code, "t": number(d.get("total"))}
    if kind == "score.reliable_change":
        if d.get("change") == "improved":
            return _("%(i)s reliably better") % {"i": code}
        return _("%(i)s reliably worse") % {"i": code}
    if kind == "message.sent":
        if d.get("direction") == "patient_to_team":
            return _("Message from the patient")
        return _("Message from the care team")
    if kind == "checkin.recorded":
        return _("Mood check-in: %(m)s") % {"m": number(d.get("mood"))}
    if kind == "alert.raised":
        if d.get("tier") == "urgent":
            return _("Urgent safety alert raised")
        return _("Safety alert raised")
    if kind == "enrollment.created":
        return _("Enrolled in the program %(p)s") % {"p": d.get("program", "")}
    if kind == "enrollment.status_changed":
        return _("Program status: %(to)s") % {"to": status_word(str(d.get("to", "")))}
    if kind == "enrollment.pace_agreed":
        return _("Agreed a pace of %(n)s modules a week") % {"n": d.get("per_week", "")}
    simple = {
        "questionnaire.assigned": _("%(i)s assigned"),
        "questionnaire.overdue": _("%(i)s overdue"),
        "questionnaire.missed": _("%(i)s missed"),
        "message.read": _("Messages read"),
        "alliance.answered": _("Answered the alliance pulse"),
        "alliance.dip": _("Alliance pulse dipped"),
        "safety_plan.updated": _("Safety plan updated"),
        "alert.repeated": _("Safety alert raised again"),
        "alert.acknowledged": _("Safety alert acknowledged"),
        "alert.escalated": _("Safety alert escalated to the supervisor"),
        "alert.reassigned": _("Safety alert moved to cover"),
        "enrollment.tailored": _("Program tailored"),
        "enrollment.version_changed": _("Moved to a new program version"),
        "patient.activated": _("Account activated"),
        "care_team.changed": _("Care team changed"),
        "appointment.scheduled": _("Session scheduled"),
        "appointment.rescheduled": _("Session moved"),
        "appointment.cancelled": _("Session cancelled"),
        "appointment.attended": _("Session held"),
        "appointment.did_not_attend": _("Session missed"),
        "agenda.prepared": _("Session agenda prepared"),
        "agenda.item_added": _("Session agenda item added"),
        "session_note.signed": _("Session note signed"),
        "session_note.addendum_added": _("Addendum to a session note"),
        "homework.assigned": _("Homework given"),
        "homework.completed": _("Homework done"),
        "homework.reopened": _("Homework reopened"),
        "homework.reviewed": _("Homework reviewed"),
        "homework.withdrawn": _("Homework withdrawn"),
        "treatment_plan.updated": _("Treatment plan updated"),
    }
    text = simple.get(kind)
    if text is None:
        return kind
    return text % {"i": code} if "%(i)s" in text else text


def status_word(status: str) -> str:
    words = {
        "active": _("active"),
        "paused": _("paused"),
        "completed": _("completed"),
        "discontinued": _("discontinued"),
    }
    return words.get(status, status)
