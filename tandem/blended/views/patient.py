"""The patient's side: "between our sessions" (coming sessions, homework, what I want to
talk about), ticking a task of our own, and one ``.ics`` download per session."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.blended import forms, services
from tandem.blended.models import AgendaItem, AgendaSource, Appointment
from tandem.blended.policies import agenda_item_for, appointment_for, homework_for
from tandem.blended.services.notify import preferences_url
from tandem.blended.views.common import deny_as_404, flash_errors, language, render_local


def _own_patient(request: HttpRequest) -> Patient:
    patient = Patient.objects.for_user(request.user).select_related("user").first()
    if patient is None:
        raise Http404
    return patient


@require_role(Role.PATIENT)
@require_GET
def my_sessions(request: HttpRequest) -> HttpResponse:
    patient = _own_patient(request)
    now = timezone.now()
    upcoming = list(services.upcoming_for_patient(patient, now)[:6])
    topics: dict[int, list] = {a.pk: [] for a in upcoming}
    if upcoming:
        for item in AgendaItem.objects.filter(
            appointment__in=upcoming, source=AgendaSource.PATIENT
        ).order_by("order", "id"):
            topics[item.appointment_id].append(item)
    past = list(
        Appointment.objects.filter(patient=patient, starts_at__lt=now)
        .select_related("therapist")
        .order_by("-starts_at")[:5]
    )
    return render_local(
        request,
        "blended/my_sessions.html",
        {
            "patient": patient,
            "sessions": [(a, topics[a.pk]) for a in upcoming],
            "past": past,
            "tasks": services.patient_tasks(patient, lang=language(request), now=now),
            "topic_form": forms.TopicForm(),
            "reminders_url": preferences_url(),
            "now": now,
        },
    )


@require_role(Role.PATIENT)
@require_POST
@deny_as_404
def topic_add(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = appointment_for(request, appointment, action="blended.agenda.topic_added")
    form = forms.TopicForm(request.POST)
    if form.is_valid():
        try:
            services.add_item(
                actor=request.user, appointment=obj, text=form.cleaned_data["text"], request=request
            )
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Added. Your therapist will see it before the session."))
    else:
        messages.error(request, _("Write what you want to talk about (up to 500 characters)."))
    return redirect("blended_my_sessions")


@require_role(Role.PATIENT)
@require_POST
@deny_as_404
def topic_remove(request: HttpRequest, item: str) -> HttpResponse:
    obj = agenda_item_for(request, item, action="blended.agenda.topic_removed")
    try:
        services.remove_item(actor=request.user, item=obj, request=request)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("Removed."))
    return redirect("blended_my_sessions")


@require_role(Role.PATIENT)
@require_POST
@deny_as_404
def homework_tick(request: HttpRequest, homework: str) -> HttpResponse:
    obj = homework_for(request, homework, action="blended.homework.ticked")
    done = request.POST.get("done") != "0"
    try:
        services.tick(actor=request.user, homework=obj, done=done, request=request)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("Well done!") if done else _("Marked as not done yet."))
    target = request.POST.get("next")
    if target == "home":
        return redirect("journey_home")
    return redirect("blended_my_sessions")


@require_role(Role.PATIENT, Role.THERAPIST)
@require_GET
@deny_as_404
def appointment_ics(request: HttpRequest, appointment: str) -> HttpResponse:
    """One session as an ``.ics`` file (no clinical detail; see ``services.feed``)."""
    obj = appointment_for(request, appointment, action="blended.appointment.downloaded")
    if request.user.role == Role.THERAPIST and not services.may_manage(request.user, obj.patient):
        raise Http404
    body = services.appointment_ics(obj, viewer=request.user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tandem-session.ics"'
    if request.user.role == Role.PATIENT:
        audit.record(
            actor=request.user,
            action="blended.appointment.downloaded",
            request=request,
            patient=obj.patient,
            target=obj,
        )
    return response
