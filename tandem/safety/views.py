"""Alerts for the care team and supervisor; crisis resources for everyone."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.safety import clinic_settings, registry, services
from tandem.safety.forms import AcknowledgeForm, CrisisResourcesForm, EscalationPolicyForm
from tandem.safety.models import Alert
from tandem.safety.policies import alert_for, visible_alerts

LIST_LIMIT = 200
RECENT_DAYS = 14


@require_role(Role.THERAPIST, Role.SUPERVISOR)
def alert_list(request: HttpRequest) -> HttpResponse:
    """Open alerts first (urgent before review, oldest first), then recently handled."""
    visible = visible_alerts(request.user).select_related(
        "patient__user", "assigned_to", "escalated_to", "acknowledged_by"
    )
    open_alerts = list(visible.open().triage_order()[:LIST_LIMIT])
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    handled = list(
        visible.filter(acknowledged_at__gte=since).order_by("-acknowledged_at", "-pk")[:50]
    )
    audit.record(
        actor=request.user,
        action="safety.alert.listed",
        request=request,
        detail={"open": len(open_alerts), "handled": len(handled)},
    )
    return render(
        request,
        "safety/alert_list.html",
        {"open_alerts": open_alerts, "handled": handled, "now": timezone.now()},
    )


def _detail(request: HttpRequest, alert: Alert, form: AcknowledgeForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "safety/alert_detail.html",
        {
            "alert": alert,
            "form": form,
            "cause": registry.render_cause(alert, request),
            "now": timezone.now(),
        },
        status=status,
    )


@require_role(Role.THERAPIST, Role.SUPERVISOR)
def alert_detail(request: HttpRequest, alert: str) -> HttpResponse:
    obj = alert_for(request, alert, action="safety.alert.viewed")
    return _detail(request, obj, AcknowledgeForm())


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_POST
def alert_acknowledge(request: HttpRequest, alert: str) -> HttpResponse:
    obj = alert_for(request, alert, action="safety.alert.viewed")
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.acknowledge(
                actor=request.user, alert=obj, note=form.cleaned_data["note"], request=request
            )
        except services.AlreadyAcknowledged as exc:
            messages.info(request, exc.messages[0])
            return redirect("alert_detail", alert=obj.uuid)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("note", message)
        else:
            messages.success(
                request,
                _("Alert acknowledged for %(name)s.") % {"name": obj.patient.user.full_name},
            )
            return redirect("alert_list")
    return _detail(request, obj, form, status=200)


def crisis_help(request: HttpRequest) -> HttpResponse:
    """Crisis resources for the signed-in user's clinic and language (everyone)."""
    user = request.user
    clinic = None
    if user.role == Role.PATIENT:
        clinic = Patient.objects.select_related("clinic").filter(user=user).first()
        clinic = clinic.clinic if clinic else None
    elif user.clinic_id:
        clinic = user.clinic
    crisis = services.crisis_resources(clinic=clinic, language=get_language() or "en")
    return render(request, "safety/help.html", {"crisis": crisis})


# --- the clinic's safety settings ---------------------------------------------------------------


def _clinic(request: HttpRequest):  # type: ignore[no-untyped-def]
    clinic = request.user.clinic
    if clinic is None:
        raise Http404
    return clinic


@require_role(Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def safety_settings(request: HttpRequest) -> HttpResponse:
    """Escalation of unacknowledged alerts (editable here) and, per language, what
    patients see under "Get help now" (edited on its own page)."""
    clinic = _clinic(request)
    policy = services.policy_for(clinic.pk)
    form = EscalationPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        clinic_settings.save_escalation_policy(
            actor=request.user, clinic=clinic, request=request, **form.cleaned_data
        )
        messages.success(request, _("Escalation settings saved."))
        return redirect("safety_settings")
    crisis = [
        (code, name, services.crisis_resources(clinic=clinic, language=code))
        for code, name in settings.LANGUAGES
    ]
    return render(request, "safety/settings.html", {"form": form, "crisis": crisis})


@require_role(Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def crisis_resources_edit(request: HttpRequest, language: str) -> HttpResponse:
    clinic = _clinic(request)
    names = dict(settings.LANGUAGES)
    if language not in names:
        raise Http404
    current = services.crisis_resources(clinic=clinic, language=language)
    form = CrisisResourcesForm(
        request.POST or None, initial=CrisisResourcesForm.initial_for(current)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        clinic_settings.save_crisis_resources(
            actor=request.user,
            clinic=clinic,
            language=language,
            emergency_number=data["emergency_number"],
            lines=data["lines"],
            clinic_phone=data["clinic_phone"],
            clinic_hours=data["clinic_hours"],
            request=request,
        )
        messages.success(request, _("Crisis resources saved."))
        return redirect("safety_settings")
    return render(
        request,
        "safety/crisis_edit.html",
        {"form": form, "language_name": names[language], "language": language},
    )
