"""Opening, updating and resolving signals (used by handlers, the periodic job and the
therapist's own actions in ``services.py``), and the triage rank.

Signals are keyed: at most one unresolved signal per ``dedupe_key`` (a database
constraint), so an event delivered twice, or an event and the periodic job racing, never
makes two rows. Every change recounts the patient's caseload row in one query.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.utils import timezone

from tandem.care.kinds import SPECS
from tandem.care.kinds import SignalKind as K
from tandem.care.models import UNRESOLVED, CaseloadRow, Signal, SignalRule, SignalState
from tandem.care.rules import RuleConfig, RuleTable, config_for

_RULE_CACHE: dict[int, tuple[float, dict[tuple[str, str], RuleConfig]]] = {}
RULE_CACHE_SECONDS = 60.0


def rule_table(clinic_id: int | None) -> RuleTable:
    """A clinic's rule rows as a table (cached a minute per process; cleared on change)."""
    if clinic_id is None:
        return {}
    hit = _RULE_CACHE.get(clinic_id)
    if hit is not None and time.monotonic() - hit[0] < RULE_CACHE_SECONDS:
        return hit[1]
    table = {
        (r.program_code, r.kind): RuleConfig(r.enabled, r.threshold_days, r.priority)
        for r in SignalRule.objects.filter(clinic_id=clinic_id)
    }
    _RULE_CACHE[clinic_id] = (time.monotonic(), table)
    return table


def all_rule_tables() -> dict[int, RuleTable]:
    """Every clinic's rules in one query (for the periodic job)."""
    tables: dict[int, dict[tuple[str, str], RuleConfig]] = {}
    for r in SignalRule.objects.all():
        tables.setdefault(r.clinic_id, {})[(r.program_code, r.kind)] = RuleConfig(
            r.enabled, r.threshold_days, r.priority
        )
    return tables


def forget_rules(clinic_id: int | None = None) -> None:
    if clinic_id is None:
        _RULE_CACHE.clear()
    else:
        _RULE_CACHE.pop(clinic_id, None)


def key(kind: str, *parts: object) -> str:
    return ":".join([kind, *(str(p) for p in parts)])[:200]


def priorities(kind: str, cfg: RuleConfig) -> tuple[int, int | None]:
    spec = SPECS[kind]
    if kind == K.SAFETY_ALERT:
        return 0, None  # always first, whatever a rule says
    priority = cfg.priority if cfg.priority is not None else spec.priority
    due = spec.due_priority
    if due is not None and cfg.priority is not None:
        due = min(due, priority)
    return priority, due


def open_signal(
    *,
    patient_id: int,
    clinic_id: int,
    kind: str,
    dedupe_key: str,
    since: datetime,
    reason_code: str,
    params: dict[str, Any] | None = None,
    enrollment_id: int | None = None,
    ref_type: str = "",
    ref_uuid: uuid.UUID | None = None,
    due_at: datetime | None = None,
    program_code: str = "",
    pacing: str = "",
    guidance: str = "",
    keep_since: bool = True,
    recount_row: bool = True,
) -> Signal | None:
    """Open the signal ``dedupe_key`` (or update the unresolved one). Returns None when
    the clinic turned the rule off."""
    cfg = config_for(
        kind, rule_table(clinic_id), program_code=program_code, pacing=pacing, guidance=guidance
    )
    if not cfg.enabled and kind != K.SAFETY_ALERT:
        return None
    priority, due_priority = priorities(kind, cfg)
    priority = effective_priority(priority, due_priority, due_at, timezone.now())
    fields = dict(
        reason_code=reason_code,
        reason_params=params or {},
        ref_type=ref_type,
        ref_uuid=ref_uuid,
        due_at=due_at,
        due_priority=due_priority,
        priority=priority,
    )
    with transaction.atomic():
        existing = Signal.objects.unresolved().filter(dedupe_key=dedupe_key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    signal = Signal.objects.create(
                        patient_id=patient_id,
                        clinic_id=clinic_id,
                        therapist_id=primary_therapist(patient_id),
                        enrollment_id=enrollment_id,
                        kind=kind,
                        since=since,
                        dedupe_key=dedupe_key,
                        **fields,
                    )
            except IntegrityError:
                existing = Signal.objects.unresolved().get(dedupe_key=dedupe_key)
            else:
                if recount_row:
                    recount(patient_id)
                return signal
        changed = [name for name, value in fields.items() if getattr(existing, name) != value]
        if not keep_since and existing.since != since:
            existing.since = since
            changed.append("since")
        if enrollment_id and existing.enrollment_id is None:
            existing.enrollment_id = enrollment_id
            changed.append("enrollment")
        if changed:
            for name in changed:
                if name in fields:
                    setattr(existing, name, fields[name])
            existing.save(update_fields=[*changed, "updated_at"])
            if recount_row and ("priority" in changed):
                recount(patient_id)
        return existing


def effective_priority(
    priority: int, due_priority: int | None, due_at: datetime | None, now: datetime
) -> int:
    """A signal past its deadline ranks at its raised priority."""
    if due_priority is not None and due_at is not None and due_at <= now:
        return min(priority, due_priority)
    return priority


def primary_therapist(patient_id: int) -> int | None:
    from tandem.care import caseload

    found = (
        CaseloadRow.objects.filter(patient_id=patient_id)
        .values_list("primary_therapist_id", flat=True)
        .first()
    )
    return found if found is not None else caseload.primary_of(patient_id, timezone.now())


def resolve(
    query: Q,
    *,
    patient_id: int | None = None,
    by: Any = None,
    resolution: str = "event",
    now: datetime | None = None,
    recount_row: bool = True,
) -> int:
    """Resolve the unresolved signals matching ``query``; returns how many."""
    now = now or timezone.now()
    qs = Signal.objects.unresolved().filter(query)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    count = qs.update(
        state=SignalState.RESOLVED,
        resolved_at=now,
        resolved_by=by if getattr(by, "is_authenticated", False) else None,
        resolution=resolution[:16],
        updated_at=now,
    )
    if count and recount_row and patient_id is not None:
        recount(patient_id)
    return count


def resolve_key(dedupe_key: str, *, patient_id: int, **kwargs: Any) -> int:
    return resolve(Q(dedupe_key=dedupe_key), patient_id=patient_id, **kwargs)


def recount(patient_id: int) -> None:
    """Open-signal count, kinds and top priority on the patient's caseload row (2 queries)."""
    rows = list(
        Signal.objects.filter(patient_id=patient_id, state=SignalState.OPEN).values_list(
            "kind", "priority"
        )
    )
    kinds = sorted({kind for kind, _ in rows})
    top = min((p for _, p in rows), default=None)
    CaseloadRow.objects.filter(patient_id=patient_id).update(
        open_signals=len(rows),
        open_kinds=kinds,
        top_priority=top,
        attention=Value((99 if top is None else top) * 10 + 3) - F("risk_rank"),
    )


def recount_many(patient_ids: Iterable[int]) -> None:
    for patient_id in set(patient_ids):
        recount(patient_id)


ORDER = ("priority", "since", "id")


def raise_due(now: datetime) -> int:
    """Signals whose deadline passed move up to their raised priority (the triage order
    is ``priority, since`` — an index range; the periodic job keeps it current)."""
    return (
        Signal.objects.filter(state__in=UNRESOLVED, due_at__lte=now, due_priority__isnull=False)
        .filter(priority__gt=F("due_priority"))
        .update(priority=F("due_priority"))
    )


def set_therapist(patient_id: int, therapist_id: int | None) -> None:
    Signal.objects.filter(patient_id=patient_id, state__in=UNRESOLVED).exclude(
        therapist_id=therapist_id
    ).update(therapist_id=therapist_id)
