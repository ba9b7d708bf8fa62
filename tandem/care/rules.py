"""Signal rules: defaults, per-clinic and per-program overrides, and the time-based rules
(silence, not started, module overdue, enrollment ending) — pure, no ORM.

A clinic changes a rule with a ``SignalRule`` row (``tandem.care.models``): for one
program (``program_code``) or for all (``""``). The most specific row wins; without a
row the defaults below apply. ``days`` means, per kind:

==========================  ==============================================================
silence                     days without any activity (default by pacing, see ``SILENCE``)
not_started                 days after the start with nothing opened (14)
module_overdue              days of grace behind the agreed pace before it shows (3)
enrollment_ending           days before the planned end (7)
exercise_feedback           working days before a submission counts as late (3)
session_without_agenda      days before a blended session (2)
==========================  ==============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tandem.care.kinds import SignalKind as K
from tandem.programs.pacing import expected_completed

#: Silence threshold by pacing policy (days). Weekly and step-by-step programs expect a
#: visit a week; therapist-paced or after-feedback programs wait on the therapist too.
SILENCE = {
    "weekly": 10,
    "sequential": 10,
    "all_open": 10,
    "after_feedback": 14,
    "therapist": 14,
}
SILENCE_SELF_GUIDED = 21
DEFAULT_DAYS: dict[str, int | None] = {
    K.SILENCE: None,  # by pacing
    K.NOT_STARTED: 14,
    K.MODULE_OVERDUE: 3,
    K.ENROLLMENT_ENDING: 7,
    K.EXERCISE_FEEDBACK: 3,
    K.SESSION_WITHOUT_AGENDA: 2,
}
MAX_DAYS = 365


@dataclass(frozen=True)
class RuleConfig:
    enabled: bool = True
    days: int | None = None
    priority: int | None = None


RuleTable = Mapping[tuple[str, str], RuleConfig]  # (program_code or "", kind) -> config


def config_for(
    kind: str,
    rules: RuleTable,
    *,
    program_code: str = "",
    pacing: str = "",
    guidance: str = "",
) -> RuleConfig:
    """The rule for ``kind``: the program's row, else the clinic-wide row, else the
    defaults. Missing ``days`` in a row fall back to the default days."""
    row = rules.get((program_code, kind)) if program_code else None
    row = row or rules.get(("", kind))
    days = (
        row.days
        if row is not None and row.days is not None
        else default_days(kind, pacing=pacing, guidance=guidance)
    )
    if row is None:
        return RuleConfig(True, days, None)
    return RuleConfig(row.enabled, days, row.priority)


def default_days(kind: str, *, pacing: str = "", guidance: str = "") -> int | None:
    if kind == K.SILENCE:
        if guidance == "self_guided":
            return SILENCE_SELF_GUIDED
        return SILENCE.get(pacing, 10)
    return DEFAULT_DAYS.get(kind)


@dataclass(frozen=True)
class EnrollmentFacts:
    """What the time-based rules read: the enrollment's counters and pace agreement."""

    status: str
    started_at: datetime
    last_activity_at: datetime | None
    modules_completed: int
    modules_total: int
    pace_per_week: float
    pacing_policy: str = ""
    guidance_mode: str = ""
    program_code: str = ""
    ends_at: datetime | None = None


@dataclass(frozen=True)
class Wanted:
    """A time-based signal that should be open now."""

    kind: str
    since: datetime
    reason_code: str
    params: dict[str, Any]


def time_signals(facts: EnrollmentFacts, now: datetime, rules: RuleTable) -> list[Wanted]:
    """The time-based signals an enrollment should have open at ``now``.

    Only active enrollments get them (a paused one is resting by agreement). Not started
    and silence exclude each other; a module overdue is not added on top of either, nor
    before the patient has started (the disengagement is already shown).
    """
    if facts.status != "active":
        return []

    def cfg(kind: str) -> RuleConfig:
        return config_for(
            kind,
            rules,
            program_code=facts.program_code,
            pacing=facts.pacing_policy,
            guidance=facts.guidance_mode,
        )

    out: list[Wanted] = []
    disengaged = False
    if facts.last_activity_at is None:
        # Nothing opened yet: "not started" speaks for it (no module overdue meanwhile).
        disengaged = True
        rule = cfg(K.NOT_STARTED)
        due = rule.days is not None and now - facts.started_at >= timedelta(days=rule.days)
        if rule.enabled and due:
            out.append(Wanted(K.NOT_STARTED, facts.started_at, "enrollment.not_started", {}))
    else:
        rule = cfg(K.SILENCE)
        quiet = rule.days is not None and now - facts.last_activity_at >= timedelta(days=rule.days)
        if rule.enabled and quiet:
            out.append(Wanted(K.SILENCE, facts.last_activity_at, "activity.silence", {}))
            disengaged = True
    rule = cfg(K.MODULE_OVERDUE)
    if not disengaged and rule.enabled and facts.modules_total:
        grace = timedelta(days=rule.days or 0)
        expected = expected_completed(
            started_at=facts.started_at,
            now=now - grace,
            per_week=facts.pace_per_week,
            total=facts.modules_total,
        )
        if facts.modules_completed < expected:
            since = _due_moment(facts, facts.modules_completed + 1) + grace
            expected_now = expected_completed(
                started_at=facts.started_at,
                now=now,
                per_week=facts.pace_per_week,
                total=facts.modules_total,
            )
            out.append(
                Wanted(
                    K.MODULE_OVERDUE,
                    min(since, now),
                    "module.overdue",
                    {"completed": facts.modules_completed, "expected": expected_now},
                )
            )
    rule = cfg(K.ENROLLMENT_ENDING)
    if rule.enabled and facts.ends_at is not None and rule.days is not None:
        left = facts.ends_at - now
        if timedelta(0) <= left <= timedelta(days=rule.days):
            out.append(
                Wanted(
                    K.ENROLLMENT_ENDING,
                    facts.ends_at - timedelta(days=rule.days),
                    "enrollment.ending",
                    {"ends_on": facts.ends_at.date().isoformat()},
                )
            )
    return out


def _due_moment(facts: EnrollmentFacts, module_number: int) -> datetime:
    """When the ``module_number``-th module falls due at the agreed pace."""
    if facts.pace_per_week <= 0:
        return facts.started_at
    return facts.started_at + timedelta(weeks=module_number / facts.pace_per_week)


TIME_KINDS = frozenset({K.SILENCE, K.NOT_STARTED, K.MODULE_OVERDUE, K.ENROLLMENT_ENDING})


def clamp_days(value: object) -> int | None:
    """A threshold typed by a person: a whole number of days from 0 to 365, else None."""
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return days if 0 <= days <= MAX_DAYS else None
