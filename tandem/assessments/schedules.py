"""When questionnaires are given: the program's ``instruments`` schedule.

A program package declares ``InstrumentSchedule(instrument, when, offset_days)``:

- ``baseline``: at enrollment (handler on ``enrollment.created``; the periodic job
  catches up an enrollment of the last 14 days that has none);
- ``each_module``: when the patient completes a module (handler on
  ``module.completed``), plus the module's own ``questionnaires``;
- ``weekly``: week *n* (n >= 1) after the start, created by the periodic job;
- ``end``: when the enrollment is completed (handler on ``enrollment.status_changed``;
  the job catches up), or once its planned ``ends_at`` has passed;
- ``followup``: ``offset_days`` after the end (default 90), created by the job;
- ``before_session``: created by the blended-care app through ``before_session``.

Every scheduled assignment has a ``schedule_key`` ("baseline", "weekly:3",
"module:activity", "end", "followup:90", "session:<uuid>") that makes creation
idempotent. ``run(now)`` is the periodic job (``manage.py assessments_schedule``): it
creates what fell due, marks overdue and missed assignments, and raises the alert of a
critical answer left in an abandoned draft.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tandem.assessments import definitions, scoring
from tandem.assessments.errors import ScoringError
from tandem.assessments.models import Assignment, AssignmentSource, Draft
from tandem.assessments.services import assign
from tandem.core import events
from tandem.programs.models import Enrollment, EnrollmentStatus
from tandem.safety import services as safety

logger = logging.getLogger(__name__)

# (due after, expires after) the moment an assignment becomes available.
WINDOWS: dict[str, tuple[timedelta, timedelta]] = {
    "baseline": (timedelta(days=3), timedelta(days=14)),
    "weekly": (timedelta(days=3), timedelta(days=7)),
    "each_module": (timedelta(days=3), timedelta(days=14)),
    "end": (timedelta(days=7), timedelta(days=28)),
    "followup": (timedelta(days=7), timedelta(days=28)),
    "before_session": (timedelta(0), timedelta(days=2)),
}
DEFAULT_FOLLOWUP_DAYS = 90
BASELINE_CATCH_UP = timedelta(days=14)
WEEK = timedelta(days=7)
#: An unsubmitted draft holding a critical answer raises its alert after this long.
ABANDONED_CRITICAL_DRAFT = timedelta(minutes=30)


def _schedule(enrollment: Enrollment) -> tuple[Any, ...]:
    try:
        return tuple(enrollment.version.package.program.instruments)
    except Exception:
        logger.exception("cannot read the instrument schedule of enrollment %s", enrollment.pk)
        return ()


def _known(code: str) -> bool:
    try:
        definitions.get(code)
    except ScoringError:
        logger.warning("schedule names unknown instrument %r; skipped", code)
        return False
    return True


def _give(
    enrollment: Enrollment,
    code: str,
    key: str,
    when: str,
    available_at: datetime,
    source: str = AssignmentSource.SCHEDULE,
) -> Assignment | None:
    if not _known(code):
        return None
    due, expires = WINDOWS[when]
    return assign(
        actor=None,
        patient=enrollment.patient,
        enrollment=enrollment,
        instrument=code,
        source=source,
        schedule_key=key,
        available_at=available_at,
        due_at=available_at + due,
        expires_at=available_at + expires,
    )


def on_enrolled(enrollment: Enrollment) -> list[Assignment]:
    """Baseline questionnaires, available from the start of the enrollment."""
    given = []
    for entry in _schedule(enrollment):
        if entry.when == "baseline":
            given.append(
                _give(enrollment, entry.instrument, "baseline", "baseline", enrollment.started_at)
            )
    return [a for a in given if a is not None]


def on_module_completed(
    enrollment: Enrollment, module_key: str, now: datetime | None = None
) -> list[Assignment]:
    """``each_module`` instruments and the module's own questionnaires."""
    now = now or timezone.now()
    codes: list[tuple[str, str]] = [
        (entry.instrument, AssignmentSource.SCHEDULE)
        for entry in _schedule(enrollment)
        if entry.when == "each_module"
    ]
    try:
        module = enrollment.version.package.program.module(module_key)
    except Exception:
        module = None
    if module is not None:
        codes += [(code, AssignmentSource.MODULE) for code in module.questionnaires]
    given = []
    seen = set()
    for code, source in codes:
        if code in seen:
            continue
        seen.add(code)
        given.append(_give(enrollment, code, f"module:{module_key}", "each_module", now, source))
    return [a for a in given if a is not None]


def before_session(
    enrollment: Enrollment, *, session_key: str, session_at: datetime
) -> list[Assignment]:
    """``before_session`` instruments for one blended-care appointment (blended app)."""
    opens = session_at - timedelta(days=2)
    given = []
    for entry in _schedule(enrollment):
        if entry.when == "before_session":
            key = f"session:{session_key}"[:100]
            assignment = _give(enrollment, entry.instrument, key, "before_session", opens)
            if assignment is not None:
                given.append(assignment)
    return given


def _end_of(enrollment: Enrollment, now: datetime) -> datetime | None:
    if enrollment.status == EnrollmentStatus.COMPLETED:
        return enrollment.ended_at or now
    if enrollment.status == EnrollmentStatus.ACTIVE and enrollment.ends_at is not None:
        return enrollment.ends_at if enrollment.ends_at <= now else None
    return None


def on_ended(enrollment: Enrollment, now: datetime | None = None) -> list[Assignment]:
    """``end`` instruments, and the ``followup`` ones whose offset has passed."""
    now = now or timezone.now()
    end = _end_of(enrollment, now)
    if end is None:
        return []
    given = []
    for entry in _schedule(enrollment):
        if entry.when == "end":
            given.append(_give(enrollment, entry.instrument, "end", "end", end))
        elif entry.when == "followup":
            days = entry.offset_days if entry.offset_days is not None else DEFAULT_FOLLOWUP_DAYS
            opens = end + timedelta(days=days)
            if opens <= now:
                given.append(
                    _give(enrollment, entry.instrument, f"followup:{days}", "followup", opens)
                )
    return [a for a in given if a is not None]


def weekly(enrollment: Enrollment, now: datetime | None = None) -> list[Assignment]:
    """This week's weekly instruments (week n >= 1 since the start; weeks the job did
    not run for are not back-filled)."""
    now = now or timezone.now()
    if enrollment.status != EnrollmentStatus.ACTIVE or enrollment.started_at > now:
        return []
    week = int((now - enrollment.started_at) / WEEK)
    if week < 1:
        return []
    opens = enrollment.started_at + week * WEEK
    given = []
    for entry in _schedule(enrollment):
        if entry.when == "weekly":
            given.append(_give(enrollment, entry.instrument, f"weekly:{week}", "weekly", opens))
    return [a for a in given if a is not None]


@dataclass
class Summary:
    created: int = 0
    overdue: int = 0
    missed: int = 0
    draft_alerts: int = 0
    errors: list[str] = field(default_factory=list)


def _mark(now: datetime, summary: Summary) -> None:
    """Record ``questionnaire.overdue`` and ``questionnaire.missed`` once per assignment."""
    overdue = list(
        Assignment.objects.filter(
            completed_at__isnull=True,
            overdue_at__isnull=True,
            missed_at__isnull=True,
            due_at__lt=now,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("pk", flat=True)
    )
    missed = list(
        Assignment.objects.filter(
            completed_at__isnull=True, missed_at__isnull=True, expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    for pks, stamp, kind in (
        (overdue, "overdue_at", "questionnaire.overdue"),
        (missed, "missed_at", "questionnaire.missed"),
    ):
        for pk in pks:
            with transaction.atomic():
                claimed = Assignment.objects.filter(
                    pk=pk, completed_at__isnull=True, **{f"{stamp}__isnull": True}
                ).update(**{stamp: now})
                if not claimed:
                    continue
                assignment = Assignment.objects.select_related("patient").get(pk=pk)
                events.record(
                    patient=assignment.patient,
                    kind=kind,
                    ref=assignment,
                    data={"code": assignment.instrument},
                )
                if stamp == "overdue_at":
                    summary.overdue += 1
                else:
                    summary.missed += 1


def alert_abandoned_critical_drafts(now: datetime | None = None) -> int:
    """A critical answer left in a draft that was never submitted still reaches the care
    team: after ``ABANDONED_CRITICAL_DRAFT`` the alert is raised from the draft."""
    now = now or timezone.now()
    count = 0
    drafts = Draft.objects.filter(
        critical_at__lte=now - ABANDONED_CRITICAL_DRAFT,
        alerted_at__isnull=True,
        assignment__completed_at__isnull=True,
    ).select_related("assignment__patient__clinic")
    for draft in drafts:
        assignment = draft.assignment
        answers = {int(k): v for k, v in draft.answers.items() if str(k).isdigit()}
        try:
            result = scoring.score(assignment.instrument, answers, followup=draft.followup or None)
        except ScoringError:
            logger.exception("abandoned draft %s cannot be scored", draft.pk)
            continue
        if not result.critical:
            continue
        top = max(
            result.critical_hits, key=lambda hit: ({"review": 1, "urgent": 2}[hit.tier], -hit.item)
        )
        with transaction.atomic():
            safety.raise_alert(
                patient=assignment.patient,
                source="assessment",
                tier=result.critical_tier or "review",
                reason=f"{assignment.instrument}.item{top.item}.unsubmitted",
                ref=assignment,
                detail={
                    "instrument": assignment.instrument,
                    "items": {str(h.item): h.value for h in result.critical_hits},
                    "followup_yes": list(result.followup_positive),
                    "unsubmitted": True,
                },
            )
            Draft.objects.filter(pk=draft.pk).update(alerted_at=now)
        count += 1
    return count


def run(now: datetime | None = None) -> Summary:
    """The periodic job: idempotent, safe to run as often as wanted."""
    now = now or timezone.now()
    summary = Summary()
    enrollments = Enrollment.objects.filter(
        status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED]
    ).select_related("version__program", "patient__clinic")
    before = Assignment.objects.count()
    for enrollment in list(enrollments):
        try:
            if (
                enrollment.status == EnrollmentStatus.ACTIVE
                and enrollment.started_at >= now - BASELINE_CATCH_UP
            ):
                on_enrolled(enrollment)
            weekly(enrollment, now)
            on_ended(enrollment, now)
        except Exception as exc:  # one broken enrollment must not stop the others
            logger.exception("scheduling failed for enrollment %s", enrollment.pk)
            summary.errors.append(f"enrollment {enrollment.uuid}: {exc.__class__.__name__}")
    summary.created = Assignment.objects.count() - before
    _mark(now, summary)
    summary.draft_alerts = alert_abandoned_critical_drafts(now)
    return summary
