"""Wellbeing views: check-in, own trend, coping toolbox, safety plan (patient and care
team). Thin: parse, authorise, call a service, render."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import patient_for, require_role
from tandem.messaging import risk
from tandem.wellbeing import coping, services
from tandem.wellbeing.forms import CheckInForm, SafetyPlanForm
from tandem.wellbeing.models import SECTIONS
from tandem.wellbeing.trend import chart

ALL_ROLES = (Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN, Role.RESEARCHER)


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or "en"


def _me(request: HttpRequest) -> Patient:
    patient = Patient.objects.select_related("clinic", "user").filter(user=request.user).first()
    if patient is None:
        raise Http404
    return patient


@require_role(Role.PATIENT)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    patient = _me(request)
    latest = services.recent_checkins(patient, days=30).first()
    _plan, version = services.current_plan(patient)
    return render(
        request,
        "wellbeing/home.html",
        {"latest": latest, "plan_version": version, "tools": coping.tools(_language(request))},
    )


@require_role(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    patient = _me(request)
    form = CheckInForm(request.POST or None, initial={"client_token": uuid.uuid4()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.record_checkin(
                    actor=request.user,
                    patient=patient,
                    mood=form.cleaned_data["mood"],
                    emotions=form.emotions(),
                    note=form.cleaned_data.get("note", ""),
                    client_token=form.cleaned_data["client_token"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Check-in saved. Thank you."))
                url = reverse("wellbeing_trend")
                if result.risk is not None:
                    url += "?crisis=1"
                return redirect(url)
        status = 400
        if "client_token" in form.errors:  # a fresh token, so that the retry can succeed
            form.data = form.data.copy()
            form.data["client_token"] = str(uuid.uuid4())
    return render(request, "wellbeing/checkin.html", {"form": form}, status=status)


@require_role(Role.PATIENT)
@require_GET
def trend(request: HttpRequest) -> HttpResponse:
    patient = _me(request)
    checkins = list(services.recent_checkins(patient))
    context: dict[str, Any] = {"checkins": checkins, "chart": chart(checkins)}
    if request.GET.get("crisis") == "1":
        context.update(risk.crisis_context(clinic=patient.clinic, language=_language(request)))
    return render(request, "wellbeing/trend.html", context)


@require_role(*ALL_ROLES)
@require_GET
def tools(request: HttpRequest) -> HttpResponse:
    return render(request, "wellbeing/tools.html", {"tools": coping.tools(_language(request))})


@require_role(*ALL_ROLES)
@require_GET
def tool(request: HttpRequest, tool: str) -> HttpResponse:
    found = coping.tool(tool, _language(request))
    if found is None:
        raise Http404
    return render(request, "wellbeing/tool.html", {"tool": found})


# --- safety plan ---------------------------------------------------------------------------------


def _plan_page(
    request: HttpRequest,
    patient: Patient,
    *,
    action_url: str,
    can_edit: bool,
    form: SafetyPlanForm | None = None,
    conflict: Any = None,
    status: int = 200,
) -> HttpResponse:
    plan, current = services.current_plan(patient)
    shown = current
    wanted = request.GET.get("version")
    if plan is not None and wanted and wanted.isdigit():
        shown = plan.versions.select_related("edited_by").filter(number=int(wanted)).first()
        if shown is None:
            raise Http404
    if form is None and can_edit:
        initial = {"base_version": plan.version if plan else 0}
        initial.update((current.content if current else {}) or {})
        form = SafetyPlanForm(initial=initial)
    versions = list(plan.versions.select_related("edited_by")[:50]) if plan else []
    sections = [
        (code, label, ((shown.content if shown else {}) or {}).get(code, ""))
        for code, label, _help in SECTIONS
    ]
    context = {
        "patient": patient,
        "plan": plan,
        "current": current,
        "shown": shown,
        "sections": sections,
        "versions": versions,
        "form": form,
        "can_edit": can_edit,
        "action_url": action_url,
        "conflict": conflict,
        "is_patient": request.user.role == Role.PATIENT,
    }
    context.update(risk.crisis_context(clinic=patient.clinic, language=_language(request)))
    return render(request, "wellbeing/safety_plan.html", context, status=status)


def _save_plan(request: HttpRequest, patient: Patient, *, action_url: str) -> HttpResponse:
    form = SafetyPlanForm(request.POST)
    if not form.is_valid():
        return _plan_page(
            request, patient, action_url=action_url, can_edit=True, form=form, status=400
        )
    try:
        services.save_plan(
            actor=request.user,
            patient=patient,
            content=form.content(),
            base_version=form.cleaned_data["base_version"],
        )
    except PermissionDenied:
        raise Http404 from None
    except services.PlanConflict as conflict:
        return _plan_page(
            request,
            patient,
            action_url=action_url,
            can_edit=True,
            form=form,
            conflict=conflict.current,
            status=409,
        )
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return _plan_page(
            request, patient, action_url=action_url, can_edit=True, form=form, status=400
        )
    messages.success(request, _("Safety plan saved."))
    return redirect(action_url)


@require_role(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def safety_plan(request: HttpRequest) -> HttpResponse:
    patient = _me(request)
    url = reverse("wellbeing_safety_plan")
    if request.method == "POST":
        return _save_plan(request, patient, action_url=url)
    return _plan_page(request, patient, action_url=url, can_edit=True)


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def patient_safety_plan(request: HttpRequest, patient: str) -> HttpResponse:
    obj = patient_for(request, patient, action="wellbeing.safety_plan.viewed")
    url = reverse("wellbeing_patient_safety_plan", kwargs={"patient": obj.uuid})
    editable = services.can_edit_plan(request.user, obj)
    if request.method == "POST":
        if not editable:
            raise Http404
        return _save_plan(request, obj, action_url=url)
    return _plan_page(request, obj, action_url=url, can_edit=editable)


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def patient_overview(request: HttpRequest, patient: str) -> HttpResponse:
    obj = patient_for(request, patient, action="wellbeing.checkins.viewed")
    checkins = list(services.recent_checkins(obj))
    _plan, version = services.current_plan(obj)
    return render(
        request,
        "wellbeing/patient.html",
        {"patient": obj, "checkins": checkins, "chart": chart(checkins), "plan_version": version},
    )
