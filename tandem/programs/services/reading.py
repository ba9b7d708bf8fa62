"""Reading an enrollment: its tailored module list (slots), each module's state and
progress, where to resume, and the paces a patient may choose. No writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tandem.accounts.models import CareTeamMember, Patient, Role
from tandem.programs import content, pacing
from tandem.programs.models import (
    Enrollment,
    EnrollmentStatus,
    ModuleProgress,
    PacingPolicy,
    ProgramVersion,
)

Status = EnrollmentStatus
ONGOING = (Status.ACTIVE, Status.PAUSED)
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ACTIVE: frozenset({Status.PAUSED, Status.COMPLETED, Status.DISCONTINUED}),
    Status.PAUSED: frozenset({Status.ACTIVE, Status.COMPLETED, Status.DISCONTINUED}),
    Status.COMPLETED: frozenset(),
    Status.DISCONTINUED: frozenset(),
}
PACE_STEP = Decimal("0.5")
PACE_LOWEST = Decimal("0.5")
PACE_HIGHEST = Decimal("7")
INTERVAL_DAYS = (1, 60)
LOCK_RELATED = ("version__program", "patient__user", "patient__clinic")


@dataclass(frozen=True)
class Slot:
    """One module of an enrollment: where it comes from and how it is keyed."""

    key: str
    version: ProgramVersion
    module: content.Module
    added: bool = False

    @property
    def optional(self) -> bool:
        return self.module.optional

    @property
    def progress_key(self) -> tuple[int, str]:
        return (self.version.pk, self.module.id)


@dataclass(frozen=True)
class ModuleView:
    """A slot with its pacing state and the patient's progress in it."""

    slot: Slot
    state: pacing.ModuleState
    progress: ModuleProgress | None
    number: int  # 1-based position in the patient's list (0 when hidden)
    hidden: bool = False

    @property
    def key(self) -> str:
        return self.slot.key

    @property
    def module(self) -> content.Module:
        return self.slot.module

    @property
    def is_open(self) -> bool:
        return not self.hidden and self.state.is_open

    @property
    def is_done(self) -> bool:
        return self.progress is not None and self.progress.completed_at is not None

    @property
    def is_started(self) -> bool:
        return self.progress is not None and self.progress.opened_at is not None

    @property
    def has_feedback(self) -> bool:
        return self.progress is not None and self.progress.feedback_at is not None

    @property
    def page_ids(self) -> list[str]:
        return [page.id for page in self.module.pages]

    @property
    def pages_total(self) -> int:
        return len(self.module.pages)

    @property
    def pages_seen(self) -> int:
        if self.progress is None:
            return 0
        return len(set(self.progress.pages_viewed) & set(self.page_ids))

    @property
    def resume_page(self) -> str:
        """The page to continue from: the last one read, else the first."""
        last = self.progress.last_page if self.progress else ""
        return last if last in self.page_ids else self.page_ids[0]

    @property
    def resume_page_number(self) -> int:
        return self.page_ids.index(self.resume_page) + 1


def slots(enrollment: Enrollment, *, include_hidden: bool = False) -> list[Slot]:
    """The tailored module list in the patient's order (one query when modules were
    added from other programs, none otherwise)."""
    version = enrollment.version
    out = [Slot(m.id, version, m) for m in version.package.program.modules]
    extras = [e for e in enrollment.extra_modules if isinstance(e, dict)]
    if extras:
        versions = {
            str(v.uuid): v
            for v in ProgramVersion.objects.filter(
                uuid__in=[e.get("version") for e in extras]
            ).select_related("program")
        }
        for entry in extras:
            other = versions.get(str(entry.get("version")))
            module = other.package.program.module(str(entry.get("module"))) if other else None
            if other is not None and module is not None:
                out.append(Slot(f"{other.program.code}.{module.id}", other, module, added=True))
    out = _apply_optional_order(out, enrollment.optional_order)
    if include_hidden:
        return out
    hidden = set(enrollment.hidden_modules)
    return [s for s in out if s.key not in hidden]


def _apply_optional_order(items: list[Slot], order: Sequence[str]) -> list[Slot]:
    """Optional modules keep their positions, filled in the order the patient chose."""
    optional = [s for s in items if s.optional]
    rank = {key: index for index, key in enumerate(order)}
    ordered = iter(sorted(optional, key=lambda s: rank.get(s.key, len(rank))))
    return [next(ordered) if s.optional else s for s in items]


def module_states(
    *, enrollment: Enrollment, now: datetime | None = None, include_hidden: bool = False
) -> list[ModuleView]:
    """Every (visible) module with its state and progress: one query for the progress
    (none when ``progress`` was prefetched), whatever the number of modules."""
    now = now or timezone.now()
    every = slots(enrollment, include_hidden=True)
    hidden = set(enrollment.hidden_modules)
    visible = [s for s in every if s.key not in hidden]
    rows = {(p.version_id, p.module_key): p for p in enrollment.progress.all()}
    progress = {s.key: rows.get(s.progress_key) for s in every}
    done = {k for k, p in progress.items() if p is not None and p.completed_at is not None}
    states = pacing.module_states(
        [pacing.ModuleRef(s.key, s.optional) for s in visible],
        policy=enrollment.pacing_policy,
        started_at=enrollment.started_at,
        now=now,
        completed=done,
        feedback={k for k, p in progress.items() if p is not None and p.feedback_at is not None},
        unlocked=set(enrollment.unlocked_modules),
        opened={k for k, p in progress.items() if p is not None and p.opened_at is not None},
        interval_days=enrollment.interval_days,
        paused=enrollment.status != Status.ACTIVE,
    )
    by_key = {state.key: state for state in states}
    numbers = {s.key: index for index, s in enumerate(visible, start=1)}
    views = []
    for slot in every:
        is_hidden = slot.key in hidden
        if is_hidden and not include_hidden:
            continue
        state = by_key.get(slot.key) or pacing.ModuleState(slot.key, "locked", waiting_for="hidden")
        views.append(
            ModuleView(slot, state, progress[slot.key], numbers.get(slot.key, 0), is_hidden)
        )
    return views


def module_view(
    *,
    enrollment: Enrollment,
    module_key: str,
    now: datetime | None = None,
    require_open: bool = True,
) -> ModuleView:
    """One visible module of the enrollment; ``PermissionDenied`` when it is not part of
    the patient's program or (``require_open``) when pacing keeps it locked."""
    for view in module_states(enrollment=enrollment, now=now):
        if view.key == module_key:
            if require_open and not view.is_open:
                raise PermissionDenied("module locked")
            return view
    raise PermissionDenied("no such module")


def resume(views: Iterable[ModuleView]) -> ModuleView | None:
    """Where "continue where I left off" goes: the open, unfinished module worked on most
    recently, else the first open unfinished one."""
    candidates = [v for v in views if v.is_open and not v.is_done]
    started = [v for v in candidates if v.is_started]
    if started:
        return max(started, key=lambda v: v.progress.updated_at)  # type: ignore[union-attr]
    return candidates[0] if candidates else None


def pace_bounds(enrollment: Enrollment) -> tuple[Decimal, Decimal]:
    """The weekly paces a patient may choose: the therapist's bounds, and with weekly
    pacing never faster than modules open (an agreement the schedule cannot keep
    would make adherence look worse than it is)."""
    low = Decimal(enrollment.pace_min_per_week)
    high = Decimal(enrollment.pace_max_per_week)
    if enrollment.pacing_policy == PacingPolicy.WEEKLY and enrollment.interval_days:
        opens = Decimal(7) / Decimal(enrollment.interval_days)
        capped = (opens / PACE_STEP).to_integral_value(rounding=ROUND_FLOOR) * PACE_STEP
        high = max(low, min(high, capped))
    return low, high


def pace_choices(enrollment: Enrollment) -> list[Decimal]:
    low, high = pace_bounds(enrollment)
    out = []
    value = low
    while value <= high:
        out.append(value)
        value += PACE_STEP
    return out


def expected_completed(*, enrollment: Enrollment, now: datetime | None = None) -> int:
    """Modules the patient would have completed by now at the agreed pace."""
    total = len(slots(enrollment))
    return pacing.expected_completed(
        started_at=enrollment.started_at,
        now=now or timezone.now(),
        per_week=float(enrollment.pace_per_week),
        total=total,
    )


def may_manage(user: Any, patient: Patient) -> bool:
    """A therapist on the patient's active care team (the only one who changes an
    enrollment; supervisors and break-glass readers see it)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.THERAPIST
        and user.clinic_id == patient.clinic_id
        and CareTeamMember.objects.active().filter(patient=patient, therapist=user).exists()
    )
