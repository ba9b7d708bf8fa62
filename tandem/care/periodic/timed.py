"""Time-based rules over active enrollments: silence, not started, module overdue,
enrollment ending."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from tandem.care import rules
from tandem.care import signals as sig
from tandem.care.periodic.common import (
    Differ,
    ModuleCounter,
    Summary,
    Want,
)
from tandem.programs.models import Enrollment

# --- 2. time-based rules ----------------------------------------------------------------------

ENROLLMENT_VALUES = (
    "id",
    "uuid",
    "patient_id",
    "patient__clinic_id",
    "version_id",
    "version__program__code",
    "guidance_mode",
    "pacing_policy",
    "status",
    "started_at",
    "ends_at",
    "last_activity_at",
    "modules_completed",
    "pace_per_week",
    "hidden_modules",
    "extra_modules",
)


def _facts(row: dict[str, Any], counter: ModuleCounter) -> rules.EnrollmentFacts:
    return rules.EnrollmentFacts(
        status=row["status"],
        started_at=row["started_at"],
        last_activity_at=row["last_activity_at"],
        modules_completed=row["modules_completed"],
        modules_total=counter.total(row["version_id"], row["hidden_modules"], row["extra_modules"]),
        pace_per_week=float(row["pace_per_week"]),
        pacing_policy=row["pacing_policy"],
        guidance_mode=row["guidance_mode"],
        program_code=row["version__program__code"],
        ends_at=row["ends_at"],
    )


def _time_wants(
    row: dict[str, Any], counter: ModuleCounter, tables: dict[int, rules.RuleTable], now: datetime
) -> list[Want]:
    clinic_id = row["patient__clinic_id"]
    out = []
    for wanted in rules.time_signals(_facts(row, counter), now, tables.get(clinic_id, {})):
        out.append(
            Want(
                kind=wanted.kind,
                key=sig.key(wanted.kind, row["uuid"]),
                patient_id=row["patient_id"],
                clinic_id=clinic_id,
                since=wanted.since,
                reason_code=wanted.reason_code,
                params=wanted.params,
                enrollment_id=row["id"],
                ref_type="programs.enrollment",
                ref_uuid=row["uuid"],
                program_code=row["version__program__code"],
                pacing=row["pacing_policy"],
                guidance=row["guidance_mode"],
            )
        )
    return out


def time_rules(differ: Differ, counter: ModuleCounter, summary: Summary) -> None:
    active = Enrollment.objects.filter(status="active").values(*ENROLLMENT_VALUES)
    wanted: list[Want] = []
    for row in active.iterator(chunk_size=5000):
        summary.enrollments += 1
        wanted.extend(_time_wants(row, counter, differ.tables, differ.now))
    differ.apply(rules.TIME_KINDS, wanted)


def reevaluate_enrollment(enrollment_id: int, now: datetime | None = None) -> None:
    """The time-based rules for one enrollment (after a module completion)."""
    now = now or timezone.now()
    row = Enrollment.objects.filter(pk=enrollment_id).values(*ENROLLMENT_VALUES).first()
    if row is None:
        return
    summary = Summary()
    differ = Differ(
        {row["patient__clinic_id"]: sig.rule_table(row["patient__clinic_id"])}, now, summary
    )
    counter = ModuleCounter()
    wanted = _time_wants(row, counter, differ.tables, now) if row["status"] == "active" else []
    differ.apply(rules.TIME_KINDS, wanted, scope=Q(enrollment_id=enrollment_id))
    sig.recount_many(differ.touched)
