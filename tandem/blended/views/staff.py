"""The therapist's side of blended care: the schedule, an enrollment's blended page (sessions,
plan, drift, load, homework), the "since last session" digest, scheduling and changing
sessions. Thin views: parse, authorise (404 for anyone else), call a service, render."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import Role
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.blended import forms, services
from tandem.blended.models import Appointment, AppointmentStatus, Homework
from tandem.blended.policies import appointment_for
from tandem.blended.services import describe
from tandem.blended.services.digest import mood_label
from tandem.blended.views.common import (
    deny_as_404,
    flash_errors,
    form_errors,
    language,
    render_local,
)
from tandem.programs.models import Enrollment, GuidanceMode
from tandem.programs.policies import enrollment_for, visible_enrollments
from tandem.programs.services import ONGOING

STAFF = (Role.THERAPIST, Role.SUPERVISOR)


def _enrollment(request: HttpRequest, enrollment: str, action: str) -> Enrollment:
    return enrollment_for(request, enrollment, action=action)


def _managed_enrollment(request: HttpRequest, enrollment: str, action: str) -> Enrollment:
    obj = _enrollment(request, enrollment, action)
    if not services.may_manage(request.user, obj.patient):
        raise Http404
    return obj


def _managed_appointment(request: HttpRequest, appointment: str, action: str) -> Appointment:
    obj = appointment_for(request, appointment, action=action)
    if not services.may_manage(request.user, obj.patient):
        raise Http404
    return obj


# --- the therapist's schedule -----------------------------------------------------------------


@require_role(Role.THERAPIST)
@require_GET
def schedule_view(request: HttpRequest) -> HttpResponse:
    """Coming sessions, sessions waiting for attendance or a signed note, agendas to
    prepare, and the blended patients with their drift: a fixed number of queries."""
    user = request.user
    now = timezone.now()
    upcoming = list(services.upcoming_for_therapist(user, now, days=28))
    recent = list(
        Appointment.objects.filter(
            therapist=user,
            starts_at__lt=now,
            starts_at__gte=now - timedelta(days=30),
            patient__in=visible_enrollments(user).values("patient_id"),
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient__user", "note")
        .order_by("-starts_at")
    )
    to_finish = [
        a
        for a in recent
        if a.status == AppointmentStatus.SCHEDULED
        or (a.status == AppointmentStatus.ATTENDED and not _signed(a))
    ]
    enrollments = list(
        visible_enrollments(user)
        .filter(guidance_mode=GuidanceMode.BLENDED, status__in=ONGOING)
        .select_related("patient__user", "version__program")
        .defer("version__snapshot")
        .order_by("patient__user__full_name", "pk")
    )
    drift = services.drift_for_enrollments(enrollments, now)
    without_agenda = {a.pk for a in services.upcoming_without_agenda(now, therapist=user)}
    audit.record(
        actor=user,
        action="blended.schedule.viewed",
        request=request,
        detail={"upcoming": len(upcoming), "blended": len(enrollments)},
    )
    return render_local(
        request,
        "blended/schedule.html",
        {
            "upcoming": upcoming,
            "to_finish": to_finish,
            "without_agenda": without_agenda,
            "rows": [(e, drift.get(e.pk, [])) for e in enrollments],
            "lang": language(request),
            "now": now,
        },
    )


def _signed(appointment: Appointment) -> bool:
    try:
        return appointment.note.is_signed
    except Appointment.note.RelatedObjectDoesNotExist:
        return False


# --- an enrollment's blended page --------------------------------------------------------------


@require_role(*STAFF)
@require_GET
def enrollment_view(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _enrollment(request, enrollment, "blended.enrollment.viewed")
    now = timezone.now()
    lang = language(request)
    appointments = list(
        Appointment.objects.filter(enrollment=obj).select_related("therapist", "note")
    )
    numbers = services.session_numbers(appointments)
    modules = describe.modules_of(obj)
    homework = [
        (h, describe.title(h, lang=lang, modules=modules))
        for h in Homework.objects.current().filter(enrollment=obj).order_by("-due_at", "-id")[:30]
    ]
    plan = services.plan_for(obj)
    limit = services.load_limit_for(obj)
    manage = services.may_manage(request.user, obj.patient)
    upcoming = [a for a in appointments if a.is_scheduled and a.ends_at > now]
    previous = next(
        (
            a
            for a in reversed(appointments)
            if a.status == AppointmentStatus.ATTENDED and a.starts_at < now
        ),
        None,
    )
    return render_local(
        request,
        "blended/enrollment.html",
        {
            "enrollment": obj,
            "patient": obj.patient,
            "program": obj.version.package.program,
            "appointments": [(a, numbers.get(a.pk)) for a in reversed(appointments)],
            "upcoming": upcoming[0] if upcoming else None,
            "homework": homework,
            "plan": plan,
            "plan_rows": _plan_rows(plan, modules, lang),
            "indicators": services.drift_indicators(obj, now),
            "load": services.check_load(obj, due_at=None, now=now),
            "limit": limit,
            "limit_form": forms.LoadLimitForm(
                initial={
                    "minutes_per_week": limit.minutes_per_week,
                    "assignments_per_week": limit.assignments_per_week,
                }
            )
            if manage
            else None,
            "online_minutes": services.online_minutes(
                obj.patient, previous.starts_at if previous else obj.started_at, now
            ),
            "manage": manage,
            "is_blended": obj.guidance_mode == GuidanceMode.BLENDED,
            "lang": lang,
            "now": now,
        },
    )


def _plan_rows(plan, modules, lang):  # type: ignore[no-untyped-def]
    if plan is None:
        return []
    rows = []
    for number in range(1, plan.planned_sessions + 1):
        keys = plan.modules_for(number)
        rows.append((number, [modules[k].title.text(lang) if k in modules else k for k in keys]))
    return rows


@require_role(*STAFF)
@require_GET
def digest_view(request: HttpRequest, enrollment: str) -> HttpResponse:
    """ "Since last session": what the patient did online since the last session, on one
    page, instead of a stream of interruptions."""
    obj = _enrollment(request, enrollment, "blended.digest.viewed")
    now = timezone.now()
    digest = services.build_digest(enrollment=obj, until=now, lang=language(request))
    return render_local(
        request,
        "blended/digest.html",
        {
            "enrollment": obj,
            "patient": obj.patient,
            "digest": digest,
            "mood_trend": mood_label(digest.mood) if digest.mood else "",
            "online_minutes": services.online_minutes(obj.patient, digest.since, now),
            "next": services.next_session(obj.patient, now),
            "lang": language(request),
        },
    )


# --- scheduling ---------------------------------------------------------------------------------


@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
@deny_as_404
def appointment_new(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _managed_enrollment(request, enrollment, "blended.appointment.form_viewed")
    zone = services.zone_of(request.user)
    form = forms.ScheduleForm(
        request.POST if request.method == "POST" else None,
        enrollment=obj,
        actor=request.user,
        zone=zone,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.schedule(
                actor=request.user,
                enrollment=obj,
                starts_at=form.starts_at(),
                kind=data["kind"],
                duration_minutes=data["duration"],
                therapist=data["therapist"] or request.user,
                location=data["location"],
                repeat=data["repeat"],
                occurrences=data["occurrences"],
                request=request,
            )
        except ValidationError as exc:
            form_errors(form, _on_when(exc))
        else:
            messages.success(
                request,
                ngettext("%(n)d session scheduled.", "%(n)d sessions scheduled.", len(made))
                % {"n": len(made)},
            )
            return redirect("blended_enrollment", enrollment=obj.uuid)
    return render_local(
        request,
        "blended/appointment_form.html",
        {"enrollment": obj, "patient": obj.patient, "form": form, "zone": str(zone)},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _on_when(exc: ValidationError) -> ValidationError:
    """Errors about the start belong to the date field of the form."""
    if hasattr(exc, "error_dict") and "starts_at" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors["day"] = errors.pop("starts_at")
        return ValidationError(errors)
    return exc


@require_role(*STAFF)
@require_GET
def appointment_view(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = appointment_for(request, appointment, action="blended.appointment.viewed")
    lang = language(request)
    modules = describe.modules_of(obj.enrollment)
    given = [
        (h, describe.title(h, lang=lang, modules=modules))
        for h in Homework.objects.current().filter(appointment=obj).order_by("due_at", "id")
    ]
    note = obj.note if _has_note(obj) else None
    return render_local(
        request,
        "blended/appointment.html",
        {
            "appointment": obj,
            "patient": obj.patient,
            "enrollment": obj.enrollment,
            "number": services.session_number(obj),
            "note": note,
            "given": given,
            "manage": services.may_manage(request.user, obj.patient),
            "started": obj.starts_at <= timezone.now(),
            "lang": lang,
        },
    )


def _has_note(appointment: Appointment) -> bool:
    try:
        appointment.note  # noqa: B018 - the reverse one-to-one may be missing
    except Appointment.note.RelatedObjectDoesNotExist:
        return False
    return True


@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
@deny_as_404
def appointment_reschedule(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = _managed_appointment(request, appointment, "blended.appointment.form_viewed")
    zone = services.zone_of(request.user)
    local = obj.starts_at.astimezone(zone)
    form = forms.RescheduleForm(
        request.POST if request.method == "POST" else None,
        zone=zone,
        initial={
            "day": local.date(),
            "at": local.time().replace(second=0, microsecond=0),
            "duration": obj.duration_minutes,
            "kind": obj.kind,
            "location": obj.location,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reschedule(
                actor=request.user,
                appointment=obj,
                starts_at=form.starts_at(),
                duration_minutes=data["duration"],
                kind=data["kind"],
                location=data["location"],
                request=request,
            )
        except ValidationError as exc:
            form_errors(form, _on_when(exc))
        else:
            messages.success(request, _("The session was moved."))
            return redirect("blended_appointment", appointment=obj.uuid)
    return render_local(
        request,
        "blended/reschedule.html",
        {"appointment": obj, "patient": obj.patient, "form": form, "zone": str(zone)},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
@deny_as_404
def appointment_cancel(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = _managed_appointment(request, appointment, "blended.appointment.form_viewed")
    form = forms.CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel(
                actor=request.user,
                appointment=obj,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("The session was cancelled."))
            return redirect("blended_enrollment", enrollment=obj.enrollment.uuid)
    return render_local(
        request,
        "blended/cancel.html",
        {"appointment": obj, "patient": obj.patient, "form": form},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def appointment_attendance(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = _managed_appointment(request, appointment, "blended.appointment.attendance")
    attended = request.POST.get("attended") != "0"
    try:
        services.record_attendance(
            actor=request.user, appointment=obj, attended=attended, request=request
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(
            request,
            _("Marked as attended.") if attended else _("Marked as not attended."),
        )
    return redirect("blended_appointment", appointment=obj.uuid)
