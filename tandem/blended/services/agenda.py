"""A session's agenda: prepared from the digest of the online work since the last session,
plus the therapist's items and what the patient wants to talk about. During the session
the therapist ticks items off in the work view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from tandem.accounts.models import Role
from tandem.audit import services as audit
from tandem.blended.models import (
    AgendaItem,
    AgendaSource,
    Appointment,
    AppointmentQuerySet,
    AppointmentStatus,
    TreatmentPlan,
)
from tandem.blended.services import digest as digests
from tandem.blended.services.appointments import session_number
from tandem.blended.services.common import (
    clinic_settings,
    is_own_patient,
    may_manage,
    now_or,
    record_event,
    zone_of,
)
from tandem.blended.services.describe import modules_of

MAX_TEXT = 500
MAX_PATIENT_ITEMS = 10


@dataclass(frozen=True)
class AutoItem:
    text: str
    ref_kind: str
    ref_uuid: Any = None
    ref_key: str = ""


def _date(value: datetime) -> str:
    """A date in the current time zone (the preparing therapist's)."""
    return formats.date_format(timezone.localtime(value), "j M")


def auto_items(digest: digests.Digest, *, plan_modules: list[str], lang: str) -> list[AutoItem]:
    """The agenda the online work suggests, most urgent first."""
    items: list[AutoItem] = []
    modules = modules_of(digest.enrollment) if plan_modules else {}
    for alert in digest.alerts_open:
        items.append(
            AutoItem(
                _("Open safety alert: %(reason)s") % {"reason": alert.reason_label},
                "alert",
                alert.uuid,
            )
        )
    if digest.homework:
        done = ", ".join(h.title for h in digest.homework_done) or "—"
        not_done = ", ".join(h.title for h in digest.homework_not_done) or "—"
        items.append(
            AutoItem(
                _("Review the homework. Done: %(done)s. Not done: %(not_done)s.")
                % {"done": done, "not_done": not_done},
                "homework",
            )
        )
    for exercise in digest.exercises:
        items.append(
            AutoItem(
                _("Exercise “%(title)s” (%(date)s)")
                % {"title": exercise.title, "date": _date(exercise.at)},
                "exercise",
                exercise.entry_uuid,
            )
        )
    if digest.modules:
        items.append(
            AutoItem(
                ngettext(
                    "Module completed: %(list)s", "Modules completed: %(list)s", len(digest.modules)
                )
                % {"list": ", ".join(m.title for m in digest.modules)},
                "modules",
            )
        )
    for score in digest.scores:
        change = {
            "improved": _("reliable improvement"),
            "deteriorated": _("reliable deterioration"),
        }.get(score.change, "")
        text = (
            _("%(name)s: %(first)s → %(last)s")
            % {"name": score.name, "first": _num(score.first), "last": _num(score.last)}
            if score.count > 1
            else _("%(name)s: %(last)s") % {"name": score.name, "last": _num(score.last)}
        )
        items.append(AutoItem(f"{text} ({change})" if change else text, "score", None, score.code))
    if digest.mood is not None:
        items.append(
            AutoItem(
                ngettext(
                    "%(n)d mood check-in, %(first)d → %(last)d (average %(avg)s, %(trend)s)",
                    "%(n)d mood check-ins, %(first)d → %(last)d (average %(avg)s, %(trend)s)",
                    digest.mood.count,
                )
                % {
                    "n": digest.mood.count,
                    "first": digest.mood.first,
                    "last": digest.mood.last,
                    "avg": formats.number_format(digest.mood.average, 1),
                    "trend": digests.mood_label(digest.mood),
                },
                "mood",
            )
        )
    if digest.messages and digest.messages.unanswered_since is not None:
        items.append(
            AutoItem(
                _("A message from the patient has waited for a reply since %(date)s.")
                % {"date": _date(digest.messages.unanswered_since)},
                "messages",
            )
        )
    if plan_modules:
        items.append(
            AutoItem(
                _("The plan for this session: %(list)s")
                % {
                    "list": ", ".join(
                        modules[k].title.text(lang) if k in modules else k for k in plan_modules
                    )
                },
                "plan",
            )
        )
    return items


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return formats.number_format(value, 0 if float(value).is_integer() else 1)


CLOSING = "new_homework"


def closing_item() -> AutoItem:
    return AutoItem(_("Agree on homework for the time until the next session."), CLOSING)


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Agenda:
    appointment: Appointment
    digest: digests.Digest
    items: list[AgendaItem]
    number: int | None
    plan_modules: list[str]
    suggested: list[AutoItem]

    @property
    def prepared(self) -> bool:
        return self.appointment.agenda_prepared_at is not None

    @property
    def patient_items(self) -> list[AgendaItem]:
        return [i for i in self.items if i.source == AgendaSource.PATIENT]


def plan_modules_for(appointment: Appointment, number: int | None) -> list[str]:
    if number is None:
        return []
    plan = TreatmentPlan.objects.filter(enrollment_id=appointment.enrollment_id).first()
    return plan.modules_for(number) if plan else []


def agenda_for(
    appointment: Appointment, *, lang: str = "en", now: datetime | None = None
) -> Agenda:
    """The agenda of ``appointment`` with the digest since the session before it (up to
    now for a coming session, up to its start for a past one)."""
    now = now_or(now)
    until = min(now, appointment.starts_at)
    previous = digests.last_attended(appointment.enrollment, appointment.starts_at)
    modules = modules_of(appointment.enrollment)
    digest = digests.build(
        enrollment=appointment.enrollment,
        until=until,
        previous=previous,
        find_previous=False,
        lang=lang,
        modules=modules,
    )
    number = session_number(appointment)
    plan_modules = plan_modules_for(appointment, number)
    items = list(appointment.agenda_items.select_related("author"))
    return Agenda(
        appointment,
        digest,
        items,
        number,
        plan_modules,
        [*auto_items(digest, plan_modules=plan_modules, lang=lang), closing_item()],
    )


# --- changing ---------------------------------------------------------------------------------


def _require_staff(actor: Any, appointment: Appointment) -> None:
    if not may_manage(actor, appointment.patient):
        raise PermissionDenied("not on the patient's care team")
    if appointment.is_cancelled:
        raise ValidationError(_("This session was cancelled."))


def _next_order(appointment: Appointment) -> int:
    top = appointment.agenda_items.aggregate(top=Max("order"))["top"]
    return (top or 0) + 1


def prepare(
    *,
    actor: Any,
    appointment: Appointment,
    lang: str = "en",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> list[AgendaItem]:
    """Turn the suggested items into the session's agenda (again: refreshes suggestions
    that are not ticked yet; the therapist's and the patient's items stay)."""
    _require_staff(actor, appointment)
    now = now_or(now)
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("enrollment__version", "patient")
            .get(pk=appointment.pk)
        )
        with override(lang), timezone.override(zone_of(actor)):
            agenda = agenda_for(appointment, lang=lang, now=now)
        kept = [i for i in agenda.items if i.source != AgendaSource.AUTO or i.done]
        AgendaItem.objects.filter(
            appointment=appointment, source=AgendaSource.AUTO, done=False
        ).delete()
        done_refs = {
            (i.ref_kind, i.ref_uuid, i.ref_key) for i in kept if i.source == AgendaSource.AUTO
        }
        fresh = [
            s for s in agenda.suggested if (s.ref_kind, s.ref_uuid, s.ref_key) not in done_refs
        ]
        urgent = [s for s in fresh if s.ref_kind in ("alert", "homework")]
        rest = [s for s in fresh if s.ref_kind not in ("alert", "homework", CLOSING)]
        closing = [s for s in fresh if s.ref_kind == CLOSING]
        patient_items = [i for i in kept if i.source == AgendaSource.PATIENT]
        other_kept = [i for i in kept if i.source != AgendaSource.PATIENT]
        order = 0
        result: list[AgendaItem] = []

        def place(item: AgendaItem) -> None:
            nonlocal order
            order += 1
            item.order = order
            result.append(item)

        for suggestion in urgent:
            place(_auto(appointment, suggestion))
        for item in patient_items:
            place(item)
        for suggestion in rest:
            place(_auto(appointment, suggestion))
        for item in other_kept:
            place(item)
        for suggestion in closing:
            place(_auto(appointment, suggestion))
        for item in result:
            if item.pk is None:
                item.save()
            else:
                AgendaItem.objects.filter(pk=item.pk).update(order=item.order)
        appointment.agenda_prepared_at = now
        appointment.save(update_fields=["agenda_prepared_at", "updated_at"])
        audit.record(
            actor=actor,
            action="blended.agenda.prepared",
            request=request,
            patient=appointment.patient,
            target=appointment,
            detail={"items": len(result)},
        )
        record_event(
            patient=appointment.patient,
            kind="agenda.prepared",
            actor=actor,
            ref=appointment,
            now=now,
            items=len(result),
        )
    return result


def _auto(appointment: Appointment, suggestion: AutoItem) -> AgendaItem:
    return AgendaItem(
        appointment=appointment,
        source=AgendaSource.AUTO,
        text=suggestion.text,
        ref_kind=suggestion.ref_kind,
        ref_uuid=suggestion.ref_uuid,
        ref_key=suggestion.ref_key,
    )


def add_item(
    *,
    actor: Any,
    appointment: Appointment,
    text: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> AgendaItem:
    """The therapist adds a point, or the patient adds what they want to talk about
    (before the session starts, up to ten)."""
    now = now_or(now)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write what you want to talk about.")})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": _("Keep it under %(max)d characters.") % {"max": MAX_TEXT}})
    if is_own_patient(actor, appointment.patient):
        source = AgendaSource.PATIENT
        if not appointment.is_scheduled or appointment.starts_at <= now:
            raise ValidationError(_("This session has started or is over."))
        count = appointment.agenda_items.filter(source=AgendaSource.PATIENT).count()
        if count >= MAX_PATIENT_ITEMS:
            raise ValidationError(
                _("You can add up to %(max)d topics for one session.") % {"max": MAX_PATIENT_ITEMS}
            )
    elif getattr(actor, "role", None) == Role.THERAPIST:
        _require_staff(actor, appointment)
        source = AgendaSource.THERAPIST
    else:
        raise PermissionDenied("may not add agenda items")
    with transaction.atomic():
        item = AgendaItem.objects.create(
            appointment=appointment,
            source=source,
            text=text,
            order=_next_order(appointment),
            author=actor,
        )
        audit.record(
            actor=actor,
            action="blended.agenda.item_added",
            request=request,
            patient=appointment.patient,
            target=item,
            detail={"source": source},
        )
        record_event(
            patient=appointment.patient,
            kind="agenda.item_added",
            actor=actor,
            ref=item,
            now=now,
            source=source,
            appointment=str(appointment.uuid),
        )
    return item


def set_done(
    *,
    actor: Any,
    item: AgendaItem,
    done: bool,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> AgendaItem:
    _require_staff(actor, item.appointment)
    now = now_or(now)
    if item.done != done:
        item.done = done
        item.done_at = now if done else None
        item.save(update_fields=["done", "done_at", "updated_at"])
        audit.record(
            actor=actor,
            action="blended.agenda.item_done" if done else "blended.agenda.item_undone",
            request=request,
            patient=item.appointment.patient,
            target=item,
        )
    return item


def move(*, actor: Any, item: AgendaItem, up: bool, request: HttpRequest | None = None) -> None:
    """Swap the item with its neighbour above (or below)."""
    _require_staff(actor, item.appointment)
    with transaction.atomic():
        items = list(
            AgendaItem.objects.select_for_update(of=("self",))
            .filter(appointment_id=item.appointment_id)
            .order_by("order", "id")
        )
        index = next((n for n, i in enumerate(items) if i.pk == item.pk), None)
        if index is None:
            return
        other = index - 1 if up else index + 1
        if not 0 <= other < len(items):
            return
        items[index], items[other] = items[other], items[index]
        for number, row in enumerate(items, start=1):
            if row.order != number:
                AgendaItem.objects.filter(pk=row.pk).update(order=number)


def remove_item(
    *, actor: Any, item: AgendaItem, request: HttpRequest | None = None, now: datetime | None = None
) -> None:
    """The care team removes any item; the patient removes their own, before the session."""
    appointment = item.appointment
    now = now_or(now)
    if is_own_patient(actor, appointment.patient):
        if item.source != AgendaSource.PATIENT or item.author_id != actor.pk:
            raise PermissionDenied("not the patient's own item")
        if not appointment.is_scheduled or appointment.starts_at <= now:
            raise ValidationError(_("This session has started or is over."))
    else:
        _require_staff(actor, appointment)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="blended.agenda.item_removed",
            request=request,
            patient=appointment.patient,
            target=item,
            detail={"source": item.source},
        )
        item.delete()


# --- for the care app -------------------------------------------------------------------------


def upcoming_without_agenda(
    now: datetime | None = None,
    *,
    within: timedelta | None = None,
    therapist: Any = None,
) -> AppointmentQuerySet:
    """Scheduled sessions starting within ``within`` (the clinic's lead time, 48 hours by
    default) whose agenda has not been prepared: the care app's
    ``session_without_agenda`` signal. Not scoped: callers scope by therapist or clinic."""
    now = now_or(now)
    window = within or timedelta(hours=clinic_settings(None).agenda_lead_hours)
    rows = Appointment.objects.filter(
        status=AppointmentStatus.SCHEDULED,
        agenda_prepared_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + window,
    ).select_related("patient__user", "therapist", "enrollment")
    if therapist is not None:
        rows = rows.filter(therapist=therapist)
    return rows.order_by("starts_at", "id")
