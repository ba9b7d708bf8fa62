"""Keeping ``CaseloadRow`` current: a full refresh of one patient's row (structural
events: enrolled, status changed, care team changed, a questionnaire completed) and a
light touch on patient activity. The bulk rebuild lives in ``periodic``.

Other apps' tables (assessments) are read lazily inside functions, so this app works
whichever of them are installed.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Count, Q
from django.utils import timezone

from tandem.accounts.models import CareTeamMember, Patient
from tandem.care import adherence
from tandem.care.models import CaseloadRow, Signal, SignalState
from tandem.core.models import Event
from tandem.programs.models import Enrollment

logger = logging.getLogger(__name__)

ONGOING = ("active", "paused")
RISK_RANK = {"": 0, "low": 1, "medium": 2, "high": 3}
CHANGE_RANK = {"deteriorated": 3, "no_reliable_change": 1, "improved": 2, "": 0}


def current_enrollment(enrollments: list[Enrollment]) -> Enrollment | None:
    """The most recently started ongoing enrollment, else the most recent one."""
    ordered = sorted(enrollments, key=lambda e: (e.started_at, e.pk), reverse=True)
    for enrollment in ordered:
        if enrollment.status in ONGOING:
            return enrollment
    return ordered[0] if ordered else None


def modules_total(enrollment: Enrollment) -> int:
    """Modules in the enrollment's tailored program (programs' own slot logic)."""
    from tandem.programs.services import slots

    try:
        return len(slots(enrollment))
    except Exception:  # content that cannot be read must not stop the workspace
        logger.exception("cannot count modules of enrollment %s", enrollment.pk)
        return 0


def scores_for(patient_ids: list[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """Latest complete scores with change since baseline, from the assessments app."""
    if not apps.is_installed("tandem.assessments") or not patient_ids:
        return {}
    from tandem.assessments.services import latest_scores

    out: dict[int, dict[str, dict[str, Any]]] = {}
    for patient_id, by_code in latest_scores(patient_ids).items():
        out[patient_id] = {
            code: {
                "total": score.total,
                "baseline": score.baseline_total,
                "delta": score.delta,
                "change": score.change,
                "band": score.band,
                "at": score.submitted_at.isoformat(),
            }
            for code, score in by_code.items()
        }
    return out


def worst_change(scores: dict[str, dict[str, Any]]) -> str:
    changes = [str(s.get("change") or "") for s in scores.values()]
    return max(changes, key=lambda c: CHANGE_RANK.get(c, 0), default="")


def questionnaire_counts(patient_id: int, now: datetime) -> tuple[int, int]:
    """Questionnaires due by now and how many of them were completed."""
    if not apps.is_installed("tandem.assessments"):
        return 0, 0
    from tandem.assessments.models import Assignment

    counts = Assignment.objects.filter(patient_id=patient_id, due_at__lte=now).aggregate(
        due=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False))
    )
    return counts["due"] or 0, counts["done"] or 0


def activity_dates(patient_id: int, user_id: int, now: datetime) -> list[str]:
    """UTC dates with the patient's own activity in the last 28 days (one query)."""
    since = adherence.window_start(now)
    stamps = Event.objects.filter(
        patient_id=patient_id, actor_id=user_id, occurred_at__gte=since, occurred_at__lte=now
    ).values_list("occurred_at", flat=True)
    return sorted({stamp.astimezone(UTC).date().isoformat() for stamp in stamps})


def trim_dates(dates: list[str], now: datetime) -> list[str]:
    first = (now - timedelta(days=adherence.WINDOW_DAYS)).astimezone(UTC).date()
    return sorted({d for d in dates if _as_date(d) is not None and _as_date(d) >= first})


def _as_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def primary_of(patient_id: int, now: datetime) -> int | None:
    return (
        CareTeamMember.objects.active(now)
        .filter(patient_id=patient_id, team_role=CareTeamMember.TeamRole.PRIMARY)
        .order_by("-started_at", "-pk")
        .values_list("therapist_id", flat=True)
        .first()
    )


def attention(top_priority: int | None, risk_rank: int) -> int:
    """The caseload's default order: most urgent open signal, then higher risk."""
    return (99 if top_priority is None else top_priority) * 10 + (3 - risk_rank)


def apply_adherence(row: CaseloadRow, now: datetime, pace_per_week: float) -> None:
    result = adherence.assess(
        adherence.AdherenceInput(
            now=now,
            status=row.status,
            started_at=row.started_at,
            last_activity_at=row.last_activity_at,
            modules_completed=row.modules_completed,
            modules_total=row.modules_total,
            pace_per_week=pace_per_week,
            exercises_submitted=row.exercises_submitted,
            questionnaires_due=row.questionnaires_due,
            questionnaires_done=row.questionnaires_done,
            active_days=len(row.active_dates),
        )
    )
    row.active_days = len(row.active_dates)
    row.modules_expected = result.modules_expected
    row.progress_gap = result.modules_expected - row.modules_completed
    row.adherence = result.status
    row.risk = result.risk
    row.risk_rank = RISK_RANK.get(result.risk, 0)
    row.risk_score = result.score
    row.risk_reasons = result.reason_list
    row.attention = attention(getattr(row, "top_priority", None), row.risk_rank)


def refresh_row(patient_id: int, *, now: datetime | None = None) -> CaseloadRow | None:
    """Recompute one patient's row from the source tables (about 7 queries)."""
    now = now or timezone.now()
    patient = Patient.objects.filter(pk=patient_id).values("clinic_id", "user_id").first()
    if patient is None:
        return None
    enrollments = list(
        Enrollment.objects.filter(patient_id=patient_id)
        .select_related("version__program")
        .defer("version__snapshot")
    )
    current = current_enrollment(enrollments)
    row = CaseloadRow.objects.filter(patient_id=patient_id).first() or CaseloadRow(
        patient_id=patient_id, clinic_id=patient["clinic_id"]
    )
    row.clinic_id = patient["clinic_id"]
    row.primary_therapist_id = primary_of(patient_id, now)
    row.enrollments = len(enrollments)
    row.enrollment = current
    pace = 1.0
    if current is not None:
        row.program_code = current.version.program.code
        row.guidance_mode = current.guidance_mode
        row.status = current.status
        row.started_at = current.started_at
        row.modules_completed = current.modules_completed
        row.modules_total = modules_total(current)
        row.exercises_submitted = current.exercises_submitted
        pace = float(current.pace_per_week)
    else:
        row.program_code = row.guidance_mode = row.status = ""
        row.started_at = None
        row.modules_completed = row.modules_total = row.exercises_submitted = 0
    row.last_activity_at = max(
        (e.last_activity_at for e in enrollments if e.last_activity_at), default=None
    )
    row.questionnaires_due, row.questionnaires_done = questionnaire_counts(patient_id, now)
    row.scores = scores_for([patient_id]).get(patient_id, {})
    row.score_change = worst_change(row.scores)
    row.active_dates = activity_dates(patient_id, patient["user_id"], now)
    open_rows = list(
        Signal.objects.filter(patient_id=patient_id, state=SignalState.OPEN).values_list(
            "kind", "priority"
        )
    )
    row.open_signals = len(open_rows)
    row.open_kinds = sorted({k for k, _ in open_rows})
    row.top_priority = min((p for _, p in open_rows), default=None)
    apply_adherence(row, now, pace)  # also the attention order
    row.refreshed_at = now
    row.save()
    from tandem.care import signals

    signals.set_therapist(patient_id, row.primary_therapist_id)
    return row


def update_scores(patient_id: int, *, now: datetime | None = None) -> None:
    """Latest scores, change since baseline and questionnaire counts on the row after a
    questionnaire (3 queries; a missing row is built in full)."""
    now = now or timezone.now()
    scores = scores_for([patient_id]).get(patient_id, {})
    due, done = questionnaire_counts(patient_id, now)
    updated = CaseloadRow.objects.filter(patient_id=patient_id).update(
        scores=scores,
        score_change=worst_change(scores),
        questionnaires_due=due,
        questionnaires_done=done,
    )
    if not updated:
        refresh_row(patient_id, now=now)


def touch(patient_id: int, at: datetime, *, now: datetime | None = None) -> CaseloadRow | None:
    """Patient activity at ``at``: last activity, active days, the enrollment's counters
    and the dropout risk (2 queries; a missing row is built in full)."""
    now = now or timezone.now()
    row = (
        CaseloadRow.objects.filter(patient_id=patient_id)
        .select_related("enrollment")
        .only(*ROW_FIELDS, *ENROLLMENT_FIELDS)
        .first()
    )
    if row is None:
        return refresh_row(patient_id, now=now)
    day = at.astimezone(UTC).date().isoformat()
    row.active_dates = trim_dates([*row.active_dates, day], now)
    if row.last_activity_at is None or row.last_activity_at < at:
        row.last_activity_at = at
    pace = 1.0
    if row.enrollment is not None:
        row.modules_completed = row.enrollment.modules_completed
        row.exercises_submitted = row.enrollment.exercises_submitted
        row.status = row.enrollment.status
        pace = float(row.enrollment.pace_per_week)
    apply_adherence(row, now, pace)
    row.refreshed_at = now
    row.save(update_fields=TOUCH_FIELDS)
    return row


TOUCH_FIELDS = [
    "active_dates",
    "active_days",
    "last_activity_at",
    "modules_completed",
    "exercises_submitted",
    "status",
    "modules_expected",
    "progress_gap",
    "adherence",
    "risk",
    "risk_rank",
    "risk_score",
    "risk_reasons",
    "attention",
    "refreshed_at",
]
ROW_FIELDS = (
    "top_priority",
    "id",
    "patient_id",
    "clinic_id",
    "enrollment_id",
    "open_kinds",
    "started_at",
    "modules_total",
    "questionnaires_due",
    "questionnaires_done",
    *TOUCH_FIELDS,
)
ENROLLMENT_FIELDS = (
    "enrollment__id",
    "enrollment__uuid",
    "enrollment__modules_completed",
    "enrollment__exercises_submitted",
    "enrollment__status",
    "enrollment__pace_per_week",
)


def set_primary(patient_id: int, *, now: datetime | None = None) -> None:
    """The patient's primary therapist on the row and the open signals (after a
    care-team change)."""
    from tandem.care import signals

    now = now or timezone.now()
    primary = primary_of(patient_id, now)
    updated = CaseloadRow.objects.filter(patient_id=patient_id).update(primary_therapist_id=primary)
    if not updated:
        refresh_row(patient_id, now=now)
    signals.set_therapist(patient_id, primary)
