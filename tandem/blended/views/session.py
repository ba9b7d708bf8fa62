"""During and after a session: the agenda work view (tablet or laptop), the session note
with signing and addenda."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import Role
from tandem.accounts.policies import require_role
from tandem.blended import forms, services
from tandem.blended.models import NOTE_SECTIONS, Appointment, Homework, SessionNote
from tandem.blended.policies import agenda_item_for, appointment_for
from tandem.blended.services import describe
from tandem.blended.views.common import (
    deny_as_404,
    flash_errors,
    form_errors,
    language,
    render_local,
)

STAFF = (Role.THERAPIST, Role.SUPERVISOR)


def _agenda_context(request: HttpRequest, appointment: Appointment) -> dict[str, object]:
    lang = language(request)
    agenda = services.agenda_for(appointment, lang=lang)
    modules = describe.modules_of(appointment.enrollment)
    given = [
        (h, describe.title(h, lang=lang, modules=modules))
        for h in Homework.objects.current().filter(appointment=appointment)
    ]
    return {
        "appointment": appointment,
        "patient": appointment.patient,
        "enrollment": appointment.enrollment,
        "agenda": agenda,
        "digest": agenda.digest,
        "given": given,
        "manage": services.may_manage(request.user, appointment.patient),
        "item_form": forms.AgendaItemForm(),
        "lang": lang,
        "now": timezone.now(),
    }


@require_role(*STAFF)
@require_GET
def agenda_view(request: HttpRequest, appointment: str) -> HttpResponse:
    """The work view: the agenda to tick off, what happened since the last session (with
    the patient's key answers), homework to review and to give."""
    obj = appointment_for(request, appointment, action="blended.agenda.viewed")
    return render_local(request, "blended/agenda.html", _agenda_context(request, obj))


def _managed(request: HttpRequest, appointment: str, action: str) -> Appointment:
    obj = appointment_for(request, appointment, action=action)
    if not services.may_manage(request.user, obj.patient):
        raise Http404
    return obj


def _items_response(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    if request.htmx:
        return render_local(
            request, "blended/agenda.html#items", _agenda_context(request, appointment)
        )
    return redirect("blended_agenda", appointment=appointment.uuid)


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def agenda_prepare(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = _managed(request, appointment, "blended.agenda.prepared")
    try:
        services.prepare(
            actor=request.user, appointment=obj, lang=language(request), request=request
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The agenda is ready."))
    return redirect("blended_agenda", appointment=obj.uuid)


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def agenda_add(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = _managed(request, appointment, "blended.agenda.item_added")
    form = forms.AgendaItemForm(request.POST)
    if form.is_valid():
        try:
            services.add_item(
                actor=request.user, appointment=obj, text=form.cleaned_data["text"], request=request
            )
        except ValidationError as exc:
            flash_errors(request, exc)
    else:
        messages.error(request, _("Write the point to add (up to 500 characters)."))
    return _items_response(request, obj)


ITEM_ACTIONS = ("done", "undo", "up", "down", "remove")


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def agenda_item(request: HttpRequest, item: str) -> HttpResponse:
    obj = agenda_item_for(request, item, action="blended.agenda.item_changed")
    appointment = obj.appointment
    if not services.may_manage(request.user, appointment.patient):
        raise Http404
    action = request.POST.get("action", "")
    if action not in ITEM_ACTIONS:
        messages.error(request, _("Unknown change."))
        return _items_response(request, appointment)
    try:
        if action in ("done", "undo"):
            services.set_done(actor=request.user, item=obj, done=action == "done", request=request)
        elif action in ("up", "down"):
            services.move(actor=request.user, item=obj, up=action == "up", request=request)
        else:
            services.remove_item(actor=request.user, item=obj, request=request)
    except ValidationError as exc:
        flash_errors(request, exc)
    return _items_response(request, appointment)


# --- notes ---------------------------------------------------------------------------------------


def _note(appointment: Appointment) -> SessionNote | None:
    return (
        SessionNote.objects.filter(appointment=appointment)
        .select_related("author", "signed_by")
        .first()
    )


def _prefill(request: HttpRequest, appointment: Appointment) -> dict[str, str]:
    """A new note starts from the agenda and the homework (only shown, saved on POST)."""
    lang = language(request)
    agenda = services.agenda_for(appointment, lang=lang)
    items = agenda.items or []
    lines = [f"- {i.text}" for i in items] or [f"- {s.text}" for s in agenda.suggested]
    digest = agenda.digest
    review = []
    if digest.homework_done:
        review.append(
            _("Done: %(list)s") % {"list": ", ".join(h.title for h in digest.homework_done)}
        )
    if digest.homework_not_done:
        review.append(
            _("Not done: %(list)s") % {"list": ", ".join(h.title for h in digest.homework_not_done)}
        )
    modules = describe.modules_of(appointment.enrollment)
    given = [
        f"- {describe.title(h, lang=lang, modules=modules)}"
        for h in Homework.objects.current().filter(appointment=appointment)
    ]
    return {
        "agenda": "\n".join(lines),
        "homework_review": "\n".join(review),
        "new_homework": "\n".join(given),
    }


@require_role(*STAFF)
@require_http_methods(["GET", "POST"])
@deny_as_404
def note_view(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = appointment_for(request, appointment, action="blended.note.viewed")
    manage = services.may_manage(request.user, obj.patient)
    note = _note(obj)
    now = timezone.now()
    locked = note is not None and note.is_locked(now)
    editable = (
        manage
        and not obj.is_cancelled
        and not locked
        and (note is None or not note.is_signed or note.signed_by_id == request.user.pk)
    )
    if request.method == "POST":
        if not manage:
            raise Http404
        form = forms.NoteForm(request.POST)
        if form.is_valid():
            try:
                services.save_note(
                    actor=request.user, appointment=obj, sections=form.sections(), request=request
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("The note is saved."))
                return redirect("blended_note", appointment=obj.uuid)
    elif note is not None:
        form = forms.NoteForm(
            initial={name: getattr(note, name) for name, _label in NOTE_SECTIONS},
            readonly=not editable,
        )
    else:
        form = forms.NoteForm(
            initial=_prefill(request, obj) if editable else {}, readonly=not editable
        )
    return render_local(
        request,
        "blended/note.html",
        {
            "appointment": obj,
            "patient": obj.patient,
            "note": note,
            "sections": [(label, getattr(note, name)) for name, label in NOTE_SECTIONS]
            if note
            else [],
            "addenda": list(note.addenda.select_related("author")) if note else [],
            "form": form,
            "addendum_form": forms.AddendumForm() if manage and note and note.is_signed else None,
            "manage": manage,
            "editable": editable,
            "locked": locked,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def note_sign(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = _managed(request, appointment, "blended.note.signed")
    try:
        note = services.sign_note(actor=request.user, appointment=obj, request=request)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        if note.is_locked():
            messages.success(request, _("The note is signed and locked."))
        else:
            messages.success(
                request,
                _("The note is signed. You can correct it until %(when)s; after that, add addenda.")
                % {
                    "when": formats.date_format(
                        timezone.localtime(note.locks_at, services.zone_of(request.user)),
                        "j M Y, H:i",
                    )
                },
            )
    return redirect("blended_note", appointment=obj.uuid)


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def note_addendum(request: HttpRequest, appointment: str) -> HttpResponse:
    obj = _managed(request, appointment, "blended.note.addendum_added")
    note = _note(obj)
    if note is None:
        messages.error(request, _("Write the note before adding to it."))
        return redirect("blended_note", appointment=obj.uuid)
    form = forms.AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.add_addendum(
                actor=request.user, note=note, text=form.cleaned_data["text"], request=request
            )
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("The addendum is added."))
    else:
        messages.error(request, _("Write the addendum (up to 5000 characters)."))
    return redirect("blended_note", appointment=obj.uuid)
