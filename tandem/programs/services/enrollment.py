"""The therapist's changes to an enrollment (care team only): enroll, status, tailoring,
unlocking, feedback on a module, moving to a newer version."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import Patient
from tandem.audit import services as audit
from tandem.core.models import Event
from tandem.programs import content
from tandem.programs.models import (
    Enrollment,
    GuidanceMode,
    ModuleProgress,
    PacingPolicy,
    ProgramVersion,
)
from tandem.programs.services.common import (
    lock,
    parse_pace,
    record_event,
    recount,
    require_care_team,
    save,
    slot_for,
)
from tandem.programs.services.reading import (
    INTERVAL_DAYS,
    ONGOING,
    PACE_HIGHEST,
    PACE_LOWEST,
    TRANSITIONS,
    Status,
    slots,
)


def enroll(
    *,
    actor: Any,
    patient: Patient,
    version: ProgramVersion,
    guidance_mode: str,
    pacing_policy: str,
    interval_days: int = 7,
    pace_min_per_week: Decimal | str | float = Decimal("0.5"),
    pace_max_per_week: Decimal | str | float = Decimal("2"),
    started_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Enrollment:
    """Enroll a patient in a program's current version. A patient may have several
    enrollments, but only one ongoing (active or paused) per program."""
    require_care_team(actor, patient)
    errors: dict[str, str] = {}
    if guidance_mode not in GuidanceMode.values:
        errors["guidance_mode"] = _("Choose a guidance mode.")
    if pacing_policy not in PacingPolicy.values:
        errors["pacing_policy"] = _("Choose a pacing policy.")
    if not isinstance(interval_days, int) or not (
        INTERVAL_DAYS[0] <= interval_days <= INTERVAL_DAYS[1]
    ):
        errors["interval_days"] = _("Choose between %(low)d and %(high)d days.") % {
            "low": INTERVAL_DAYS[0],
            "high": INTERVAL_DAYS[1],
        }
    low = parse_pace(pace_min_per_week, "pace_min_per_week")
    high = parse_pace(pace_max_per_week, "pace_max_per_week")
    if not (PACE_LOWEST <= low <= high <= PACE_HIGHEST):
        errors["pace_max_per_week"] = _(
            "The slowest pace must not exceed the fastest, both between %(low)s and %(high)s "
            "modules a week."
        ) % {"low": PACE_LOWEST, "high": PACE_HIGHEST}
    if not _is_current(version):
        errors["version"] = _("Enroll in the current version of a program.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        Patient.objects.select_for_update(of=("self",)).filter(pk=patient.pk).first()
        if Enrollment.objects.filter(
            patient=patient, version__program_id=version.program_id, status__in=ONGOING
        ).exists():
            raise ValidationError(
                {"version": _("The patient is already enrolled in this program.")}
            )
        enrollment = Enrollment.objects.create(
            patient=patient,
            version=version,
            guidance_mode=guidance_mode,
            pacing_policy=pacing_policy,
            interval_days=interval_days,
            started_at=started_at or now,
            enrolled_by=actor,
            pace_min_per_week=low,
            pace_max_per_week=high,
            pace_per_week=min(max(Decimal(1), low), high),
        )
        audit.record(
            actor=actor,
            action="programs.enrollment.created",
            request=request,
            patient=patient,
            target=enrollment,
            detail={"program": version.program.code, "version": version.version},
        )
        record_event(
            enrollment,
            "enrollment.created",
            actor,
            started_at,
            guidance_mode=guidance_mode,
            pacing_policy=pacing_policy,
            interval_days=interval_days,
        )
    return enrollment


def _is_current(version: ProgramVersion) -> bool:
    """Whether the version is its program's current one now (the object may be stale)."""
    return ProgramVersion.objects.filter(pk=version.pk, is_current=True).exists()


def set_status(
    *,
    actor: Any,
    enrollment: Enrollment,
    status: str,
    reason: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Enrollment:
    """Pause, resume, complete or discontinue (with a reason). Setting the current status
    again changes nothing. Resuming moves the pacing clock on by the time paused, so a
    pause freezes unlocks instead of releasing everything that fell due meanwhile."""
    require_care_team(actor, enrollment.patient)
    reason = (reason or "").strip()
    now = now or timezone.now()
    with transaction.atomic():
        lock(enrollment)
        old = enrollment.status
        if status == old:
            return enrollment
        if status not in TRANSITIONS.get(old, frozenset()):
            raise ValidationError(
                {
                    "status": _("An enrollment that is %(old)s cannot become %(new)s.")
                    % {
                        "old": Status(old).label.lower(),
                        "new": Status(status).label.lower() if status in Status.values else status,
                    }
                }
            )
        if status == Status.DISCONTINUED and not reason:
            raise ValidationError({"reason": _("Say why the program is discontinued.")})
        fields = ["status", "status_reason"]
        if old == Status.PAUSED and status == Status.ACTIVE:
            paused_at = _paused_at(enrollment)
            if paused_at is not None and paused_at < now:
                enrollment.started_at += now - paused_at
                fields.append("started_at")
        if status in (Status.COMPLETED, Status.DISCONTINUED):
            enrollment.ended_at = now
            fields.append("ended_at")
        enrollment.status = status
        enrollment.status_reason = reason
        save(enrollment, *fields)
        audit.record(
            actor=actor,
            action="programs.enrollment.status_changed",
            request=request,
            patient=enrollment.patient,
            target=enrollment,
            detail={"from": old, "to": status},
        )
        # The reason is clinical free text: kept encrypted on the enrollment, never in events.
        record_event(
            enrollment, "enrollment.status_changed", actor, now, to=status, **{"from": old}
        )
    return enrollment


def _paused_at(enrollment: Enrollment) -> datetime | None:
    event = (
        Event.objects.filter(
            patient=enrollment.patient,
            kind="enrollment.status_changed",
            ref_uuid=enrollment.uuid,
            data__to=Status.PAUSED,
        )
        .order_by("-occurred_at", "-id")
        .first()
    )
    return event.occurred_at if event else None


def _tailor(
    enrollment: Enrollment,
    actor: Any,
    change: str,
    key: str,
    request: HttpRequest | None,
    *fields: str,
) -> None:
    save(enrollment, *fields)
    audit.record(
        actor=actor,
        action=f"programs.enrollment.module_{change}",
        request=request,
        patient=enrollment.patient,
        target=enrollment,
        detail={"module": key},
    )
    record_event(enrollment, "enrollment.tailored", actor, change=change, module=key)


def hide_module(
    *, actor: Any, enrollment: Enrollment, module_key: str, request: HttpRequest | None = None
) -> Enrollment:
    """Leave a module out of this patient's program (progress in it is kept)."""
    require_care_team(actor, enrollment.patient)
    with transaction.atomic():
        lock(enrollment)
        slot_for(enrollment, module_key, include_hidden=True)
        if module_key not in enrollment.hidden_modules:
            enrollment.hidden_modules = [*enrollment.hidden_modules, module_key]
            _tailor(enrollment, actor, "hidden", module_key, request, "hidden_modules")
    return enrollment


def show_module(
    *, actor: Any, enrollment: Enrollment, module_key: str, request: HttpRequest | None = None
) -> Enrollment:
    require_care_team(actor, enrollment.patient)
    with transaction.atomic():
        lock(enrollment)
        if module_key in enrollment.hidden_modules:
            enrollment.hidden_modules = [k for k in enrollment.hidden_modules if k != module_key]
            _tailor(enrollment, actor, "shown", module_key, request, "hidden_modules")
    return enrollment


def addable_modules(enrollment: Enrollment) -> list[tuple[ProgramVersion, content.Module]]:
    """Modules of other programs' current versions not yet in this enrollment."""
    present = {s.key for s in slots(enrollment, include_hidden=True)}
    out = []
    for version in (
        ProgramVersion.objects.filter(is_current=True)
        .exclude(program_id=enrollment.version.program_id)
        .select_related("program")
    ):
        for module in version.package.program.modules:
            if f"{version.program.code}.{module.id}" not in present:
                out.append((version, module))
    return out


def add_module(
    *,
    actor: Any,
    enrollment: Enrollment,
    version: ProgramVersion,
    module_id: str,
    request: HttpRequest | None = None,
) -> Enrollment:
    """Add a module from another program's current version at the end of the program."""
    require_care_team(actor, enrollment.patient)
    if version.program_id == enrollment.version.program_id or not _is_current(version):
        raise ValidationError({"module": _("Choose a module of another program.")})
    if version.package.program.module(module_id) is None:
        raise ValidationError({"module": _("This module is not part of that program.")})
    key = f"{version.program.code}.{module_id}"
    with transaction.atomic():
        lock(enrollment)
        if any(s.key == key for s in slots(enrollment, include_hidden=True)):
            if key in enrollment.hidden_modules:
                enrollment.hidden_modules = [k for k in enrollment.hidden_modules if k != key]
                _tailor(enrollment, actor, "shown", key, request, "hidden_modules")
            return enrollment
        enrollment.extra_modules = [
            *enrollment.extra_modules,
            {"version": str(version.uuid), "module": module_id},
        ]
        _tailor(enrollment, actor, "added", key, request, "extra_modules")
    return enrollment


def unlock_module(
    *,
    actor: Any,
    enrollment: Enrollment,
    module_key: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Enrollment:
    """Open a module by hand, whatever the pacing policy (also while paused)."""
    require_care_team(actor, enrollment.patient)
    with transaction.atomic():
        lock(enrollment)
        slot_for(enrollment, module_key)
        if module_key not in enrollment.unlocked_modules:
            enrollment.unlocked_modules = [*enrollment.unlocked_modules, module_key]
            save(enrollment, "unlocked_modules")
            audit.record(
                actor=actor,
                action="programs.enrollment.module_unlocked",
                request=request,
                patient=enrollment.patient,
                target=enrollment,
                detail={"module": module_key},
            )
            record_event(enrollment, "module.unlocked", actor, now, module=module_key)
    return enrollment


def record_module_feedback(
    *,
    actor: Any,
    enrollment: Enrollment,
    module_key: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> ModuleProgress:
    """The therapist has given feedback on a module (opens the next one under
    ``after_feedback`` pacing). Idempotent; the exercises app calls it when feedback on
    one of the module's exercises is sent."""
    require_care_team(actor, enrollment.patient)
    now = now or timezone.now()
    with transaction.atomic():
        lock(enrollment)
        slot = slot_for(enrollment, module_key, include_hidden=True)
        progress, _created = ModuleProgress.objects.get_or_create(
            enrollment=enrollment, version=slot.version, module_key=slot.module.id
        )
        if progress.feedback_at is None:
            progress.feedback_at = now
            progress.save(update_fields=["feedback_at", "updated_at"])
            audit.record(
                actor=actor,
                action="programs.module.feedback_recorded",
                request=request,
                patient=enrollment.patient,
                target=enrollment,
                detail={"module": module_key},
            )
            record_event(enrollment, "module.feedback_recorded", actor, now, module=module_key)
    return progress


def move_to_version(
    *,
    actor: Any,
    enrollment: Enrollment,
    version: ProgramVersion,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Enrollment:
    """Move an enrollment to its program's current version, explicitly. Progress in
    modules that still exist is carried over; the old rows stay, readable, on the old
    version, as do the answers that refer to them."""
    require_care_team(actor, enrollment.patient)
    if version.program_id != enrollment.version.program_id or not _is_current(version):
        raise ValidationError({"version": _("Choose the current version of the same program.")})
    now = now or timezone.now()
    with transaction.atomic():
        lock(enrollment)
        old = enrollment.version
        if old.pk == version.pk:
            return enrollment
        new_modules = {m.id: m for m in version.package.program.modules}
        own = {m.id for m in old.package.program.modules}
        for row in ModuleProgress.objects.filter(enrollment=enrollment, version=old):
            module = new_modules.get(row.module_key)
            if module is None:
                continue
            pages = {p.id for p in module.pages}
            ModuleProgress.objects.get_or_create(
                enrollment=enrollment,
                version=version,
                module_key=row.module_key,
                defaults={
                    "opened_at": row.opened_at,
                    "completed_at": row.completed_at,
                    "feedback_at": row.feedback_at,
                    "last_page": row.last_page if row.last_page in pages else "",
                    "pages_viewed": [p for p in row.pages_viewed if p in pages],
                },
            )

        def keep(keys: list[str]) -> list[str]:
            return [k for k in keys if k not in own or k in new_modules]

        enrollment.version = version
        enrollment.hidden_modules = keep(enrollment.hidden_modules)
        enrollment.unlocked_modules = keep(enrollment.unlocked_modules)
        enrollment.optional_order = keep(enrollment.optional_order)
        recount(enrollment)
        save(
            enrollment,
            "version",
            "hidden_modules",
            "unlocked_modules",
            "optional_order",
            "modules_completed",
        )
        audit.record(
            actor=actor,
            action="programs.enrollment.version_changed",
            request=request,
            patient=enrollment.patient,
            target=enrollment,
            detail={"from": old.version, "to": version.version},
        )
        record_event(
            enrollment,
            "enrollment.version_changed",
            actor,
            now,
            **{"from": old.version, "to": version.version},
        )
    return enrollment
