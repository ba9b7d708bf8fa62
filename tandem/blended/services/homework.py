"""Homework that bridges sessions: assigned at the end of a session from the program (a
module, an exercise, a questionnaire) or as a custom task, due before the next session,
checked against the weekly load limit; completed from the event stream or, for a custom
task, by the patient's tick; reviewed in the next session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tandem.audit import services as audit
from tandem.blended import load
from tandem.blended.models import (
    Appointment,
    Homework,
    HomeworkKind,
    LoadLimit,
)
from tandem.blended.services import notify
from tandem.blended.services.common import (
    now_or,
    record_event,
    require_manage,
    require_own,
)
from tandem.blended.services.describe import Parsed, parse_choice
from tandem.core.models import Event
from tandem.programs import services as programs
from tandem.programs.models import Enrollment

MAX_TEXT = 1000
COMPLETING_KINDS = ("module.completed", "exercise.submitted", "questionnaire.completed")


# --- load --------------------------------------------------------------------------------------


def load_limit_for(enrollment: Enrollment) -> LoadLimit:
    return LoadLimit.objects.filter(enrollment=enrollment).first() or LoadLimit(
        enrollment=enrollment
    )


def check_load(
    enrollment: Enrollment,
    *,
    due_at: datetime | None,
    minutes: int = 0,
    tasks: int = 0,
    now: datetime | None = None,
) -> load.LoadCheck:
    """The patient's load until ``due_at`` with a new task of ``minutes`` added (2
    queries)."""
    now = now_or(now)
    limit = load_limit_for(enrollment)
    items = Homework.objects.open().filter(enrollment=enrollment).values_list("minutes", "due_at")
    return load.check(
        list(items),
        now=now,
        due_at=due_at,
        minutes=minutes,
        tasks=tasks,
        minutes_per_week=limit.minutes_per_week,
        tasks_per_week=limit.assignments_per_week,
    )


# --- assigning ---------------------------------------------------------------------------------


def _open_module(actor: Any, enrollment: Enrollment, module_key: str, request: Any) -> None:
    """Make sure the patient can reach the module (unlock it when pacing keeps it shut)."""
    for view in programs.module_states(enrollment=enrollment):
        if view.key == module_key:
            if view.is_done:
                raise ValidationError(
                    {
                        "task": _(
                            "The patient has completed this module already. Give one of its "
                            "exercises or a task of your own instead."
                        )
                    }
                )
            if not view.is_open:
                programs.unlock_module(
                    actor=actor, enrollment=enrollment, module_key=module_key, request=request
                )
            return
    raise ValidationError({"task": _("This module is hidden for the patient.")})


def assign(
    *,
    actor: Any,
    enrollment: Enrollment,
    kind: str,
    due_at: datetime,
    module_key: str = "",
    exercise_key: str = "",
    instrument: str = "",
    text: str = "",
    minutes: int | None = None,
    appointment: Appointment | None = None,
    plan_goal: int | None = None,
    override: bool = False,
    override_reason: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Homework:
    """Give homework for the time until the next session.

    The task must belong to the enrollment's program (or be a custom task), be due in the
    future, and fit the weekly load limit — unless the therapist overrides the limit
    explicitly with a reason (audited). A module task opens the module when pacing keeps
    it locked; a questionnaire task creates an ad hoc assessments assignment.
    """
    require_manage(actor, enrollment.patient)
    now = now_or(now)
    if appointment is not None and appointment.enrollment_id != enrollment.pk:
        raise PermissionDenied("the session belongs to another enrollment")
    if enrollment.status not in programs.ONGOING:
        raise ValidationError(_("The enrollment has ended: no new homework can be given."))
    parsed = _validated(enrollment, kind, module_key, exercise_key, instrument, text)
    minutes = parsed.minutes if minutes is None else minutes
    if not 1 <= minutes <= 600:
        raise ValidationError({"minutes": _("Estimate the time from 1 to 600 minutes.")})
    if due_at <= now:
        raise ValidationError({"due_at": _("The due date is in the past.")})
    if plan_goal is not None and plan_goal < 0:
        raise ValidationError({"plan_goal": _("Choose a goal of the plan.")})
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        _lock_enrollment(enrollment)
        check = check_load(enrollment, due_at=due_at, minutes=minutes, tasks=1, now=now)
        if check.exceeded and not (override and override_reason):
            raise ValidationError(
                {
                    "override": _(
                        "This is more than the patient's weekly load allows. Give less, "
                        "or tick the override and say why."
                    )
                },
                code="over_limit",
            )
        if parsed.kind in (HomeworkKind.MODULE, HomeworkKind.EXERCISE):
            _open_module(actor, enrollment, parsed.module_key, request)
        assessment = None
        if parsed.kind == HomeworkKind.QUESTIONNAIRE:
            from tandem.assessments import services as assessments
            from tandem.assessments.models import AssignmentSource

            assessment = assessments.assign(
                actor=actor,
                patient=enrollment.patient,
                instrument=parsed.instrument,
                source=AssignmentSource.ADHOC,
                enrollment=enrollment,
                available_at=now,
                due_at=due_at,
                request=request,
            )
        homework = Homework.objects.create(
            patient=enrollment.patient,
            enrollment=enrollment,
            appointment=appointment,
            kind=parsed.kind,
            module_key=parsed.module_key,
            exercise_key=parsed.exercise_key,
            instrument=parsed.instrument,
            text=text.strip() if parsed.kind == HomeworkKind.CUSTOM else "",
            minutes=minutes,
            plan_goal=plan_goal,
            due_at=due_at,
            assigned_at=now,
            assigned_by=actor,
            assessment=assessment,
            over_limit=check.exceeded,
            override_reason=override_reason if check.exceeded else "",
        )
        audit.record(
            actor=actor,
            action="blended.homework.assigned",
            request=request,
            patient=enrollment.patient,
            target=homework,
            detail={"kind": parsed.kind, "minutes": minutes},
        )
        if check.exceeded:
            # The reason stays encrypted on the homework; the chain records the numbers.
            audit.record(
                actor=actor,
                action="blended.homework.load_override",
                request=request,
                patient=enrollment.patient,
                target=homework,
                detail={
                    "minutes": check.minutes,
                    "minutes_limit": check.minutes_limit,
                    "tasks": check.tasks,
                    "tasks_limit": check.tasks_limit,
                },
            )
        record_event(
            patient=enrollment.patient,
            kind="homework.assigned",
            actor=actor,
            ref=homework,
            now=now,
            homework_kind=parsed.kind,
            module=parsed.module_key,
            exercise=parsed.exercise_key,
            code=parsed.instrument,
            due_at=due_at.isoformat(),
            appointment=str(appointment.uuid) if appointment else None,
            over_limit=check.exceeded,
        )
        notify.homework_given(homework)
    return homework


def _lock_enrollment(enrollment: Enrollment) -> None:
    """Serialise homework for one enrollment (so two tabs cannot both pass the limit)."""
    Enrollment.objects.select_for_update(of=("self",)).filter(pk=enrollment.pk).first()


def _validated(
    enrollment: Enrollment,
    kind: str,
    module_key: str,
    exercise_key: str,
    instrument: str,
    text: str,
) -> Parsed:
    if kind == HomeworkKind.CUSTOM:
        text = (text or "").strip()
        if not text:
            raise ValidationError({"text": _("Describe the task.")})
        if len(text) > MAX_TEXT:
            raise ValidationError(
                {"text": _("Keep the task under %(max)d characters.") % {"max": MAX_TEXT}}
            )
        return Parsed(HomeworkKind.CUSTOM)
    if kind == HomeworkKind.MODULE:
        return parse_choice(enrollment, f"module:{module_key}")
    if kind == HomeworkKind.EXERCISE:
        return parse_choice(enrollment, f"exercise:{module_key}/{exercise_key}")
    if kind == HomeworkKind.QUESTIONNAIRE:
        return parse_choice(enrollment, f"questionnaire:{instrument}")
    raise ValidationError({"task": _("Choose a task from this patient's program.")})


# --- completing, reviewing, withdrawing ---------------------------------------------------------


def _matches(homework: Homework, event: Event) -> bool:
    data = event.data or {}
    if homework.assigned_at > event.occurred_at:
        return False
    if event.kind == "module.completed":
        return homework.kind == HomeworkKind.MODULE and data.get("module") == homework.module_key
    if event.kind == "exercise.submitted":
        return (
            homework.kind == HomeworkKind.EXERCISE
            and data.get("module") == homework.module_key
            and data.get("exercise") == homework.exercise_key
        )
    if event.kind == "questionnaire.completed":
        return homework.kind == HomeworkKind.QUESTIONNAIRE and data.get("code") == (
            homework.instrument
        )
    return False


def complete_from_event(event: Event) -> list[Homework]:
    """Mark the patient's open homework that ``event`` fulfils (idempotent)."""
    if event.kind not in COMPLETING_KINDS:
        return []
    done = []
    with transaction.atomic():
        candidates = (
            Homework.objects.open()
            .select_for_update(of=("self",))
            .filter(patient_id=event.patient_id, assigned_at__lte=event.occurred_at)
            .order_by("due_at", "id")
        )
        for homework in candidates:
            if _matches(homework, event):
                homework.completed_at = event.occurred_at
                homework.completed_ref = event.uuid
                homework.save(update_fields=["completed_at", "completed_ref", "updated_at"])
                record_event(
                    patient=homework.patient,
                    kind="homework.completed",
                    actor=None,
                    ref=homework,
                    now=event.occurred_at,
                    homework_kind=homework.kind,
                    via=event.kind,
                )
                notify.homework_settled(homework)
                done.append(homework)
                if event.kind != "exercise.submitted":
                    break  # one completion fulfils one task; repeatable diaries fill several
    return done


def tick(
    *,
    actor: Any,
    homework: Homework,
    done: bool = True,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Homework:
    """The patient ticks a custom task done (or not done after all)."""
    require_own(actor, homework.patient)
    if homework.kind != HomeworkKind.CUSTOM:
        raise ValidationError(
            _("This task is ticked automatically when you finish it in the program.")
        )
    if homework.is_withdrawn:
        raise ValidationError(_("Your therapist has taken this task back."))
    now = now_or(now)
    with transaction.atomic():
        homework = Homework.objects.select_for_update(of=("self",)).get(pk=homework.pk)
        if done == homework.is_done:
            return homework
        homework.completed_at = now if done else None
        homework.completed_ref = None
        homework.save(update_fields=["completed_at", "completed_ref", "updated_at"])
        if done:
            notify.homework_settled(homework)
        elif homework.due_at > now:
            notify.homework_given(homework)
        audit.record(
            actor=actor,
            action="blended.homework.ticked" if done else "blended.homework.unticked",
            request=request,
            patient=homework.patient,
            target=homework,
        )
        record_event(
            patient=homework.patient,
            kind="homework.completed" if done else "homework.reopened",
            actor=actor,
            ref=homework,
            now=now,
            homework_kind=homework.kind,
            via="patient",
        )
    return homework


def mark_reviewed(
    *,
    actor: Any,
    homework: Homework,
    appointment: Appointment | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Homework:
    """The homework was talked through in a session (done or not)."""
    require_manage(actor, homework.patient)
    if appointment is not None and appointment.patient_id != homework.patient_id:
        raise PermissionDenied("another patient's session")
    now = now_or(now)
    with transaction.atomic():
        homework = Homework.objects.select_for_update(of=("self",)).get(pk=homework.pk)
        if homework.reviewed_at is None:
            homework.reviewed_at = now
            homework.reviewed_in = appointment
            homework.save(update_fields=["reviewed_at", "reviewed_in", "updated_at"])
            audit.record(
                actor=actor,
                action="blended.homework.reviewed",
                request=request,
                patient=homework.patient,
                target=homework,
            )
            record_event(
                patient=homework.patient,
                kind="homework.reviewed",
                actor=actor,
                ref=homework,
                now=now,
                done=homework.is_done,
            )
    return homework


def withdraw(
    *,
    actor: Any,
    homework: Homework,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Homework:
    """Take an open task back (it no longer counts towards the load)."""
    require_manage(actor, homework.patient)
    now = now_or(now)
    with transaction.atomic():
        homework = Homework.objects.select_for_update(of=("self",)).get(pk=homework.pk)
        if homework.is_done:
            raise ValidationError(_("The patient has done this task already."))
        if homework.withdrawn_at is None:
            homework.withdrawn_at = now
            homework.save(update_fields=["withdrawn_at", "updated_at"])
            notify.homework_settled(homework)
            audit.record(
                actor=actor,
                action="blended.homework.withdrawn",
                request=request,
                patient=homework.patient,
                target=homework,
            )
            record_event(
                patient=homework.patient,
                kind="homework.withdrawn",
                actor=actor,
                ref=homework,
                now=now,
            )
    return homework
