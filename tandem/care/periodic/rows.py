"""Caseload rows: building the missing ones in bulk and refreshing every row's
time-dependent fields, writing only the rows that changed."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Q

from tandem.accounts.models import CareTeamMember, Patient
from tandem.care import adherence, caseload
from tandem.care.models import CaseloadRow, Signal, SignalState
from tandem.care.periodic.common import ModuleCounter, Summary, chunks
from tandem.care.periodic.timed import ENROLLMENT_VALUES
from tandem.programs.models import Enrollment

# --- 1. building missing rows ------------------------------------------------------------------


def activity_dates_bulk(patient_ids: list[int], now: datetime) -> dict[int, list[str]]:
    """UTC dates with each patient's own activity in the last 28 days (one aggregate
    query per chunk; the date list is built by the database)."""
    if not patient_ids:
        return {}
    since = adherence.window_start(now)
    from tandem.core.models import Event

    event_table = Event._meta.db_table
    patient_table = Patient._meta.db_table
    marks = ", ".join(["%s"] * len(patient_ids))
    if connection.vendor == "postgresql":
        dates = "string_agg(DISTINCT to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ',')"
    else:
        dates = "group_concat(DISTINCT substr(e.occurred_at, 1, 10))"
    sql = (
        f"SELECT e.patient_id, {dates} FROM {event_table} e "  # noqa: S608  # nosec B608
        f"JOIN {patient_table} p ON p.id = e.patient_id "
        f"WHERE e.patient_id IN ({marks}) AND e.occurred_at >= %s AND e.occurred_at <= %s "
        "AND e.actor_id = p.user_id GROUP BY e.patient_id"
    )
    out: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        adapt = connection.ops.adapt_datetimefield_value
        cursor.execute(sql, [*patient_ids, adapt(since), adapt(now)])
        for patient_id, joined in cursor.fetchall():
            out[patient_id] = caseload.trim_dates((joined or "").split(","), now)
    return out


def questionnaire_counts_bulk(patient_ids: list[int], now: datetime) -> dict[int, tuple[int, int]]:
    if not apps.is_installed("tandem.assessments") or not patient_ids:
        return {}
    from tandem.assessments.models import Assignment

    return {
        row["patient_id"]: (row["due"], row["done"])
        for row in Assignment.objects.filter(patient_id__in=patient_ids, due_at__lte=now)
        .values("patient_id")
        .annotate(due=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False)))
    }


def build_rows(patient_ids: list[int], now: datetime, counter: ModuleCounter) -> int:
    """Caseload rows for patients that have none (in bulk, chunk by chunk)."""
    built = 0
    for chunk in chunks(patient_ids):
        patients = {
            p["id"]: p for p in Patient.objects.filter(pk__in=chunk).values("id", "clinic_id")
        }
        enrollments: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in Enrollment.objects.filter(patient_id__in=chunk).values(
            *ENROLLMENT_VALUES, "exercises_submitted"
        ):
            enrollments[row["patient_id"]].append(row)
        primary: dict[int, tuple[datetime, int]] = {}
        for patient_id, therapist_id, started in (
            CareTeamMember.objects.active(now)
            .filter(patient_id__in=chunk, team_role=CareTeamMember.TeamRole.PRIMARY)
            .values_list("patient_id", "therapist_id", "started_at")
        ):
            if patient_id not in primary or primary[patient_id][0] < started:
                primary[patient_id] = (started, therapist_id)
        counts = questionnaire_counts_bulk(chunk, now)
        scores = caseload.scores_for(chunk)
        dates = activity_dates_bulk(chunk, now)
        new_rows = []
        for patient_id, patient in patients.items():
            row = CaseloadRow(
                patient_id=patient_id,
                clinic_id=patient["clinic_id"],
                primary_therapist_id=primary.get(patient_id, (None, None))[1],
                refreshed_at=now,
            )
            mine = enrollments.get(patient_id, [])
            row.enrollments = len(mine)
            current = _current(mine)
            pace = 1.0
            if current is not None:
                row.enrollment_id = current["id"]
                row.program_code = current["version__program__code"]
                row.guidance_mode = current["guidance_mode"]
                row.status = current["status"]
                row.started_at = current["started_at"]
                row.modules_completed = current["modules_completed"]
                row.modules_total = counter.total(
                    current["version_id"], current["hidden_modules"], current["extra_modules"]
                )
                row.exercises_submitted = current["exercises_submitted"]
                pace = float(current["pace_per_week"])
            row.last_activity_at = max(
                (e["last_activity_at"] for e in mine if e["last_activity_at"]), default=None
            )
            row.questionnaires_due, row.questionnaires_done = counts.get(patient_id, (0, 0))
            row.scores = scores.get(patient_id, {})
            row.score_change = caseload.worst_change(row.scores)
            row.active_dates = dates.get(patient_id, [])
            caseload.apply_adherence(row, now, pace)
            new_rows.append(row)
        CaseloadRow.objects.bulk_create(new_rows, batch_size=1000, ignore_conflicts=True)
        built += len(new_rows)
    return built


def _current(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    ordered = sorted(rows, key=lambda r: (r["started_at"], r["id"]), reverse=True)
    for row in ordered:
        if row["status"] in caseload.ONGOING:
            return row
    return ordered[0] if ordered else None


# --- 5. refreshing every row ----------------------------------------------------------------------

ROW_VALUES = (
    "id",
    "patient_id",
    "primary_therapist_id",
    "status",
    "started_at",
    "last_activity_at",
    "modules_completed",
    "modules_total",
    "exercises_submitted",
    "questionnaires_due",
    "questionnaires_done",
    "active_dates",
    "active_days",
    "modules_expected",
    "progress_gap",
    "adherence",
    "risk",
    "risk_rank",
    "risk_score",
    "risk_reasons",
    "open_signals",
    "open_kinds",
    "top_priority",
    "attention",
    "enrollment__status",
    "enrollment__last_activity_at",
    "enrollment__modules_completed",
    "enrollment__exercises_submitted",
    "enrollment__pace_per_week",
)
WRITTEN = (
    "primary_therapist_id",
    "status",
    "last_activity_at",
    "modules_completed",
    "exercises_submitted",
    "active_dates",
    "active_days",
    "modules_expected",
    "progress_gap",
    "adherence",
    "risk",
    "risk_rank",
    "risk_score",
    "risk_reasons",
    "open_signals",
    "open_kinds",
    "top_priority",
    "attention",
)
JSON_FIELDS = frozenset({"active_dates", "risk_reasons", "open_kinds"})


class _Row:
    """A plain stand-in for a caseload row (``caseload.apply_adherence`` sets fields)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def open_signal_index() -> dict[int, tuple[int, list[str], int | None]]:
    by_patient: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for patient_id, kind, priority in (
        Signal.objects.filter(state=SignalState.OPEN)
        .values_list("patient_id", "kind", "priority")
        .iterator(10000)
    ):
        by_patient[patient_id].append((kind, priority))
    return {
        patient_id: (len(items), sorted({k for k, _ in items}), min(p for _, p in items))
        for patient_id, items in by_patient.items()
    }


def primary_index(now: datetime) -> dict[int, int]:
    """Each patient's primary therapist now (the latest active primary membership)."""
    best: dict[int, tuple[datetime, int, int]] = {}
    for patient_id, therapist_id, started, pk in (
        CareTeamMember.objects.active(now)
        .filter(team_role=CareTeamMember.TeamRole.PRIMARY)
        .values_list("patient_id", "therapist_id", "started_at", "pk")
        .iterator(10000)
    ):
        if patient_id not in best or best[patient_id][:2] < (started, pk):
            best[patient_id] = (started, pk, therapist_id)
    return {patient_id: item[2] for patient_id, item in best.items()}


def sync_signal_therapists() -> int:
    """Unresolved signals carry their patient's primary therapist (one statement)."""
    signal = Signal._meta.db_table
    row = CaseloadRow._meta.db_table
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    sql = (
        f"UPDATE {signal} SET therapist_id = (SELECT r.primary_therapist_id FROM {row} r "  # noqa: S608  # nosec B608
        f"WHERE r.patient_id = {signal}.patient_id) WHERE state IN ('open', 'snoozed') "
        f"AND therapist_id {differs} (SELECT r.primary_therapist_id FROM {row} r "
        f"WHERE r.patient_id = {signal}.patient_id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


def refresh_rows(now: datetime, summary: Summary) -> None:
    signals = open_signal_index()
    primaries = primary_index(now)
    changes: list[list[Any]] = []
    rows = CaseloadRow.objects.values(*ROW_VALUES).order_by()
    for values in rows.iterator(5000):
        before = tuple(values[name] for name in WRITTEN)
        row = _Row(values)
        row.primary_therapist_id = primaries.get(values["patient_id"])
        if values["enrollment__status"] is not None:
            row.status = values["enrollment__status"]
            row.modules_completed = values["enrollment__modules_completed"]
            row.exercises_submitted = values["enrollment__exercises_submitted"]
            last = values["enrollment__last_activity_at"]
            if last is not None and (row.last_activity_at is None or row.last_activity_at < last):
                row.last_activity_at = last
        pace = float(values["enrollment__pace_per_week"] or 1)
        row.active_dates = caseload.trim_dates(values["active_dates"] or [], now)
        caseload.apply_adherence(row, now, pace)  # type: ignore[arg-type]
        count, kinds, top = signals.get(values["patient_id"], (0, [], None))
        row.open_signals, row.open_kinds, row.top_priority = count, kinds, top
        row.attention = caseload.attention(top, row.risk_rank)
        after = tuple(getattr(row, name) for name in WRITTEN)
        if after != before:
            changes.append([*after, values["id"]])
    write_rows(changes)
    summary.rows_updated += len(changes)


def write_rows(changes: list[list[Any]]) -> None:
    """One ``executemany`` UPDATE for the changed rows (JSON encoded by hand)."""
    if not changes:
        return
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sets = ", ".join(f"{name} = %s{json_cast if name in JSON_FIELDS else ''}" for name in WRITTEN)
    sql = f"UPDATE {CaseloadRow._meta.db_table} SET {sets} WHERE id = %s"  # noqa: S608  # nosec B608
    json_at = [i for i, name in enumerate(WRITTEN) if name in JSON_FIELDS]
    params = []
    for change in changes:
        for i in json_at:
            change[i] = json.dumps(change[i])
        params.append(change)
    with connection.cursor() as cursor:
        for batch in chunks(params, 5000):
            with transaction.atomic():
                cursor.executemany(sql, batch)
