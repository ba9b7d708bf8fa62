"""The time budget: heartbeats from a patient's pages, manual entries, corrections, and
the week's minutes per patient (therapist) or per therapist (supervisor) against the
clinic's planned minutes per patient per week."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import CareTeamMember, Patient, Role, User
from tandem.accounts.policies import _as_uuid, patient_for, require_role
from tandem.audit import services as audit
from tandem.care import services
from tandem.care.forms import PlannedMinutesForm, TimeEditForm, TimeForm
from tandem.care.models import TimeEntry
from tandem.care.policies import caseload_patients, own_entry, scoped_patients
from tandem.care.views.common import iso_week, week_bounds

ENTRY_LIMIT = 200


@require_role(Role.THERAPIST)
@require_POST
def heartbeat(request: HttpRequest) -> HttpResponse:
    """``patient=<uuid>`` every 60 s while a patient's page is visible and in use."""
    key = _as_uuid(request.POST.get("patient"))
    patient = (
        scoped_patients(request.user).filter(uuid=key).only("id", "clinic_id").first()
        if key
        else None
    )
    if patient is None:
        audit.record(
            actor=request.user,
            action="care.time.heartbeat_denied",
            request=request,
            outcome="denied",
            detail={"patient_uuid": str(request.POST.get("patient", ""))[:64]},
        )
        raise Http404
    services.heartbeat(actor=request.user, patient=patient)
    return HttpResponse(status=204)


@require_role(Role.THERAPIST)
@require_POST
def time_add(request: HttpRequest, patient: str) -> HttpResponse:
    obj = patient_for(request, patient, action="care.patient.viewed")
    form = TimeForm(request.POST)
    if form.is_valid():
        try:
            services.add_time(
                actor=request.user,
                patient=obj,
                minutes=form.cleaned_data["minutes"],
                started_at=form.started_at(),
                activity=form.cleaned_data["activity"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Time recorded."))
    else:
        messages.error(request, _("Enter the minutes (1–480) and the day."))
    return redirect("care_patient", patient=obj.uuid)


@require_role(Role.THERAPIST)
@require_POST
def time_edit(request: HttpRequest, entry: str) -> HttpResponse:
    obj = own_entry(request, entry)
    form = TimeEditForm(request.POST)
    if form.is_valid():
        services.edit_time(
            actor=request.user, entry=obj, minutes=form.cleaned_data["minutes"], request=request
        )
        messages.success(request, _("Time corrected."))
    else:
        messages.error(request, _("Enter between 0 and 480 minutes."))
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("care_time")


def _therapist_week(request: HttpRequest, start: Any, end: Any) -> dict[str, Any]:
    user = request.user
    visible = scoped_patients(user)
    entries = list(
        TimeEntry.objects.filter(therapist=user, started_at__gte=start, started_at__lt=end)
        .filter(patient__in=visible)
        .select_related("patient__user")
        .order_by("-started_at", "-pk")[:ENTRY_LIMIT]
    )
    per_patient = list(
        TimeEntry.objects.filter(therapist=user, started_at__gte=start, started_at__lt=end)
        .filter(patient__in=visible)
        .values("patient__uuid", "patient__user__full_name")
        .annotate(minutes=Sum("minutes"))
        .order_by("-minutes", "patient__user__full_name")
    )
    patients = caseload_patients(user).count()
    total = sum(p["minutes"] or 0 for p in per_patient)
    audit.record(
        actor=user,
        action="care.time.viewed",
        request=request,
        detail={"entries": len(entries), "patients": len(per_patient)},
    )
    return {
        "entries": entries,
        "per_patient": per_patient,
        "total": total,
        "patients": patients,
        "budget": patients * services.planned_minutes(user.clinic_id),
    }


def therapist_minutes(clinic_id: int, start: Any, end: Any) -> dict[int, int]:
    return {
        row["therapist_id"]: row["minutes"] or 0
        for row in TimeEntry.objects.filter(
            clinic_id=clinic_id, started_at__gte=start, started_at__lt=end
        )
        .values("therapist_id")
        .annotate(minutes=Sum("minutes"))
    }


def _supervisor_week(request: HttpRequest, start: Any, end: Any) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    therapists = list(
        User.objects.filter(clinic_id=user.clinic_id, role=Role.THERAPIST, is_active=True).order_by(
            "full_name"
        )
    )
    minutes = therapist_minutes(user.clinic_id, start, end)
    patients = {
        row["therapist_id"]: row["n"]
        for row in CareTeamMember.objects.active(now)
        .filter(therapist__clinic_id=user.clinic_id, patient__clinic_id=user.clinic_id)
        .values("therapist_id")
        .annotate(n=Count("patient_id", distinct=True))
    }
    planned = services.planned_minutes(user.clinic_id)
    rows = [
        {
            "therapist": t,
            "minutes": minutes.get(t.pk, 0),
            "patients": patients.get(t.pk, 0),
            "budget": patients.get(t.pk, 0) * planned,
        }
        for t in therapists
    ]
    audit.record(
        actor=user, action="care.time.viewed", request=request, detail={"therapists": len(rows)}
    )
    return {"therapist_rows": rows, "policy_form": PlannedMinutesForm(initial={"minutes": planned})}


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def time_week(request: HttpRequest) -> HttpResponse:
    problems: list[str] = []
    monday, start, end = week_bounds(request.GET.get("week"), problems)
    for problem in problems:
        messages.warning(request, problem)
    context: dict[str, Any] = {
        "monday": monday,
        "week": iso_week(monday),
        "previous": iso_week(monday.fromordinal(monday.toordinal() - 7)),
        "next": iso_week(monday.fromordinal(monday.toordinal() + 7)),
        "planned": services.planned_minutes(request.user.clinic_id),
    }
    if request.user.role == Role.SUPERVISOR:
        context.update(_supervisor_week(request, start, end))
    else:
        context.update(_therapist_week(request, start, end))
    return render(request, "care/time.html", context)


@require_role(Role.SUPERVISOR)
@require_POST
def planned_minutes(request: HttpRequest) -> HttpResponse:
    form = PlannedMinutesForm(request.POST)
    if form.is_valid():
        services.set_planned_minutes(
            actor=request.user, minutes=form.cleaned_data["minutes"], request=request
        )
        messages.success(request, _("Planned minutes saved."))
    else:
        messages.error(request, _("Enter between 0 and 480 minutes."))
    return redirect("care_time")


__all__ = ["Patient"]
