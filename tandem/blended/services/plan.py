"""The treatment plan, the weekly load limit and the drift indicators of an enrollment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tandem.accounts.models import Patient
from tandem.audit import services as audit
from tandem.blended import drift
from tandem.blended.models import (
    DEFAULT_MAX_GAP_DAYS,
    Appointment,
    AppointmentStatus,
    BlendedSettings,
    Homework,
    LoadLimit,
    SessionNote,
    TreatmentPlan,
)
from tandem.blended.services.common import (
    now_or,
    record_event,
    require_manage,
)
from tandem.blended.services.describe import modules_of
from tandem.programs.models import Enrollment, ModuleProgress, ProgramVersion
from tandem.programs.services import ONGOING

MAX_GOALS = 8
MAX_GOAL = 500
MAX_SESSIONS = 60


def plan_for(enrollment: Enrollment) -> TreatmentPlan | None:
    return TreatmentPlan.objects.filter(enrollment=enrollment).first()


def save_plan(
    *,
    actor: Any,
    enrollment: Enrollment,
    goals: Sequence[str],
    planned_sessions: int,
    session_modules: Mapping[int | str, Iterable[str]],
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> TreatmentPlan:
    """Write the plan: up to eight goals, the number of sessions, and which of the
    enrollment's modules go with which session."""
    require_manage(actor, enrollment.patient)
    now = now_or(now)
    clean_goals = [g.strip() for g in goals if g and g.strip()]
    if len(clean_goals) > MAX_GOALS:
        raise ValidationError({"goals": _("Up to %(max)d goals.") % {"max": MAX_GOALS}})
    if any(len(g) > MAX_GOAL for g in clean_goals):
        raise ValidationError(
            {"goals": _("Keep each goal under %(max)d characters.") % {"max": MAX_GOAL}}
        )
    if not 1 <= int(planned_sessions) <= MAX_SESSIONS:
        raise ValidationError(
            {"planned_sessions": _("Plan from 1 to %(max)d sessions.") % {"max": MAX_SESSIONS}}
        )
    known = modules_of(enrollment)
    mapping: dict[str, list[str]] = {}
    for number, keys in session_modules.items():
        n = int(number)
        if not 1 <= n <= int(planned_sessions):
            raise ValidationError(
                {"session_modules": _("A module is planned for a session beyond the plan.")}
            )
        for key in keys:
            if key not in known:
                raise ValidationError(
                    {"session_modules": _("Choose modules of this patient's program.")}
                )
            mapping.setdefault(str(n), [])
            if key not in mapping[str(n)]:
                mapping[str(n)].append(key)
    with transaction.atomic():
        plan = (
            TreatmentPlan.objects.select_for_update(of=("self",))
            .filter(enrollment=enrollment)
            .first()
        )
        created = plan is None
        plan = plan or TreatmentPlan(enrollment=enrollment)
        plan.goals = clean_goals
        plan.planned_sessions = int(planned_sessions)
        plan.session_modules = mapping
        plan.updated_by = actor
        plan.save()
        audit.record(
            actor=actor,
            action="blended.plan.created" if created else "blended.plan.updated",
            request=request,
            patient=enrollment.patient,
            target=plan,
            detail={"goals": len(clean_goals), "sessions": plan.planned_sessions},
        )
        record_event(
            patient=enrollment.patient,
            kind="treatment_plan.updated",
            actor=actor,
            ref=plan,
            now=now,
            goals=len(clean_goals),
            planned_sessions=plan.planned_sessions,
        )
    return plan


def set_load_limit(
    *,
    actor: Any,
    enrollment: Enrollment,
    minutes_per_week: int,
    assignments_per_week: int,
    request: HttpRequest | None = None,
) -> LoadLimit:
    require_manage(actor, enrollment.patient)
    if not 10 <= int(minutes_per_week) <= 600:
        raise ValidationError({"minutes_per_week": _("From 10 to 600 minutes a week.")})
    if not 1 <= int(assignments_per_week) <= 20:
        raise ValidationError({"assignments_per_week": _("From 1 to 20 tasks a week.")})
    with transaction.atomic():
        limit, _created = LoadLimit.objects.select_for_update(of=("self",)).get_or_create(
            enrollment=enrollment
        )
        before = (limit.minutes_per_week, limit.assignments_per_week)
        limit.minutes_per_week = int(minutes_per_week)
        limit.assignments_per_week = int(assignments_per_week)
        limit.updated_by = actor
        limit.save()
        audit.record(
            actor=actor,
            action="blended.load_limit.set",
            request=request,
            patient=enrollment.patient,
            target=limit,
            detail={
                "before": list(before),
                "after": [limit.minutes_per_week, limit.assignments_per_week],
            },
        )
    return limit


# --- drift -------------------------------------------------------------------------------------


def drift_for_enrollments(
    enrollments: Sequence[Enrollment], now: datetime | None = None
) -> dict[int, list[drift.Indicator]]:
    """Drift indicators per enrollment id, in a constant number of queries (seven, plus
    one per version with added modules) however many enrollments: for the care app's
    periodic signal pass and for the blended page."""
    now = now_or(now)
    ids = [e.pk for e in enrollments]
    if not ids:
        return {}
    field = Enrollment._meta.get_field("version")
    missing = {e.version_id for e in enrollments if not field.is_cached(e)}
    if missing:
        versions = ProgramVersion.objects.in_bulk(missing)
        for e in enrollments:
            if not field.is_cached(e):
                e.version = versions[e.version_id]
    sessions: dict[int, list[Appointment]] = defaultdict(list)
    for row in (
        Appointment.objects.filter(enrollment_id__in=ids)
        .exclude(status=AppointmentStatus.CANCELLED)
        .only("pk", "uuid", "enrollment_id", "starts_at", "status")
        .order_by("starts_at", "id")
    ):
        sessions[row.enrollment_id].append(row)
    reviewed_notes = set(
        SessionNote.objects.filter(
            appointment__enrollment_id__in=ids, homework_reviewed=True
        ).values_list("appointment_id", flat=True)
    )
    homework: dict[int, list[Homework]] = defaultdict(list)
    for row in (
        Homework.objects.current()
        .filter(enrollment_id__in=ids)
        .only(
            "pk",
            "uuid",
            "enrollment_id",
            "appointment_id",
            "kind",
            "module_key",
            "plan_goal",
            "reviewed_in_id",
            "assigned_at",
        )
    ):
        homework[row.enrollment_id].append(row)
    plans = {p.enrollment_id: p for p in TreatmentPlan.objects.filter(enrollment_id__in=ids)}
    completed: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for enrollment_id, version_id, key in ModuleProgress.objects.filter(
        enrollment_id__in=ids, completed_at__isnull=False
    ).values_list("enrollment_id", "version_id", "module_key"):
        completed[enrollment_id].add((version_id, key))
    clinics = dict(
        Patient.objects.filter(pk__in={e.patient_id for e in enrollments}).values_list(
            "pk", "clinic_id"
        )
    )
    gaps = dict(
        BlendedSettings.objects.filter(clinic_id__in=set(clinics.values())).values_list(
            "clinic_id", "max_gap_days"
        )
    )
    out = {}
    for enrollment in enrollments:
        out[enrollment.pk] = _indicators(
            enrollment,
            sessions[enrollment.pk],
            homework[enrollment.pk],
            plans.get(enrollment.pk),
            completed[enrollment.pk],
            reviewed_notes,
            now,
            gaps.get(clinics.get(enrollment.patient_id), DEFAULT_MAX_GAP_DAYS),
        )
    return out


def _indicators(
    enrollment: Enrollment,
    sessions: list[Appointment],
    homework: list[Homework],
    plan: TreatmentPlan | None,
    completed: set[tuple[int, str]],
    reviewed_notes: set[int],
    now: datetime,
    max_gap_days: int,
) -> list[drift.Indicator]:
    given: dict[int, int] = defaultdict(int)
    reviewed_in: set[int] = set()
    for item in homework:
        if item.appointment_id is not None:
            given[item.appointment_id] += 1
        if item.reviewed_in_id is not None:
            reviewed_in.add(item.reviewed_in_id)
    facts = [
        drift.SessionFact(
            starts_at=s.starts_at,
            status=s.status,
            homework_assigned=given[s.pk],
            homework_reviewed=s.pk in reviewed_notes or s.pk in reviewed_in,
            key=str(s.uuid),
        )
        for s in sessions
    ]
    slot_keys = {
        (slot_version, module_id): key for key, slot_version, module_id in _slot_index(enrollment)
    }
    done_keys = {slot_keys[pair] for pair in completed if pair in slot_keys}
    session_modules = (
        {int(n): list(keys) for n, keys in plan.session_modules.items()} if plan else {}
    )
    return drift.indicators(
        sessions=facts,
        homework=[
            drift.HomeworkFact(h.kind, h.module_key, h.plan_goal, str(h.uuid)) for h in homework
        ]
        if plan
        else [],
        session_modules=session_modules,
        goals=len(plan.goals) if plan else 0,
        completed_modules=done_keys,
        now=now,
        max_gap_days=max_gap_days,
        ongoing=enrollment.status in ONGOING,
    )


def _slot_index(enrollment: Enrollment) -> list[tuple[str, int, str]]:
    from tandem.programs import services as programs

    return [
        (s.key, s.version.pk, s.module.id) for s in programs.slots(enrollment, include_hidden=True)
    ]


def drift_indicators(enrollment: Enrollment, now: datetime | None = None) -> list[drift.Indicator]:
    """The drift indicators of one enrollment (see ``tandem.blended.drift``)."""
    return drift_for_enrollments([enrollment], now)[enrollment.pk]


# --- time spent on the online work (from the care app's time entries, when it has them) --------


def online_minutes(patient: Any, since: datetime, until: datetime) -> int | None:
    """Minutes the care team logged on this patient's online work between sessions, from
    the care app's time entries; ``None`` when that app (or its model) is not there."""
    try:
        from tandem.care.models import TimeEntry  # type: ignore[import-not-found]
    except ImportError:
        return None
    names = {f.name for f in TimeEntry._meta.get_fields()}
    minute_field = next((n for n in ("minutes", "duration_minutes") if n in names), None)
    time_field = next(
        (n for n in ("started_at", "occurred_at", "at", "created_at") if n in names), None
    )
    if minute_field is None or time_field is None or "patient" not in names:
        return None
    from django.db.models import Sum

    total = TimeEntry.objects.filter(
        patient=patient, **{f"{time_field}__gte": since, f"{time_field}__lt": until}
    ).aggregate(total=Sum(minute_field))["total"]
    return int(total or 0)
