"""The care team: every instrument's trajectory, item answers on demand, sending a
questionnaire ad hoc."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import _as_uuid, patient_for, require_role
from tandem.assessments import services
from tandem.assessments.errors import ScoringError
from tandem.assessments.forms import AssignForm, instrument_name
from tandem.assessments.models import Assignment, AssignmentSource, Response
from tandem.assessments.views.common import (
    _chart_for,
    _definition,
    _language,
    _response_context,
    _rows,
    _with_names,
)

logger = logging.getLogger(__name__)


# --- therapist: trajectories, item answers, ad hoc questionnaires ---------------------------------


@require_role(Role.THERAPIST, Role.SUPERVISOR)
def patient_scores(request: HttpRequest, patient: str) -> HttpResponse:
    obj = patient_for(request, patient, action="assessments.scores.viewed")
    responses = list(
        Response.objects.filter(patient=obj)
        .select_related("baseline")
        .order_by("submitted_at", "pk")
    )
    by_code: dict[str, list[Response]] = defaultdict(list)
    for response in responses:
        by_code[response.instrument].append(response)
    instruments = []
    for code, items in sorted(by_code.items()):
        definition = _definition(code)
        if definition is None:
            continue
        complete = [r for r in items if r.complete]
        instruments.append(
            {
                "code": code,
                "definition": definition,
                "name": instrument_name(definition, _language()),
                "chart": _chart_for(definition, complete, f"chart-{code}"),
                "rows": _rows(definition, items),
                "threshold": definition.reliable_change.threshold
                if definition.reliable_change
                else None,
            }
        )
    now = timezone.now()
    open_assignments = _with_names(
        list(
            Assignment.objects.filter(patient=obj, completed_at__isnull=True)
            .filter(available_at__lte=now + timedelta(days=30))
            .order_by("due_at")[:50]
        )
    )
    return render(
        request,
        "assessments/patient_scores.html",
        {
            "patient": obj,
            "instruments": instruments,
            "open_assignments": open_assignments,
            "can_assign": request.user.role == Role.THERAPIST,
        },
    )


@require_role(Role.THERAPIST, Role.SUPERVISOR)
def response_detail(request: HttpRequest, patient: str, response: str) -> HttpResponse:
    """Item-level answers of one response (an htmx fragment, or a page without JS)."""
    obj = patient_for(request, patient, action="assessments.response.viewed")
    key = _as_uuid(response)
    found = (
        Response.objects.filter(uuid=key, patient=obj).select_related("baseline").first()
        if key
        else None
    )
    if found is None:
        raise Http404
    context = {"patient": obj, **_response_context(found)}
    if getattr(request, "htmx", False):
        return render(request, "assessments/partials/response_items.html", context)
    return render(request, "assessments/response_detail.html", context)


def _current_enrollment(patient: Patient) -> Any:
    from tandem.programs.models import Enrollment, EnrollmentStatus

    return (
        Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.ACTIVE)
        .order_by("-started_at")
        .first()
    )


@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
def assign_questionnaire(request: HttpRequest, patient: str) -> HttpResponse:
    obj = patient_for(request, patient, action="assessments.assign.opened")
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            services.assign(
                actor=request.user,
                patient=obj,
                instrument=form.cleaned_data["instrument"],
                source=AssignmentSource.ADHOC,
                enrollment=_current_enrollment(obj),
                available_at=now,
                due_at=now + timedelta(days=form.cleaned_data["due_in_days"]),
                request=request,
            )
        except ScoringError:
            form.add_error("instrument", _("Choose a questionnaire from the list."))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(
                request,
                _("Questionnaire sent to %(name)s.") % {"name": obj.user.full_name},
            )
            return redirect("patient_scores", patient=obj.uuid)
    return render(request, "assessments/assign.html", {"patient": obj, "form": form})
