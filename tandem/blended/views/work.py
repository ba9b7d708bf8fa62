"""The treatment plan, the weekly load limit and homework (given, talked through, taken
back). Thin views: parse, authorise (404 for anyone else), call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.models import Role
from tandem.accounts.policies import _as_uuid, require_role
from tandem.blended import forms, services
from tandem.blended.models import Appointment, Homework, HomeworkKind
from tandem.blended.policies import appointment_for, homework_for
from tandem.blended.views.common import (
    deny_as_404,
    flash_errors,
    form_errors,
    language,
    render_local,
)
from tandem.blended.views.staff import _managed_enrollment

# --- plan and load limit ------------------------------------------------------------------------


@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
@deny_as_404
def plan_view(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _managed_enrollment(request, enrollment, "blended.plan.viewed")
    lang = language(request)
    plan = services.plan_for(obj)
    form = forms.PlanForm(
        request.POST if request.method == "POST" else None,
        enrollment=obj,
        lang=lang,
        initial=forms.PlanForm.initial_for(plan),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_plan(
                actor=request.user,
                enrollment=obj,
                goals=form.goal_list(),
                planned_sessions=form.cleaned_data["planned_sessions"],
                session_modules=form.session_modules(),
                request=request,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("The treatment plan is saved."))
            return redirect("blended_enrollment", enrollment=obj.uuid)
    return render_local(
        request,
        "blended/plan.html",
        {"enrollment": obj, "patient": obj.patient, "form": form, "lang": lang},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def load_limit_view(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _managed_enrollment(request, enrollment, "blended.load_limit.viewed")
    form = forms.LoadLimitForm(request.POST)
    if form.is_valid():
        try:
            services.set_load_limit(
                actor=request.user,
                enrollment=obj,
                minutes_per_week=form.cleaned_data["minutes_per_week"],
                assignments_per_week=form.cleaned_data["assignments_per_week"],
                request=request,
            )
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("The weekly load limit is saved."))
    else:
        messages.error(request, _("Enter minutes (10–600) and tasks (1–20) a week."))
    return redirect("blended_enrollment", enrollment=obj.uuid)


# --- homework -----------------------------------------------------------------------------------


@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
@deny_as_404
def homework_new(request: HttpRequest, enrollment: str) -> HttpResponse:
    """Give homework for the time until the next session, with the patient's current
    load against the weekly limit in view."""
    obj = _managed_enrollment(request, enrollment, "blended.homework.form_viewed")
    now = timezone.now()
    lang = language(request)
    zone = services.zone_of(request.user)
    session = None
    wanted = request.POST.get("appointment") or request.GET.get("appointment")
    if wanted:
        session = appointment_for(request, wanted, action="blended.homework.form_viewed")
        if session.enrollment_id != obj.pk:
            raise Http404
    upcoming = services.next_session(obj.patient, now)
    if upcoming is not None and session is not None and upcoming.pk == session.pk:
        upcoming = (
            Appointment.objects.upcoming(now)
            .filter(patient=obj.patient, starts_at__gt=session.starts_at)
            .first()
        )
    form = forms.HomeworkForm(
        request.POST if request.method == "POST" else None,
        enrollment=obj,
        lang=lang,
        zone=zone,
        next_start=upcoming.starts_at if upcoming else None,
        plan=services.plan_for(obj),
    )
    check = services.check_load(obj, due_at=None, now=now)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parsed = data["parsed"]
        check = services.check_load(
            obj, due_at=data["due"], minutes=form.estimate(), tasks=1, now=now
        )
        try:
            services.assign(
                actor=request.user,
                enrollment=obj,
                kind=parsed.kind,
                module_key=parsed.module_key,
                exercise_key=parsed.exercise_key,
                instrument=parsed.instrument,
                text=data.get("text") or "",
                minutes=form.estimate(),
                due_at=data["due"],
                appointment=session,
                plan_goal=data.get("plan_goal"),
                override=bool(data.get("override")),
                override_reason=data.get("override_reason") or "",
                request=request,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Homework given."))
            if session is not None:
                return redirect("blended_agenda", appointment=session.uuid)
            return redirect("blended_enrollment", enrollment=obj.uuid)
    return render_local(
        request,
        "blended/homework_form.html",
        {
            "enrollment": obj,
            "patient": obj.patient,
            "form": form,
            "session": session,
            "next_session": upcoming,
            "load": check,
            "custom": HomeworkKind.CUSTOM,
            "lang": lang,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _back(request: HttpRequest, homework: Homework) -> HttpResponse:
    session = request.POST.get("appointment")
    if session:
        found = Appointment.objects.filter(uuid=_as_uuid(session), patient=homework.patient).first()
        if found is not None:
            return redirect("blended_agenda", appointment=found.uuid)
    return redirect("blended_enrollment", enrollment=homework.enrollment.uuid)


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def homework_review(request: HttpRequest, homework: str) -> HttpResponse:
    obj = homework_for(request, homework, action="blended.homework.reviewed")
    session = None
    if request.POST.get("appointment"):
        session = Appointment.objects.filter(
            uuid=_as_uuid(request.POST["appointment"]), patient=obj.patient
        ).first()
    services.mark_reviewed(actor=request.user, homework=obj, appointment=session, request=request)
    messages.success(request, _("Marked as talked through."))
    return _back(request, obj)


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def homework_withdraw(request: HttpRequest, homework: str) -> HttpResponse:
    obj = homework_for(request, homework, action="blended.homework.withdrawn")
    try:
        services.withdraw(actor=request.user, homework=obj, request=request)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The task was taken back."))
    return _back(request, obj)
