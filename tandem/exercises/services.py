"""Exercise use cases: one function per change, keyword-only arguments, an explicit
``actor``, one transaction each, with their events, audit entries and the enrollment's
counters (``F()`` expressions in the same transaction).

Nothing is lost: ``save_draft`` keeps the worksheet's raw form data as typed (the
browser autosaves every 1.5 s while the patient types, on leaving a field and when the
page is left), so a draft survives logout, session expiry and a second device.
When a session ends (idle or absolute timeout, or signed out elsewhere) the next
autosave is answered with a redirect to the sign-in page (``HX-Redirect`` from the
session middleware; never a 500); ``static/exercises/autosave.js`` then goes to sign-in
with ``?next=`` this worksheet, and after signing in the patient finds the worksheet
with the last autosaved draft. What can be lost is only what was typed after the last
successful autosave: at most the last 1.5 seconds or so of typing. A submit POST after
the session ended is not stored either (the middleware redirects it), but everything up
to the last autosave is in the draft.
Submitting is idempotent: the worksheet carries a client token, the enrollment row is
locked, and a repeated POST returns the entry it created; a non-repeatable exercise
gets a second submission only as an explicit revision of the latest one.

Events: ``exercise.draft_saved`` (at most once per entry per hour), ``exercise.submitted``,
``exercise.skipped``, ``exercise.feedback_given``, ``exercise.feedback_seen``,
``exercise.hard_reported``, ``exercise.hard_seen``. Event data never holds free text.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import Role
from tandem.audit import services as audit
from tandem.core import events
from tandem.exercises.content import ExerciseRef, is_writable, slot_key
from tandem.exercises.models import EntryStatus, ExerciseEntry, Feedback, HardMoment, SkipReason
from tandem.exercises.policies import is_care_team
from tandem.exercises.types.base import oversized
from tandem.programs import services as program_services
from tandem.programs.models import Enrollment

DRAFT_EVENT_INTERVAL = timedelta(hours=1)
DEFAULT_ANSWER_WORKING_DAYS = 2


# --- helpers ---------------------------------------------------------------------------------
def _require_own(actor: Any, enrollment: Enrollment) -> None:
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.role == Role.PATIENT
        and enrollment.patient.user_id == actor.pk
    ):
        raise PermissionDenied("not the patient's own enrollment")


def _require_writable(enrollment: Enrollment) -> None:
    if not is_writable(enrollment):
        raise PermissionDenied("the enrollment has ended")


def _lock(enrollment: Enrollment) -> None:
    """Serialise writes per enrollment (a row lock on PostgreSQL; SQLite transactions
    are IMMEDIATE, so writers queue anyway)."""
    Enrollment.objects.select_for_update(of=("self",)).filter(pk=enrollment.pk).first()


def _touch(enrollment: Enrollment, now: datetime, **counters: Any) -> None:
    Enrollment.objects.filter(pk=enrollment.pk).update(last_activity_at=now, **counters)


def _data(ref: ExerciseRef, entry: ExerciseEntry | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "module": ref.slot,
        "exercise": ref.exercise_key,
        "type": ref.exercise.type,
    }
    if entry is not None:
        out["entry"] = str(entry.uuid)
    out.update(extra)
    return out


def _entry_data(entry: ExerciseEntry, **extra: Any) -> dict[str, Any]:
    return {
        "module": slot_key(entry),
        "exercise": entry.exercise_key,
        "type": entry.exercise_type,
        "entry": str(entry.uuid),
        **extra,
    }


def _entries(enrollment: Enrollment, ref: ExerciseRef):  # type: ignore[no-untyped-def]
    return ExerciseEntry.objects.for_exercise(
        enrollment, ref.version, ref.module_key, ref.exercise_key
    )


def _token_owner(enrollment: Enrollment, token: uuid.UUID | None) -> ExerciseEntry | None:
    if token is None:
        return None
    return ExerciseEntry.objects.filter(enrollment=enrollment, submission_token=token).first()


def _same_exercise(entry: ExerciseEntry, ref: ExerciseRef) -> bool:
    return (
        entry.version_id == ref.version.pk
        and entry.module_key == ref.module_key
        and entry.exercise_key == ref.exercise_key
    )


def _new_entry(enrollment: Enrollment, ref: ExerciseRef, **fields: Any) -> ExerciseEntry:
    return ExerciseEntry(
        enrollment=enrollment,
        version=ref.version,
        module_key=ref.module_key,
        exercise_key=ref.exercise_key,
        exercise_type=ref.exercise.type,
        repeatable=ref.exercise.repeatable,
        **fields,
    )


def _check_text(value: str, field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if oversized(value):
        raise ValidationError({field: _("This text is too long (more than 50 kB).")})
    if "\x00" in value:
        raise ValidationError({field: _("This text contains characters that are not allowed.")})
    return value


# --- reading ---------------------------------------------------------------------------------
def current_draft(enrollment: Enrollment, ref: ExerciseRef) -> ExerciseEntry | None:
    return _entries(enrollment, ref).drafts().first()


def exercise_states(enrollment: Enrollment) -> dict[tuple[str, str], str]:
    """(module id, exercise id) → "submitted" | "skipped" | "draft" for this enrollment's
    own version (what the module player shows next to each exercise). One query."""
    out: dict[tuple[str, str], str] = {}
    rank = {EntryStatus.DRAFT: 1, EntryStatus.SKIPPED: 2, EntryStatus.SUBMITTED: 3}
    rows = ExerciseEntry.objects.filter(enrollment=enrollment).values_list(
        "module_key", "exercise_key", "status"
    )
    for module_key, exercise_key, status in rows:
        key = (module_key, exercise_key)
        if rank[status] > rank.get(out.get(key, ""), 0):
            out[key] = status
    return out


def answer_due_on(start: datetime, *, tz: str = "", working_days: int | None = None) -> date:
    """The date by which the care team answers: ``working_days`` working days after
    ``start`` (weekends and public holidays skipped), in the clinic's time zone."""
    from tandem.core.workhours import WorkCalendar, add_working_days

    days = working_days
    if days is None:
        days = getattr(settings, "TANDEM_HARD_ANSWER_WORKING_DAYS", DEFAULT_ANSWER_WORKING_DAYS)
    try:
        zone = ZoneInfo(tz) if tz else timezone.get_current_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    calendar = WorkCalendar(
        tz=zone, holiday_country=getattr(settings, "TANDEM_HOLIDAY_COUNTRY", "FI")
    )
    return add_working_days(start.astimezone(zone).date(), days, calendar)


# --- patient: drafts and submissions -------------------------------------------------------------
@dataclass(frozen=True)
class DraftResult:
    entry: ExerciseEntry
    saved: bool  # False: the token's worksheet was submitted already; nothing stored
    created: bool = False


def save_draft(
    *,
    actor: Any,
    enrollment: Enrollment,
    ref: ExerciseRef,
    data: Mapping[str, list[str]],
    token: uuid.UUID | None = None,
    now: datetime | None = None,
) -> DraftResult:
    """Keep the worksheet as typed (raw form data, limits checked by the caller with
    ``types.raw_draft``). One open draft per exercise; a late autosave of a worksheet
    that was submitted meanwhile stores nothing."""
    _require_own(actor, enrollment)
    _require_writable(enrollment)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(enrollment)
        owner = _token_owner(enrollment, token)
        if owner is not None and _same_exercise(owner, ref) and owner.is_submitted:
            return DraftResult(owner, saved=False)
        if owner is not None and not (owner.is_draft and _same_exercise(owner, ref)):
            token = None
        draft = _entries(enrollment, ref).drafts().first()
        created = draft is None
        if draft is None:
            draft = _new_entry(
                enrollment, ref, status=EntryStatus.DRAFT, submission_token=token or uuid.uuid4()
            )
        draft.answers = dict(data)
        draft.draft_saved_at = now
        record = draft.draft_event_at is None or now - draft.draft_event_at >= DRAFT_EVENT_INTERVAL
        if record:
            draft.draft_event_at = now
        draft.save()
        _touch(enrollment, now)
        if record:
            events.record(
                patient=enrollment.patient,
                kind="exercise.draft_saved",
                actor=actor,
                ref=draft,
                data=_data(ref, draft),
                occurred_at=now,
            )
    return DraftResult(draft, saved=True, created=created)


@dataclass(frozen=True)
class SubmitResult:
    entry: ExerciseEntry
    created: bool  # False: a repeated submission; the existing entry is returned


def submit(
    *,
    actor: Any,
    enrollment: Enrollment,
    ref: ExerciseRef,
    answers: Mapping[str, Any],
    token: uuid.UUID | None,
    revision_of: uuid.UUID | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> SubmitResult:
    """Submit validated answers (the current draft becomes the submission).

    Idempotent: the same token returns the same entry; for a non-repeatable exercise a
    second submission is made only when ``revision_of`` names the latest one (two tabs,
    a double click or the back button never make two)."""
    _require_own(actor, enrollment)
    _require_writable(enrollment)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(enrollment)
        owner = _token_owner(enrollment, token)
        if owner is not None and _same_exercise(owner, ref) and owner.is_submitted:
            return SubmitResult(owner, created=False)
        if owner is not None and not (owner.is_draft and _same_exercise(owner, ref)):
            token = None
        entries = _entries(enrollment, ref)
        if not ref.exercise.repeatable:
            latest = entries.submitted().order_by("-submitted_at", "-id").first()
            if latest is not None and latest.uuid != revision_of:
                return SubmitResult(latest, created=False)
        entry = entries.drafts().first() or _new_entry(
            enrollment, ref, submission_token=token or uuid.uuid4()
        )
        if token is not None:
            entry.submission_token = token
        entry.status = EntryStatus.SUBMITTED
        entry.answers = dict(answers)
        entry.submitted_at = now
        entry.save()
        _touch(
            enrollment,
            now,
            exercises_submitted=F("exercises_submitted") + 1,
            exercises_awaiting_feedback=F("exercises_awaiting_feedback") + 1,
        )
        events.record(
            patient=enrollment.patient,
            kind="exercise.submitted",
            actor=actor,
            ref=entry,
            data=_data(ref, entry, repeatable=ref.exercise.repeatable),
            occurred_at=now,
        )
        audit.record(
            actor=actor,
            action="exercises.entry.submitted",
            request=request,
            patient=enrollment.patient,
            target=entry,
            detail={"module": ref.slot, "exercise": ref.exercise_key},
        )
    return SubmitResult(entry, created=True)


def skip(
    *,
    actor: Any,
    enrollment: Enrollment,
    ref: ExerciseRef,
    reason_code: str,
    reason: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> ExerciseEntry:
    """The patient skips an optional exercise, with a reason (a draft is kept, so the
    patient can still come back to it)."""
    _require_own(actor, enrollment)
    _require_writable(enrollment)
    if not ref.exercise.optional:
        raise PermissionDenied("only optional exercises can be skipped")
    if reason_code not in SkipReason.values:
        raise ValidationError({"reason_code": _("Choose a reason.")})
    reason = _check_text(reason, "reason", required=reason_code == SkipReason.OTHER)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(enrollment)
        entry = _new_entry(
            enrollment,
            ref,
            status=EntryStatus.SKIPPED,
            submission_token=uuid.uuid4(),
            skipped_at=now,
            skip_reason_code=reason_code,
            skip_reason=reason,
        )
        entry.save()
        _touch(enrollment, now)
        events.record(
            patient=enrollment.patient,
            kind="exercise.skipped",
            actor=actor,
            ref=entry,
            data=_data(ref, entry, reason=reason_code),
            occurred_at=now,
        )
        audit.record(
            actor=actor,
            action="exercises.entry.skipped",
            request=request,
            patient=enrollment.patient,
            target=entry,
            detail={"module": ref.slot, "exercise": ref.exercise_key},
        )
    return entry


# --- therapist: feedback -----------------------------------------------------------------------
def fill_template(text: str, *, patient: Any, therapist: Any) -> str:
    """A feedback template with its placeholders ({name}, {therapist}) filled in."""
    first = (patient.user.full_name or "").split(" ")[0] if patient else ""
    return text.replace("{name}", first).replace("{therapist}", therapist.full_name or "")


def give_feedback(
    *,
    actor: Any,
    entry: ExerciseEntry,
    text: str,
    template_key: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Feedback:
    """A care-team therapist answers a submission. For a repeatable exercise (a diary)
    the answer covers every earlier submission of it still awaiting feedback. Sets the
    module's ``feedback_at`` (after-feedback pacing) through the programs service."""
    enrollment = entry.enrollment
    if not is_care_team(actor, enrollment.patient):
        raise PermissionDenied("not on the patient's care team")
    if entry.status != EntryStatus.SUBMITTED:
        raise PermissionDenied("feedback is given on submissions")
    text = _check_text(text, "text", required=True)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(enrollment)
        feedback = Feedback.objects.create(
            entry=entry, author=actor, text=text, template_key=template_key[:80]
        )
        answered = ExerciseEntry.objects.filter(pk=entry.pk)
        if entry.repeatable:
            answered = ExerciseEntry.objects.for_exercise(
                enrollment, entry.version, entry.module_key, entry.exercise_key
            ).filter(status=EntryStatus.SUBMITTED, submitted_at__lte=entry.submitted_at)
        count = answered.filter(feedback_at__isnull=True).update(feedback_at=now)
        entry.feedback_at = entry.feedback_at or now
        if count:
            Enrollment.objects.filter(pk=enrollment.pk).update(
                exercises_awaiting_feedback=Greatest(
                    F("exercises_awaiting_feedback") - count, Value(0)
                )
            )
        # A module no longer part of the program has nothing to open.
        with contextlib.suppress(ValidationError):
            program_services.record_module_feedback(
                actor=actor,
                enrollment=enrollment,
                module_key=slot_key(entry),
                request=request,
                now=now,
            )
        events.record(
            patient=enrollment.patient,
            kind="exercise.feedback_given",
            actor=actor,
            ref=entry,
            data=_entry_data(entry, feedback=str(feedback.uuid), answered=count),
            occurred_at=now,
        )
        audit.record(
            actor=actor,
            action="exercises.feedback.created",
            request=request,
            patient=enrollment.patient,
            target=entry,
            detail={"feedback": str(feedback.uuid), "answered": count},
        )
    return feedback


def mark_feedback_seen(*, actor: Any, entry: ExerciseEntry, now: datetime | None = None) -> int:
    """The patient has seen the feedback on their entry (read receipt for the team)."""
    _require_own(actor, entry.enrollment)
    now = now or timezone.now()
    with transaction.atomic():
        count = Feedback.objects.filter(entry=entry, seen_by_patient_at__isnull=True).update(
            seen_by_patient_at=now
        )
        if count:
            events.record(
                patient=entry.enrollment.patient,
                kind="exercise.feedback_seen",
                actor=actor,
                ref=entry,
                data=_entry_data(entry, count=count),
                occurred_at=now,
            )
    return count


# --- "this is hard for me" -------------------------------------------------------------------
def report_hard(
    *,
    actor: Any,
    enrollment: Enrollment,
    ref: ExerciseRef,
    distress: int | None = None,
    note: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> HardMoment:
    """The patient says they are stuck or distressed inside an exercise. It reaches the
    care team through the event ``exercise.hard_reported`` (the care app's signal)."""
    _require_own(actor, enrollment)
    if distress is not None and not (isinstance(distress, int) and 0 <= distress <= 10):
        raise ValidationError({"distress": _("Choose a number from 0 to 10.")})
    note = _check_text(note, "note")
    now = now or timezone.now()
    with transaction.atomic():
        _lock(enrollment)
        moment = HardMoment.objects.create(
            enrollment=enrollment,
            entry=_entries(enrollment, ref).drafts().first(),
            version=ref.version,
            module_key=ref.module_key,
            exercise_key=ref.exercise_key,
            distress=distress,
            note=note,
            answer_due_on=answer_due_on(now, tz=enrollment.patient.clinic.timezone),
        )
        _touch(enrollment, now)
        events.record(
            patient=enrollment.patient,
            kind="exercise.hard_reported",
            actor=actor,
            ref=moment,
            data=_data(ref, None, distress=distress, has_note=bool(note)),
            occurred_at=now,
        )
        audit.record(
            actor=actor,
            action="exercises.hard_moment.reported",
            request=request,
            patient=enrollment.patient,
            target=moment,
        )
    return moment


def mark_hard_seen(
    *,
    actor: Any,
    moment: HardMoment,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> HardMoment:
    """A care-team therapist has seen the moment; the patient sees when. Idempotent."""
    enrollment = moment.enrollment
    if not is_care_team(actor, enrollment.patient):
        raise PermissionDenied("not on the patient's care team")
    now = now or timezone.now()
    with transaction.atomic():
        changed = HardMoment.objects.filter(pk=moment.pk, seen_at__isnull=True).update(
            seen_at=now, seen_by=actor
        )
        if changed:
            moment.seen_at, moment.seen_by = now, actor
            events.record(
                patient=enrollment.patient,
                kind="exercise.hard_seen",
                actor=actor,
                ref=moment,
                data={"module": slot_key(moment), "exercise": moment.exercise_key},
                occurred_at=now,
            )
            audit.record(
                actor=actor,
                action="exercises.hard_moment.seen",
                request=request,
                patient=enrollment.patient,
                target=moment,
            )
    return moment
