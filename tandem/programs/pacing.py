"""Which modules are open, locked (and when they open) or done — pure, no ORM.

Policies (``PacingPolicy``):
- ``all_open``: every module is open from the start;
- ``sequential``: a module opens when every earlier required module is completed;
- ``weekly``: module *n* (0-based) opens ``n × interval_days`` after the start;
- ``after_feedback``: a module opens when the previous one is completed *and* the
  therapist has given feedback on it (as Sweden's Internetpsykiatri works);
- ``therapist``: the first module is open; the therapist opens the rest.
Whatever the policy, a module the therapist unlocked by hand is open, a completed module
stays open for revisiting, and while an enrollment is paused nothing new opens.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ModuleRef:
    key: str
    optional: bool = False


@dataclass(frozen=True)
class ModuleState:
    key: str
    state: str  # "done" | "open" | "locked"
    opens_at: datetime | None = None  # for weekly pacing
    waiting_for: str = ""  # "previous" | "feedback" | "therapist" | "date" | "paused"

    @property
    def is_open(self) -> bool:
        return self.state in {"open", "done"}


def module_states(
    modules: Sequence[ModuleRef],
    *,
    policy: str,
    started_at: datetime,
    now: datetime,
    completed: Collection[str] = (),
    feedback: Collection[str] = (),
    unlocked: Collection[str] = (),
    opened: Collection[str] = (),
    interval_days: int = 7,
    paused: bool = False,
) -> list[ModuleState]:
    states: list[ModuleState] = []
    required_done = True  # every earlier required module is completed
    previous_done = True
    previous_feedback = True
    for index, module in enumerate(modules):
        if module.key in completed:
            states.append(ModuleState(module.key, "done"))
        elif module.key in unlocked or (paused and module.key in opened):
            states.append(ModuleState(module.key, "open"))
        elif paused:
            states.append(ModuleState(module.key, "locked", waiting_for="paused"))
        else:
            states.append(
                _by_policy(
                    module,
                    index,
                    policy,
                    started_at,
                    now,
                    interval_days,
                    required_done,
                    previous_done,
                    previous_feedback,
                )
            )
        done = module.key in completed
        if not module.optional:
            required_done = required_done and done
        previous_done = done
        previous_feedback = module.key in feedback
    return states


def _by_policy(
    module: ModuleRef,
    index: int,
    policy: str,
    started_at: datetime,
    now: datetime,
    interval_days: int,
    required_done: bool,
    previous_done: bool,
    previous_feedback: bool,
) -> ModuleState:
    if policy == "all_open":
        return ModuleState(module.key, "open")
    if policy == "sequential":
        if required_done:
            return ModuleState(module.key, "open")
        return ModuleState(module.key, "locked", waiting_for="previous")
    if policy == "weekly":
        opens_at = started_at + timedelta(days=interval_days * index)
        if opens_at <= now:
            return ModuleState(module.key, "open")
        return ModuleState(module.key, "locked", opens_at=opens_at, waiting_for="date")
    if policy == "after_feedback":
        if index == 0 or (previous_done and previous_feedback):
            return ModuleState(module.key, "open")
        return ModuleState(
            module.key, "locked", waiting_for="feedback" if previous_done else "previous"
        )
    if policy == "therapist":
        if index == 0:
            return ModuleState(module.key, "open")
        return ModuleState(module.key, "locked", waiting_for="therapist")
    raise ValueError(f"unknown pacing policy {policy!r}")


def expected_completed(*, started_at: datetime, now: datetime, per_week: float, total: int) -> int:
    """Modules a patient would have completed by ``now`` at their agreed pace — what
    adherence is measured against (not a fixed schedule)."""
    if per_week <= 0:
        return 0
    weeks = max((now - started_at).total_seconds(), 0) / (7 * 24 * 3600)
    return min(total, int(weeks * per_week))
