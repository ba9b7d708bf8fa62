"""Shared by the periodic job's parts: the summary, module counts and the signal diff."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q

from tandem.care import rules
from tandem.care import signals as sig
from tandem.care.kinds import SignalKind as K
from tandem.care.models import UNRESOLVED, Signal, SignalState
from tandem.programs.models import ProgramVersion

logger = logging.getLogger(__name__)
CHUNK = 2000


@dataclass
class Summary:
    enrollments: int = 0
    rows_built: int = 0
    rows_updated: int = 0
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    woken: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        phases = ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items())
        return (
            f"{self.enrollments} active enrollments; rows built {self.rows_built}, "
            f"updated {self.rows_updated}; signals opened {self.opened}, updated "
            f"{self.updated}, resolved {self.resolved}, woken {self.woken} ({phases})"
        )


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- module counts --------------------------------------------------------------------------


class ModuleCounter:
    """Modules per enrollment from the cached package of its version (no query per row)."""

    def __init__(self) -> None:
        self.versions = {v.pk: v for v in ProgramVersion.objects.only("id", "content_hash")}
        self.counts: dict[int, int] = {}

    def base(self, version_id: int) -> int:
        if version_id not in self.counts:
            version = self.versions.get(version_id)
            try:
                self.counts[version_id] = len(version.package.program.modules) if version else 0
            except Exception:
                logger.exception("cannot read version %s", version_id)
                self.counts[version_id] = 0
        return self.counts[version_id]

    def total(self, version_id: int, hidden: Any, extra: Any) -> int:
        hidden_n = len(hidden) if isinstance(hidden, list) else 0
        extra_n = len(extra) if isinstance(extra, list) else 0
        return max(self.base(version_id) - hidden_n, 0) + extra_n


# --- the signal diff ------------------------------------------------------------------------


@dataclass
class Want:
    kind: str
    key: str
    patient_id: int
    clinic_id: int
    since: datetime
    reason_code: str
    params: dict[str, Any]
    enrollment_id: int | None = None
    ref_type: str = ""
    ref_uuid: Any = None
    due_at: datetime | None = None
    program_code: str = ""
    pacing: str = ""
    guidance: str = ""


class Differ:
    """Opens wanted signals missing in the table and resolves unwanted ones, for a set of
    kinds, in bulk."""

    def __init__(self, tables: dict[int, rules.RuleTable], now: datetime, summary: Summary):
        self.tables = tables
        self.now = now
        self.summary = summary
        self.touched: set[int] = set()

    def apply(
        self,
        kinds: Iterable[str],
        wanted: list[Want],
        scope: Q | None = None,
        *,
        resolve_stale: bool = True,
    ) -> None:
        kinds = list(kinds)
        existing_qs = Signal.objects.filter(state__in=UNRESOLVED, kind__in=kinds)
        if scope is not None:
            existing_qs = existing_qs.filter(scope)
        existing = {
            row[1]: row
            for row in existing_qs.values_list(
                "pk", "dedupe_key", "patient_id", "reason_params", "due_at", "since"
            )
        }
        creates: list[Signal] = []
        updates: list[tuple[int, dict[str, Any], datetime | None, datetime]] = []
        wanted_keys = set()
        for want in wanted:
            cfg = rules.config_for(
                want.kind,
                self.tables.get(want.clinic_id, {}),
                program_code=want.program_code,
                pacing=want.pacing,
                guidance=want.guidance,
            )
            if not cfg.enabled and want.kind != K.SAFETY_ALERT:
                continue
            wanted_keys.add(want.key)
            have = existing.get(want.key)
            if have is not None:
                if have[3] != want.params or have[4] != want.due_at:
                    updates.append((have[0], want.params, want.due_at, have[5]))
                continue
            priority, due_priority = sig.priorities(want.kind, cfg)
            creates.append(
                Signal(
                    patient_id=want.patient_id,
                    clinic_id=want.clinic_id,
                    enrollment_id=want.enrollment_id,
                    kind=want.kind,
                    priority=priority,
                    due_priority=due_priority,
                    due_at=want.due_at,
                    reason_code=want.reason_code,
                    reason_params=want.params,
                    since=want.since,
                    dedupe_key=want.key,
                    ref_type=want.ref_type,
                    ref_uuid=want.ref_uuid,
                    created_at=self.now,
                )
            )
            self.touched.add(want.patient_id)
        stale = (
            [row for key, row in existing.items() if key not in wanted_keys]
            if resolve_stale
            else []
        )
        for batch in chunks(creates, 1000):
            Signal.objects.bulk_create(batch, ignore_conflicts=True)
        for pk, params, due_at, _since in updates:
            Signal.objects.filter(pk=pk).update(reason_params=params, due_at=due_at)
        for batch in chunks(stale, 1000):
            Signal.objects.filter(pk__in=[row[0] for row in batch]).update(
                state=SignalState.RESOLVED,
                resolved_at=self.now,
                resolution="reconciled",
                updated_at=self.now,
            )
            self.touched.update(row[2] for row in batch)
        self.summary.opened += len(creates)
        self.summary.updated += len(updates)
        self.summary.resolved += len(stale)
