"""Adherence metrics and the early dropout-risk flag — pure functions, no ORM.

Every number here is defined in ``docs/workspace.md`` and computed from counters the
services keep current (``Enrollment``) and from the event stream (active days). The
dropout-risk flag is a sum of transparent rule weights; its reasons are shown next to
it ("no activity for 12 days; 1 of 4 expected modules"). Nothing is a black box.

Rule weights (``RULES``):

=====================================================================  ======
rule                                                                   weight
=====================================================================  ======
no activity for 14 days or more                                        3
no activity for 7–13 days                                              2
nothing opened 7 days or more after the start                          3
2 or more modules behind the agreed pace                               2
1 module behind the agreed pace                                        1
active on fewer than 4 of the last 28 days (enrolled 14 days or more)  1
fewer than half of the due questionnaires completed (2 or more due)    1
no exercise submitted 21 days or more after the start                  1
=====================================================================  ======

Risk: a score of 4 or more is *high*, 2–3 *medium*, below 2 *low*. Only active
enrollments are scored; a paused or ended one has no risk flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tandem.programs.pacing import expected_completed

HIGH = 4
MEDIUM = 2
WINDOW_DAYS = 28
LONG_SILENCE, SHORT_SILENCE = 14, 7
NOT_STARTED_DAYS = 7
FEW_ACTIVE_DAYS, FEW_ACTIVE_AFTER = 4, 14
NO_EXERCISE_DAYS = 21

RULES: dict[str, int] = {
    "silent_long": 3,
    "silent": 2,
    "not_started": 3,
    "behind_2": 2,
    "behind_1": 1,
    "few_active_days": 1,
    "questionnaires_missed": 1,
    "no_exercise": 1,
}
RISK_LEVELS = ("low", "medium", "high")
STATUSES = ("on_track", "behind", "inactive", "not_started", "paused", "ended", "no_program")


@dataclass(frozen=True)
class AdherenceInput:
    now: datetime
    status: str  # the enrollment's status, "" without an enrollment
    started_at: datetime | None = None
    last_activity_at: datetime | None = None
    modules_completed: int = 0
    modules_total: int = 0
    pace_per_week: float = 1.0
    exercises_submitted: int = 0
    questionnaires_due: int = 0
    questionnaires_done: int = 0
    active_days: int = 0  # distinct days with patient activity in the last 28 days


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, Any]
    weight: int


@dataclass(frozen=True)
class Adherence:
    status: str
    risk: str  # "low" | "medium" | "high" | "" (not scored)
    score: int
    days_since_activity: int | None
    active_days: int
    modules_completed: int
    modules_expected: int
    exercises_submitted: int
    questionnaire_rate: float | None
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def reason_list(self) -> list[list[Any]]:
        """The reasons as JSON-friendly ``[code, params]`` pairs (for storage)."""
        return [[r.code, r.params] for r in self.reasons]


def days_between(earlier: datetime | None, later: datetime) -> int | None:
    if earlier is None:
        return None
    return max(int((later - earlier).total_seconds() // 86400), 0)


def assess(data: AdherenceInput) -> Adherence:
    """Metrics, adherence status and dropout risk of one enrollment."""
    now = data.now
    expected = 0
    if data.started_at is not None:
        expected = expected_completed(
            started_at=data.started_at,
            now=now,
            per_week=data.pace_per_week,
            total=data.modules_total,
        )
    since = days_between(data.last_activity_at, now)
    rate = (
        round(data.questionnaires_done / data.questionnaires_due, 2)
        if data.questionnaires_due
        else None
    )
    common = dict(
        days_since_activity=since,
        active_days=data.active_days,
        modules_completed=data.modules_completed,
        modules_expected=expected,
        exercises_submitted=data.exercises_submitted,
        questionnaire_rate=rate,
    )
    if not data.status:
        return Adherence(status="no_program", risk="", score=0, **common)
    if data.status in ("completed", "discontinued"):
        return Adherence(status="ended", risk="", score=0, **common)
    if data.status == "paused":
        return Adherence(status="paused", risk="", score=0, **common)

    reasons: list[Reason] = []
    enrolled_days = days_between(data.started_at, now) or 0
    if since is None:
        if enrolled_days >= NOT_STARTED_DAYS:
            reasons.append(Reason("not_started", {"days": enrolled_days}, RULES["not_started"]))
    elif since >= LONG_SILENCE:
        reasons.append(Reason("silent", {"days": since}, RULES["silent_long"]))
    elif since >= SHORT_SILENCE:
        reasons.append(Reason("silent", {"days": since}, RULES["silent"]))
    behind = expected - data.modules_completed
    if behind >= 1:
        weight = RULES["behind_2"] if behind >= 2 else RULES["behind_1"]
        reasons.append(
            Reason("behind", {"done": data.modules_completed, "expected": expected}, weight)
        )
    if enrolled_days >= FEW_ACTIVE_AFTER and data.active_days < FEW_ACTIVE_DAYS:
        reasons.append(
            Reason("few_active_days", {"days": data.active_days}, RULES["few_active_days"])
        )
    if data.questionnaires_due >= 2 and data.questionnaires_done * 2 < data.questionnaires_due:
        reasons.append(
            Reason(
                "questionnaires",
                {"done": data.questionnaires_done, "due": data.questionnaires_due},
                RULES["questionnaires_missed"],
            )
        )
    if enrolled_days >= NO_EXERCISE_DAYS and data.exercises_submitted == 0:
        reasons.append(Reason("no_exercise", {}, RULES["no_exercise"]))
    score = sum(r.weight for r in reasons)
    risk = "high" if score >= HIGH else "medium" if score >= MEDIUM else "low"
    if since is None:
        status = "not_started"
    elif since >= LONG_SILENCE:
        status = "inactive"
    elif behind >= 1:
        status = "behind"
    else:
        status = "on_track"
    return Adherence(status=status, risk=risk, score=score, reasons=tuple(reasons), **common)


def reason_text(code: str, params: dict[str, Any]) -> str:
    """A risk reason in words, in the active language."""
    p = params or {}
    if code == "silent":
        days = int(p.get("days", 0))
        return ngettext("no activity for %(n)d day", "no activity for %(n)d days", days) % {
            "n": days
        }
    if code == "not_started":
        days = int(p.get("days", 0))
        return ngettext(
            "nothing opened %(n)d day after the start",
            "nothing opened %(n)d days after the start",
            days,
        ) % {"n": days}
    if code == "behind":
        return _("%(done)d of %(expected)d expected modules") % {
            "done": int(p.get("done", 0)),
            "expected": int(p.get("expected", 0)),
        }
    if code == "few_active_days":
        days = int(p.get("days", 0))
        return ngettext(
            "active on %(n)d day of the last 28",
            "active on %(n)d days of the last 28",
            days,
        ) % {"n": days}
    if code == "questionnaires":
        return _("%(done)d of %(due)d questionnaires completed") % {
            "done": int(p.get("done", 0)),
            "due": int(p.get("due", 0)),
        }
    if code == "no_exercise":
        return _("no exercise submitted yet")
    return code


def reasons_text(reasons: list[Any]) -> str:
    parts = []
    for item in reasons or []:
        if isinstance(item, list | tuple) and len(item) == 2:
            parts.append(reason_text(str(item[0]), item[1] if isinstance(item[1], dict) else {}))
    return "; ".join(parts)


def status_label(status: str) -> str:
    labels = {
        "on_track": _("On track"),
        "behind": _("Behind the pace"),
        "inactive": _("Inactive"),
        "not_started": _("Not started"),
        "paused": _("Paused"),
        "ended": _("Ended"),
        "no_program": _("No program"),
    }
    return labels.get(status, status)


def risk_label(risk: str) -> str:
    labels = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}
    return labels.get(risk, "–")


def window_start(now: datetime) -> datetime:
    return now - timedelta(days=WINDOW_DAYS)
