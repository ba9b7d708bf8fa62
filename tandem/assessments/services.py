"""Assessment use cases: assign a questionnaire, submit a response, read scores.

    assign(*, actor, patient, instrument, source, due_at=None, ...) -> Assignment
    submit_response(*, actor, assignment, answers, followup=None, ...) -> Response
    latest_scores(patients) -> {patient_id: {code: LatestScore}}
    due_for(patient) -> list[Assignment]

``submit_response`` scores with the pure ``scoring`` module first (a ``ScoringError``
stores nothing), then writes the response, its events and — for a critical answer or a
reliable deterioration — the safety alert in one transaction: if any of it fails,
nothing is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest
from django.utils import timezone

from tandem.accounts.models import Patient, Role
from tandem.assessments import definitions, scoring
from tandem.assessments.errors import ScoringError, UnknownInstrument
from tandem.assessments.models import Assignment, AssignmentSource, Draft, Response
from tandem.assessments.schema import TIER_RANK
from tandem.audit import services as audit
from tandem.core import events
from tandem.safety import services as safety

logger = logging.getLogger(__name__)

DEFAULT_DUE = timedelta(days=3)
DEFAULT_EXPIRY = timedelta(days=14)


class MissingAnswers(ScoringError):
    """Required items are unanswered (and the instrument allows no prorating)."""

    def __init__(self, items: tuple[int, ...]) -> None:
        super().__init__(f"answers missing for items {', '.join(map(str, items))}")
        self.items = items


class AlreadySubmitted(Exception):
    """The assignment already has its response; nothing new was stored."""

    def __init__(self, assignment: Assignment) -> None:
        super().__init__("this questionnaire was already submitted")
        self.assignment = assignment


# --- assigning -----------------------------------------------------------------------------


def _check_instrument(code: str) -> None:
    definitions.get(code)  # raises UnknownInstrument (a ScoringError) for a bad code


def _baseline_fields(patient: Patient, instrument: str, enrollment: Any) -> dict[str, Any]:
    """The baseline the new assignment will be compared with, when there is one already
    (read only for an assignment that is really created: the schedule job calls
    ``assign`` for every enrollment on every run)."""
    found = baseline_response(
        patient_id=patient.pk, instrument=instrument, enrollment_id=getattr(enrollment, "pk", None)
    )
    return {"baseline_id": found[0], "baseline_total": found[1]} if found else {}


def assign(
    *,
    actor: Any,
    patient: Patient,
    instrument: str,
    source: str,
    enrollment: Any = None,
    available_at: datetime | None = None,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    schedule_key: str = "",
    request: HttpRequest | None = None,
) -> Assignment:
    """Give ``patient`` the questionnaire ``instrument``.

    With an enrollment and a ``schedule_key`` the call is idempotent: the existing
    assignment for that key is returned unchanged. A therapist's ad hoc assignment is
    audited; every new assignment records ``questionnaire.assigned``.
    """
    _check_instrument(instrument)
    if source not in AssignmentSource.values:
        raise ValueError(f"unknown assignment source {source!r}")
    if source == AssignmentSource.ADHOC:
        role = getattr(actor, "role", None)
        if (
            role != Role.THERAPIST
            or not Patient.objects.for_user(actor).filter(pk=patient.pk).exists()
        ):
            raise PermissionDenied("only the patient's therapists send questionnaires")
    available_at = available_at or timezone.now()
    due_at = due_at or available_at + DEFAULT_DUE
    if expires_at is None:
        expires_at = max(due_at, available_at) + (DEFAULT_EXPIRY - DEFAULT_DUE)
    fields = dict(
        patient=patient,
        enrollment=enrollment,
        instrument=instrument,
        source=source,
        schedule_key=schedule_key,
        available_at=available_at,
        due_at=due_at,
        expires_at=expires_at,
        assigned_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        if enrollment is not None and schedule_key:
            existing = Assignment.objects.filter(
                enrollment=enrollment, instrument=instrument, schedule_key=schedule_key
            ).first()
            if existing is not None:
                return existing
            fields |= _baseline_fields(patient, instrument, enrollment)
            try:
                with transaction.atomic():
                    assignment = Assignment.objects.create(**fields)
            except IntegrityError:
                return Assignment.objects.get(
                    enrollment=enrollment, instrument=instrument, schedule_key=schedule_key
                )
        else:
            fields |= _baseline_fields(patient, instrument, enrollment)
            assignment = Assignment.objects.create(**fields)
        if source == AssignmentSource.ADHOC:
            audit.record(
                actor=actor,
                action="assessments.assignment.created",
                request=request,
                patient=patient,
                target=assignment,
                detail={"instrument": instrument, "due_at": due_at.isoformat()},
            )
        events.record(
            patient=patient,
            kind="questionnaire.assigned",
            actor=actor,
            ref=assignment,
            data={
                "code": instrument,
                "source": source,
                "due_at": due_at.isoformat(),
                "key": schedule_key,
            },
        )
    return assignment


# --- submitting ----------------------------------------------------------------------------


def _answers_json(result: scoring.ScoreResult, answers: Mapping[int, int | None]) -> dict:
    return {str(number): answers.get(number) for number in sorted(result.item_scores)}


def normalise_answers(answers: object) -> dict[int, int | None]:
    """Answers as ``{item number: value}``: accepts a list or a mapping with int or
    numeric-string keys (form and JSON input). Shape errors raise ``ScoringError``."""
    if isinstance(answers, Mapping):
        out: dict[int, int | None] = {}
        for key, value in answers.items():
            if isinstance(key, str) and key.isdigit():
                key = int(key)
            if isinstance(key, bool) or not isinstance(key, int):
                raise scoring.WrongItemCount(f"answer keys must be item numbers, not {key!r}")
            out[key] = value
        return out
    if isinstance(answers, list | tuple):
        return {i + 1: value for i, value in enumerate(answers)}
    raise scoring.InvalidAnswer("answers must be a list or a mapping")


def baseline_response(
    *, patient_id: int, instrument: str, enrollment_id: int | None
) -> tuple[int, float | None] | None:
    """``(pk, total)`` of the baseline: the earliest complete response to ``instrument``,
    within the enrollment when there is one."""
    query = Response.objects.filter(patient_id=patient_id, instrument=instrument, complete=True)
    if enrollment_id is not None:
        query = query.filter(assignment__enrollment_id=enrollment_id)
    return query.order_by("submitted_at", "pk").values_list("pk", "total").first()


def _baseline_for(assignment: Assignment, code: str) -> Response | None:
    """The stored baseline of the assignment (no query), else the one found now."""
    if assignment.baseline_id is not None:
        found: tuple[int, float | None] | None = (assignment.baseline_id, assignment.baseline_total)
    else:
        found = baseline_response(
            patient_id=assignment.patient_id,
            instrument=code,
            enrollment_id=assignment.enrollment_id,
        )
    if found is None:
        return None
    # Only what submitting uses; any other field is read if someone asks for it.
    return Response.from_db(Response.objects.db, ["id", "total"], list(found))


def _critical_reason(code: str, result: scoring.ScoreResult) -> str:
    """``<code>.item<n>`` for the item behind the highest tier (lowest item on a tie)."""
    top = max(result.critical_hits, key=lambda hit: (TIER_RANK[hit.tier], -hit.item))
    return f"{code}.item{top.item}"


def submit_response(
    *,
    actor: Any,
    assignment: Assignment,
    answers: object,
    followup: Mapping[str, bool | None] | None = None,
    idempotency_key: str = "",
    language: str = "en",
    now: datetime | None = None,
) -> Response:
    """Score and store the patient's answers to ``assignment``.

    Raises ``ScoringError`` (missing or out-of-range answers, unknown follow-up question,
    an instrument code that no longer exists: nothing stored), ``AlreadySubmitted`` (the
    assignment has its response; a repeat of the same submission — same idempotency
    key — returns the stored response instead) and ``PermissionDenied`` (someone else's
    assignment). A critical answer creates its safety alert, and a reliable deterioration
    against the baseline a review alert, in the same transaction as the response.

    Queries: at most 6 SQL statements for a non-critical response whatever the number
    of items (baseline lookup, claim the assignment, insert the response, delete the
    draft, insert the events, queue their dispatch — with the database task backend),
    plus the transaction's own BEGIN or SAVEPOINT/RELEASE; 5 when the assignment was
    given with its baseline already known (``assign`` stores it).
    A raised alert adds the fixed cost of ``safety.raise_alert`` (with its audit entry).
    The caller passes the assignment with ``patient`` (and its clinic) loaded.
    """
    if getattr(actor, "role", None) == Role.PATIENT and actor.pk != assignment.patient.user_id:
        raise PermissionDenied("another patient's questionnaire")
    code = assignment.instrument
    if assignment.completed_at is not None:
        if idempotency_key:
            previous = Response.objects.filter(
                assignment=assignment, idempotency_key=idempotency_key
            ).first()
            if previous is not None:
                return previous
        raise AlreadySubmitted(assignment)
    definition = definitions.get(code)  # UnknownInstrument is a ScoringError
    values = normalise_answers(answers)
    result = scoring.score(code, values, followup=followup)  # raises before any write
    if not result.answered:
        raise scoring.InvalidAnswer("no answers given")
    if not result.complete:
        raise MissingAnswers(result.missing)
    now = now or timezone.now()
    language = language if language in definition.languages else "en"

    baseline = None
    change = ""
    if result.total is not None:
        baseline = _baseline_for(assignment, code)
        if baseline is not None:
            change = scoring.reliable_change(code, baseline.total, result.total) or ""

    with transaction.atomic():
        claimed = Assignment.objects.filter(pk=assignment.pk, completed_at__isnull=True).update(
            completed_at=now, updated_at=now
        )
        if not claimed:
            raise AlreadySubmitted(assignment)
        response = Response.objects.create(
            assignment=assignment,
            patient_id=assignment.patient_id,
            instrument=code,
            definition_version=result.version,
            language=language,
            answers=_answers_json(result, values),
            followup={k: v for k, v in (followup or {}).items() if isinstance(v, bool)},
            total=result.total,
            raw_total=result.raw_total,
            max_total=result.max_total,
            band=result.band or "",
            band_index=result.band_index,
            critical=result.critical,
            tier=result.critical_tier or "",
            critical_items=list(result.critical_items),
            subscales=dict(result.subscales),
            flags=list(result.flag_codes),
            complete=result.complete,
            prorated=result.prorated,
            baseline=baseline,
            change=change,
            submitted_at=now,
            submitted_by=actor,
            idempotency_key=idempotency_key[:64],
        )
        Draft.objects.filter(assignment_id=assignment.pk).delete()
        patient = assignment.patient
        recorded = [
            {
                "patient": patient,
                "kind": "questionnaire.completed",
                "actor": actor,
                "ref": response,
                "occurred_at": now,
                "data": {
                    "code": code,
                    "total": result.total,
                    "band": result.band or "",
                    "change": change,
                    "complete": result.complete,
                },
            }
        ]
        if change in ("improved", "deteriorated"):
            recorded.append(
                {
                    "patient": patient,
                    "kind": "score.reliable_change",
                    "actor": actor,
                    "ref": response,
                    "occurred_at": now,
                    "data": {
                        "code": code,
                        "change": change,
                        "total": result.total,
                        "baseline_total": baseline.total if baseline else None,
                    },
                }
            )
        events.record_many(recorded)  # one INSERT and one dispatch task for both
        if result.critical:
            safety.raise_alert(
                patient=patient,
                source="assessment",
                tier=result.critical_tier or "review",
                reason=_critical_reason(code, result),
                ref=response,
                actor=actor,
                detail={
                    "instrument": code,
                    "items": {str(h.item): h.value for h in result.critical_hits},
                    "followup_yes": list(result.followup_positive),
                    "total": result.total,
                },
            )
        if change == "deteriorated":
            safety.raise_alert(
                patient=patient,
                source="assessment",
                tier="review",
                reason=f"{code}.reliable_deterioration",
                ref=response,
                actor=actor,
                detail={
                    "instrument": code,
                    "total": result.total,
                    "baseline_total": baseline.total if baseline else None,
                },
            )
    assignment.completed_at = now
    return response


# --- drafts ----------------------------------------------------------------------------------


def save_draft(
    *,
    assignment: Assignment,
    answers: Mapping[int, int | None],
    followup: Mapping[str, bool | None] | None = None,
    mode: str | None = None,
    now: datetime | None = None,
) -> Draft:
    """Store the answers so far. Notes when a critical answer first appears, so an
    abandoned critical draft can still reach the care team (see ``schedules``)."""
    now = now or timezone.now()
    draft, _created = Draft.objects.get_or_create(assignment=assignment)
    draft.answers = {str(k): v for k, v in sorted(answers.items()) if v is not None}
    if followup is not None:
        draft.followup = {k: v for k, v in followup.items() if isinstance(v, bool)}
    if mode in Draft.Mode.values:
        draft.mode = mode
    if draft.critical_at is None:
        try:
            result = scoring.score(assignment.instrument, dict(answers))
        except ScoringError:
            result = None
        if result is not None and result.critical:
            draft.critical_at = now
    draft.save()
    return draft


def draft_answers(draft: Draft | None) -> dict[int, int]:
    if draft is None:
        return {}
    return {int(k): v for k, v in draft.answers.items() if str(k).isdigit() and isinstance(v, int)}


# --- reading -------------------------------------------------------------------------------


def due_for(patient: Patient, now: datetime | None = None) -> list[Assignment]:
    """What ``patient`` can fill in now (due or overdue), soonest due first, each with
    ``short_name`` set for display (``assessments/partials/due.html``). One query."""
    assignments = list(
        Assignment.objects.filter(patient=patient).open_now(now).order_by("due_at", "pk")
    )
    for assignment in assignments:
        try:
            assignment.short_name = definitions.get(assignment.instrument).short_name
        except ScoringError:
            assignment.short_name = assignment.instrument
    return assignments


@dataclass(frozen=True)
class LatestScore:
    code: str
    total: float | None
    band: str
    submitted_at: datetime
    baseline_total: float | None
    #: total - baseline total (None without a baseline)
    delta: float | None
    #: "improved" | "deteriorated" | "no_reliable_change" | "" (Jacobson-Truax)
    change: str
    critical: bool

    @property
    def total_display(self) -> str:
        from tandem.assessments.models import _number

        return _number(self.total)


def latest_scores(patients: Iterable[Any]) -> dict[int, dict[str, LatestScore]]:
    """Latest complete score per instrument and its change since baseline, for a
    caseload: ``{patient_id: {code: LatestScore}}``. One query whatever the size."""
    ids = [getattr(p, "pk", p) for p in patients]
    if not ids:
        return {}
    ranked = (
        Response.objects.filter(patient_id__in=ids, complete=True)
        .annotate(
            _rank=Window(
                RowNumber(),
                partition_by=[F("patient_id"), F("instrument")],
                order_by=[F("submitted_at").desc(), F("pk").desc()],
            )
        )
        .filter(_rank=1)
        .select_related("baseline")
    )
    out: dict[int, dict[str, LatestScore]] = {}
    for response in ranked:
        base = response.baseline
        out.setdefault(response.patient_id, {})[response.instrument] = LatestScore(
            code=response.instrument,
            total=response.total,
            band=response.band,
            submitted_at=response.submitted_at,
            baseline_total=base.total if base else None,
            delta=response.change_since_baseline,
            change=response.change,
            critical=response.critical,
        )
    return out


__all__ = [
    "AlreadySubmitted",
    "LatestScore",
    "MissingAnswers",
    "UnknownInstrument",
    "assign",
    "due_for",
    "latest_scores",
    "save_draft",
    "submit_response",
]
