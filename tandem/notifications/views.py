"""Thin views: the in-app list, preferences, one-click unsubscribe, the delivery log."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.models import Role, User
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.notifications import delivery, forms, kinds, policies, services
from tandem.notifications.models import (
    Channel,
    ClinicReminderDefaults,
    InAppNotification,
    NotificationPreferences,
    State,
)
from tandem.notifications.rendering import render_kind
from tandem.notifications.tokens import read_unsubscribe_token

PAGE_SIZE = 30
LOG_PAGE_SIZE = 50


# --- in-app ---------------------------------------------------------------------------------------


def inbox(request: HttpRequest) -> HttpResponse:
    items = (
        InAppNotification.objects.filter(user=request.user)
        .select_related("notification")
        .order_by("-created_at", "-id")
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        n = item.notification
        item.text = render_kind(
            kind=n.kind,
            channel=Channel.IN_APP,
            user=request.user,
            link_url=n.link_url,
            context=n.context,
            now=n.created_at,
        ).body.strip()
        item.link = n.link_url
    unread = services.unread_count(request.user)
    return render(request, "notifications/inbox.html", {"page": page, "unread": unread})


@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(actor=request.user)
    return redirect("notifications_inbox")


# --- preferences ----------------------------------------------------------------------------------


def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    prefs = services.preferences_for(user)
    form: django_forms.ModelForm | None
    if user.role == Role.PATIENT:
        defaults = ClinicReminderDefaults.objects.filter(clinic_id=user.clinic_id).first()
        form = forms.PatientPreferencesForm(request.POST or None, instance=prefs, defaults=defaults)
    elif user.role in (Role.THERAPIST, Role.SUPERVISOR):
        form = forms.StaffPreferencesForm(request.POST or None, instance=prefs)
    else:
        form = None
    if request.method == "POST" and form is not None and form.is_valid():
        services.save_preferences(
            actor=user, prefs=form.save(commit=False), changed=form.changed_data
        )
        messages.success(request, _("Notification settings saved."))
        return redirect("notification_preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "prefs": prefs, "bounced": prefs.pk and prefs.email_bounced},
    )


# --- one-click unsubscribe (from a reminder email; no sign-in) ------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button; only POST changes anything."""
    key = read_unsubscribe_token(token)
    user = User.objects.filter(uuid=key).first() if key else None
    if user is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.unsubscribe(user=user)
        return render(request, "notifications/unsubscribe.html", {"done": True})
    return render(request, "notifications/unsubscribe.html", {})


# --- the delivery log (supervisors and administrators of the clinic) ------------------------------


class LogFilterForm(django_forms.Form):
    state = django_forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("Any")), *State.choices],
    )
    review = django_forms.BooleanField(label=gettext_lazy("Needs review only"), required=False)


@require_role(Role.SUPERVISOR, Role.ADMIN)
def delivery_log(request: HttpRequest) -> HttpResponse:
    user = request.user
    entries = (
        policies.delivery_log_for(user).select_related("recipient").order_by("-created_at", "-id")
    )
    form = LogFilterForm(request.GET or None)
    if form.is_valid():
        if form.cleaned_data.get("state"):
            entries = entries.filter(state=form.cleaned_data["state"])
        if form.cleaned_data.get("review"):
            entries = entries.filter(needs_review=True)
    page = Paginator(entries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.kind_label = (
            kinds.KINDS[entry.kind].label if entry.kind in kinds.KINDS else entry.kind
        )
    bounced = [
        p
        for p in NotificationPreferences.objects.filter(
            user__clinic_id=user.clinic_id, bounced_at__isnull=False
        )
        .select_related("user")
        .order_by("-bounced_at")
        if p.email_bounced
    ]
    review_count = (
        policies.delivery_log_for(user).filter(needs_review=True, state=State.FAILED).count()
    )
    audit.record(
        actor=user,
        action="notifications.delivery_log.viewed",
        request=request,
        detail={"page": page.number},
    )
    return render(
        request,
        "notifications/delivery_log.html",
        {"page": page, "form": form, "bounced": bounced, "review_count": review_count},
    )


@require_POST
@require_role(Role.SUPERVISOR, Role.ADMIN)
def resend(request: HttpRequest, notification: str) -> HttpResponse:
    entry = get_object_or_404(policies.delivery_log_for(request.user), uuid=notification)
    if delivery.resend(entry):
        audit.record(
            actor=request.user,
            action="notifications.delivery.resent",
            request=request,
            target=entry,
            detail={"kind": entry.kind, "channel": entry.channel},
        )
        messages.success(request, _("The notification will be sent again."))
    else:
        messages.info(request, _("Only a failed notification can be sent again."))
    return redirect("notifications_delivery_log")


# --- the clinic's reminder defaults (supervisors and administrators) ------------------------------


@require_role(Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def clinic_defaults(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic
    if clinic is None:
        raise Http404
    instance = ClinicReminderDefaults.objects.filter(clinic=clinic).first() or (
        ClinicReminderDefaults(clinic=clinic)
    )
    form = forms.ClinicRemindersForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.save_clinic_defaults(
            actor=request.user,
            clinic=clinic,
            values={name: form.cleaned_data[name] for name in form.fields},
            request=request,
        )
        messages.success(request, _("Reminder defaults saved."))
        return redirect("notifications_clinic_defaults")
    return render(request, "notifications/clinic_defaults.html", {"form": form})
