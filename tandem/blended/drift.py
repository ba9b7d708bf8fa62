"""Therapeutic drift indicators: pure functions over plain facts (no ORM), so the rules are
easy to read and test. ``tandem.blended.services.drift_indicators`` gathers the facts for
an enrollment; the care app turns indicators into workspace signals.

Drift is when the sessions and the online work stop carrying each other: sessions that
do not review the homework of the last one, homework that serves no goal of the plan,
modules falling behind the sessions they were planned for, long gaps between sessions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

ATTENDED = "attended"
SCHEDULED = "scheduled"
MAX_GAP_DAYS = 21
BEHIND_TOLERANCE = 1  # "far behind": more than one planned module not done


@dataclass(frozen=True)
class SessionFact:
    """A session that was not cancelled, in time order."""

    starts_at: datetime
    status: str  # scheduled | attended | did_not_attend
    homework_assigned: int = 0  # homework given in (or right after) this session
    homework_reviewed: bool = False  # the note's homework review, or a reviewed item
    key: str = ""  # the appointment's UUID, for links


@dataclass(frozen=True)
class HomeworkFact:
    kind: str  # module | exercise | questionnaire | custom
    module_key: str = ""
    plan_goal: int | None = None
    key: str = ""


@dataclass(frozen=True)
class Indicator:
    code: str
    count: int
    message: str
    keys: tuple[str, ...] = field(default=())


def sessions_without_reviewed_homework(sessions: Sequence[SessionFact]) -> Indicator | None:
    """Attended sessions whose previous attended session gave homework that was not
    reviewed in them."""
    attended = [s for s in sessions if s.status == ATTENDED]
    missed = [
        current
        for previous, current in pairwise(attended)
        if previous.homework_assigned and not current.homework_reviewed
    ]
    if not missed:
        return None
    n = len(missed)
    return Indicator(
        "homework_not_reviewed",
        n,
        ngettext(
            "%(n)d session did not review the homework of the session before.",
            "%(n)d sessions did not review the homework of the session before.",
            n,
        )
        % {"n": n},
        tuple(s.key for s in missed),
    )


def sessions_without_homework(sessions: Sequence[SessionFact]) -> Indicator | None:
    """Attended sessions that ended without any work for the time until the next one."""
    attended = [s for s in sessions if s.status == ATTENDED]
    empty = [s for s in attended if not s.homework_assigned]
    if not empty:
        return None
    n = len(empty)
    return Indicator(
        "session_without_homework",
        n,
        ngettext(
            "%(n)d session ended without homework.",
            "%(n)d sessions ended without homework.",
            n,
        )
        % {"n": n},
        tuple(s.key for s in empty),
    )


def is_linked(item: HomeworkFact, plan_modules: Iterable[str], goals: int) -> bool:
    """Homework serves the plan when it names one of the plan's goals, or is (part of) a
    module the plan schedules. Questionnaires measure progress and always count."""
    if item.kind == "questionnaire":
        return True
    if item.plan_goal is not None and 0 <= item.plan_goal < goals:
        return True
    return item.kind in ("module", "exercise") and item.module_key in set(plan_modules)


def homework_not_linked(
    homework: Sequence[HomeworkFact], plan_modules: Iterable[str], goals: int
) -> Indicator | None:
    modules = set(plan_modules)
    loose = [h for h in homework if not is_linked(h, modules, goals)]
    if not loose:
        return None
    n = len(loose)
    return Indicator(
        "homework_not_in_plan",
        n,
        ngettext(
            "%(n)d homework task is not linked to the treatment plan.",
            "%(n)d homework tasks are not linked to the treatment plan.",
            n,
        )
        % {"n": n},
        tuple(h.key for h in loose),
    )


def planned_by(session_modules: Mapping[int, Sequence[str]], sessions_attended: int) -> list[str]:
    """Modules the plan puts at or before the ``sessions_attended``-th session, in order."""
    out: list[str] = []
    for number in sorted(session_modules):
        if number <= sessions_attended:
            out.extend(k for k in session_modules[number] if k not in out)
    return out


def modules_behind_plan(
    session_modules: Mapping[int, Sequence[str]],
    sessions_attended: int,
    completed: Iterable[str],
    *,
    tolerance: int = BEHIND_TOLERANCE,
) -> Indicator | None:
    done = set(completed)
    missing = [k for k in planned_by(session_modules, sessions_attended) if k not in done]
    if len(missing) <= tolerance:
        return None
    n = len(missing)
    return Indicator(
        "modules_behind_plan",
        n,
        ngettext(
            "%(n)d module planned for the sessions so far is not done.",
            "%(n)d modules planned for the sessions so far are not done.",
            n,
        )
        % {"n": n},
        tuple(missing),
    )


def long_gaps(
    sessions: Sequence[SessionFact],
    now: datetime,
    *,
    max_gap_days: int = MAX_GAP_DAYS,
    ongoing: bool = True,
) -> Indicator | None:
    """Gaps longer than ``max_gap_days`` between attended sessions, and (while the
    enrollment is ongoing) between the last attended session and the next scheduled one
    — or now, when none is scheduled."""
    limit = timedelta(days=max_gap_days)
    attended = sorted(s.starts_at for s in sessions if s.status == ATTENDED)
    gaps = [(a, b) for a, b in pairwise(attended) if b - a > limit]
    if ongoing and attended:
        upcoming = sorted(
            s.starts_at for s in sessions if s.status == SCHEDULED and s.starts_at > attended[-1]
        )
        end = upcoming[0] if upcoming else now
        if end - attended[-1] > limit:
            gaps.append((attended[-1], end))
    if not gaps:
        return None
    longest = max((b - a).days for a, b in gaps)
    n = len(gaps)
    return Indicator(
        "long_gap",
        n,
        ngettext(
            "%(n)d gap between sessions is longer than %(days)d days (longest %(longest)d).",
            "%(n)d gaps between sessions are longer than %(days)d days (longest %(longest)d).",
            n,
        )
        % {"n": n, "days": max_gap_days, "longest": longest},
        tuple(f"{a.date().isoformat()}/{b.date().isoformat()}" for a, b in gaps),
    )


def indicators(
    *,
    sessions: Sequence[SessionFact],
    homework: Sequence[HomeworkFact],
    session_modules: Mapping[int, Sequence[str]],
    goals: int,
    completed_modules: Iterable[str],
    now: datetime,
    max_gap_days: int = MAX_GAP_DAYS,
    ongoing: bool = True,
) -> list[Indicator]:
    """Every indicator that applies, most actionable first."""
    plan_modules = [k for keys in session_modules.values() for k in keys]
    attended = sum(1 for s in sessions if s.status == ATTENDED)
    found = [
        sessions_without_reviewed_homework(sessions),
        long_gaps(sessions, now, max_gap_days=max_gap_days, ongoing=ongoing),
        modules_behind_plan(session_modules, attended, completed_modules),
        homework_not_linked(homework, plan_modules, goals),
        sessions_without_homework(sessions),
    ]
    return [i for i in found if i is not None]


def no_plan_message() -> str:
    return _("There is no treatment plan yet: drift against the plan cannot be measured.")
