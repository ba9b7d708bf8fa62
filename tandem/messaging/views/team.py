"""The care team's tools: template library, clinic policy, reply-time statistics,
absences and cover."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import Role, User
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.messaging import cover, gestures, replytimes
from tandem.messaging.forms import AbsenceForm, PolicyForm, TemplateForm
from tandem.messaging.models import Absence, ClinicMessagingPolicy
from tandem.messaging.policies import editable_template, visible_absence

# --- template library ------------------------------------------------------------------------


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    rows = gestures.library_queryset(request.user).select_related("owner")
    language = request.GET.get("language") or request.user.language or "en"
    return render(
        request,
        "messaging/templates.html",
        {
            "rows": rows,
            "defaults": gestures.default_templates(language=language),
            "language": language,
        },
    )


def _save_template(request: HttpRequest, form: TemplateForm) -> None:
    template = form.save(commit=False)
    created = template.pk is None
    if created:
        template.clinic_id = request.user.clinic_id
        template.created_by = request.user
    if request.user.role == Role.SUPERVISOR:
        template.owner = None if form.cleaned_data.get("shared") else request.user
    elif created:
        template.owner = request.user
    template.save()
    audit.record(
        actor=request.user,
        action="messaging.template.saved",
        request=request,
        target=template,
        detail={"created": created, "shared": template.owner_id is None},
    )


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(
        request.POST or None,
        user=request.user,
        initial={"language": request.user.language, "context": request.GET.get("context")},
    )
    if request.method == "POST" and form.is_valid():
        _save_template(request, form)
        messages.success(request, _("Template saved."))
        return redirect("messaging_templates")
    return render(request, "messaging/template_form.html", {"form": form, "template": None})


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template: str) -> HttpResponse:
    obj = editable_template(request.user, template)
    form = TemplateForm(request.POST or None, instance=obj, user=request.user)
    if request.method == "POST" and form.is_valid():
        _save_template(request, form)
        messages.success(request, _("Template saved."))
        return redirect("messaging_templates")
    return render(request, "messaging/template_form.html", {"form": form, "template": obj})


# --- clinic policy -----------------------------------------------------------------------------


@require_role(Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic
    if clinic is None:
        raise Http404
    instance = ClinicMessagingPolicy.objects.filter(clinic=clinic).first() or (
        ClinicMessagingPolicy(clinic=clinic)
    )
    initial = {"working_days": instance.working_days or [0, 1, 2, 3, 4]}
    form = PolicyForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        audit.record(
            actor=request.user,
            action="messaging.policy.changed",
            request=request,
            clinic=clinic.pk,
            detail={
                "promise_hours": saved.promise_hours,
                "working_days": saved.working_days,
                "day": [saved.workday_start.isoformat(), saved.workday_end.isoformat()],
            },
        )
        messages.success(request, _("Messaging settings saved."))
        return redirect("messaging_policy")
    return render(request, "messaging/policy.html", {"form": form})


# --- reply-time statistics -----------------------------------------------------------------------


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    user = request.user
    policy_obj = replytimes.policy_for(user.clinic)
    audit.record(actor=user, action="messaging.stats.viewed", request=request)
    if user.role == Role.THERAPIST:
        return render(
            request,
            "messaging/stats_therapist.html",
            {
                "row": replytimes.therapist_stats(therapist=user),
                "policy": policy_obj,
                "member": user,
            },
        )
    replies, feedback, rows = replytimes.clinic_stats(clinic=user.clinic)
    return render(
        request,
        "messaging/stats_clinic.html",
        {
            "replies": replies,
            "feedback": feedback,
            "rows": rows,
            "policy": policy_obj,
            "functions": gestures.function_summary(clinic=user.clinic),
            "overdue": replytimes.overdue_conversations(user.clinic),
        },
    )


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def stats_therapist(request: HttpRequest, user: str) -> HttpResponse:
    viewer = request.user
    member = (
        User.objects.filter(uuid=user, clinic_id=viewer.clinic_id, role=Role.THERAPIST)
        .select_related("clinic")
        .first()
    )
    if member is None or (viewer.role == Role.THERAPIST and member.pk != viewer.pk):
        raise Http404
    audit.record(actor=viewer, action="messaging.stats.viewed", request=request, target=member)
    return render(
        request,
        "messaging/stats_therapist.html",
        {
            "row": replytimes.therapist_stats(therapist=member),
            "policy": replytimes.policy_for(viewer.clinic),
            "member": member,
        },
    )


# --- absences and cover -------------------------------------------------------------------------


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def absences(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = AbsenceForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            absence = cover.mark_absence(
                actor=user,
                therapist=form.cleaned_data["therapist"],
                cover=form.cleaned_data["cover"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                request=request,
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _(
                    "Absence recorded. %(cover)s answers %(name)s's patients from %(start)s to "
                    "%(end)s."
                )
                % {
                    "cover": absence.cover.full_name,
                    "name": absence.therapist.full_name,
                    "start": absence.starts_on.strftime("%d.%m.%Y"),
                    "end": absence.ends_on.strftime("%d.%m.%Y"),
                },
            )
            return redirect("messaging_absences")
    rows = Absence.objects.filter(clinic_id=user.clinic_id).select_related("therapist", "cover")
    if user.role == Role.THERAPIST:
        rows = rows.filter(therapist=user) | rows.filter(cover=user)
    return render(request, "messaging/absences.html", {"form": form, "rows": rows[:100]})


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_POST
def absence_end(request: HttpRequest, absence: str) -> HttpResponse:
    obj = visible_absence(request.user, absence)
    try:
        cover.end_absence(actor=request.user, absence=obj, request=request)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Absence ended. The cover's extra access has ended too."))
    return redirect("messaging_absences")
