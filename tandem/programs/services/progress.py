"""The patient's own changes: the pace agreement, opening and reading modules, marking
them complete. Counters on the enrollment are kept current in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import Patient
from tandem.audit import services as audit
from tandem.core.models import Event
from tandem.programs.models import Enrollment, ModuleProgress
from tandem.programs.services.common import (
    lock,
    parse_pace,
    record_event,
    recount,
    require_own,
    save,
    touch,
)
from tandem.programs.services.reading import (
    ONGOING,
    ModuleView,
    module_view,
    pace_bounds,
    slots,
)


def agree_pace(
    *,
    actor: Any,
    enrollment: Enrollment,
    per_week: Decimal | str | float,
    optional_order: Sequence[str] | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Enrollment:
    """The patient chooses a weekly pace within the bounds and the order of optional
    modules. The workspace measures adherence against this agreement."""
    require_own(actor, enrollment)
    now = now or timezone.now()
    with transaction.atomic():
        lock(enrollment)
        if enrollment.status not in ONGOING:
            raise PermissionDenied("enrollment has ended")
        pace = parse_pace(per_week, "per_week")
        low, high = pace_bounds(enrollment)
        if not low <= pace <= high:
            raise ValidationError(
                {
                    "per_week": _("Choose a pace between %(low)s and %(high)s modules a week.")
                    % {"low": _number(low), "high": _number(high)}
                }
            )
        order = list(optional_order or [])
        optional = {s.key for s in slots(enrollment) if s.optional}
        if len(set(order)) != len(order) or not set(order) <= optional:
            raise ValidationError(
                {"optional_order": _("Put each optional module in the order once.")}
            )
        enrollment.pace_per_week = pace
        enrollment.optional_order = order
        enrollment.pace_agreed_at = now
        save(enrollment, "pace_per_week", "optional_order", "pace_agreed_at")
        audit.record(
            actor=actor,
            action="programs.pace.agreed",
            request=request,
            patient=enrollment.patient,
            target=enrollment,
            detail={"per_week": str(pace)},
        )
        record_event(
            enrollment,
            "enrollment.pace_agreed",
            actor,
            now,
            per_week=str(pace),
            optional_order=order,
        )
    return enrollment


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _writable(enrollment: Enrollment) -> bool:
    return enrollment.status in ONGOING


def _open(enrollment: Enrollment, actor: Any, view: ModuleView, now: datetime) -> ModuleProgress:
    progress = view.progress
    if progress is None:
        progress, _created = ModuleProgress.objects.get_or_create(
            enrollment=enrollment, version=view.slot.version, module_key=view.module.id
        )
    if progress.opened_at is None:
        progress.opened_at = now
        progress.save(update_fields=["opened_at", "updated_at"])
        record_event(enrollment, "module.opened", actor, now, module=view.key)
    return progress


def open_module(
    *, actor: Any, enrollment: Enrollment, module_key: str, now: datetime | None = None
) -> ModuleView:
    """The patient opens a module: recorded once (``module.opened``). Revisiting an
    ended enrollment's modules reads without recording."""
    require_own(actor, enrollment)
    now = now or timezone.now()
    if not _writable(enrollment):
        return module_view(enrollment=enrollment, module_key=module_key, now=now)
    with transaction.atomic():
        lock(enrollment)
        view = module_view(enrollment=enrollment, module_key=module_key, now=now)
        progress = _open(enrollment, actor, view, now)
        touch(enrollment, now)
        save(enrollment, "last_activity_at")
    return _with(view, progress)


def view_page(
    *,
    actor: Any,
    enrollment: Enrollment,
    module_key: str,
    page_id: str,
    now: datetime | None = None,
) -> ModuleView:
    """The patient reads a page: last page and pages viewed are kept; the event
    ``module.page_viewed`` is written at most once per page per day (patient's time).
    Pages of an ended enrollment can be reread; nothing is recorded then."""
    require_own(actor, enrollment)
    now = now or timezone.now()
    if not _writable(enrollment):
        view = module_view(enrollment=enrollment, module_key=module_key, now=now)
        if view.module.page(page_id) is None:
            raise PermissionDenied("no such page")
        return view
    with transaction.atomic():
        lock(enrollment)
        view = module_view(enrollment=enrollment, module_key=module_key, now=now)
        if view.module.page(page_id) is None:
            raise PermissionDenied("no such page")
        progress = _open(enrollment, actor, view, now)
        progress.last_page = page_id
        if page_id not in progress.pages_viewed:
            progress.pages_viewed = [*progress.pages_viewed, page_id]
        progress.save(update_fields=["last_page", "pages_viewed", "updated_at"])
        start = _day_start(enrollment.patient, now)
        seen_today = Event.objects.filter(
            patient=enrollment.patient,
            kind="module.page_viewed",
            ref_uuid=enrollment.uuid,
            occurred_at__gte=start,
            occurred_at__lt=start + timedelta(days=1),
            data__module=module_key,
            data__page=page_id,
        ).exists()
        if not seen_today:
            record_event(
                enrollment, "module.page_viewed", actor, now, module=module_key, page=page_id
            )
        touch(enrollment, now)
        save(enrollment, "last_activity_at")
    return _with(view, progress)


def _day_start(patient: Patient, now: datetime) -> datetime:
    try:
        zone = ZoneInfo(patient.user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_current_timezone()
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def complete_module(
    *,
    actor: Any,
    enrollment: Enrollment,
    module_key: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> tuple[ModuleView, bool]:
    """The patient marks a module complete. Idempotent: completing it again changes
    nothing and returns ``changed=False``."""
    require_own(actor, enrollment)
    now = now or timezone.now()
    with transaction.atomic():
        lock(enrollment)
        if not _writable(enrollment):
            raise PermissionDenied("enrollment has ended")
        view = module_view(enrollment=enrollment, module_key=module_key, now=now)
        progress = _open(enrollment, actor, view, now)
        if progress.completed_at is not None:
            return _with(view, progress), False
        progress.completed_at = now
        progress.save(update_fields=["completed_at", "updated_at"])
        recount(enrollment)
        touch(enrollment, now)
        save(enrollment, "modules_completed", "last_activity_at")
        audit.record(
            actor=actor,
            action="programs.module.completed",
            request=request,
            patient=enrollment.patient,
            target=enrollment,
            detail={"module": module_key},
        )
        record_event(enrollment, "module.completed", actor, now, module=module_key)
    return _with(view, progress), True


def _with(view: ModuleView, progress: ModuleProgress) -> ModuleView:
    return ModuleView(view.slot, view.state, progress, view.number, view.hidden)
