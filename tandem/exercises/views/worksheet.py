"""The patient's worksheet: fill (with the draft), autosave, skip, "this is hard"."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.models import Role
from tandem.accounts.policies import require_role
from tandem.exercises import services
from tandem.exercises.content import ExerciseRef, is_writable
from tandem.exercises.forms import HardForm, SkipForm
from tandem.exercises.models import EntryStatus, ExerciseEntry, HardMoment
from tandem.exercises.types import TooLarge, Worksheet, raw_draft, worksheet_class
from tandem.exercises.types.base import PREFIX, add_row
from tandem.exercises.views.common import (
    HARD_RECENT_DAYS,
    _exercise,
    _lang,
    _series,
    _templates,
    _uuid,
)
from tandem.programs.models import Enrollment


# --- the worksheet ---------------------------------------------------------------------------
def _fill_page(
    request: HttpRequest,
    enrollment: Enrollment,
    ref: ExerciseRef,
    *,
    ws: Worksheet | None = None,
    show_errors: bool = False,
    token: uuid.UUID | None = None,
    revision_of: uuid.UUID | None = None,
    skip_form: SkipForm | None = None,
    hard_form: HardForm | None = None,
) -> HttpResponse:
    lang = _lang()
    cls = worksheet_class(ref.exercise.type)
    form_template, answer_template = _templates(cls)
    writable = is_writable(enrollment)
    entries = ExerciseEntry.objects.for_exercise(
        enrollment, ref.version, ref.module_key, ref.exercise_key
    )
    draft = entries.drafts().first()
    latest = None
    if not ref.exercise.repeatable:
        latest = entries.submitted().order_by("-submitted_at", "-id").first()
    if ws is None:
        if draft is not None:
            ws = cls(ref.exercise, lang=lang, data=draft.answers, quiet=True)
            token = draft.submission_token
            revision_of = latest.uuid if latest else None
        elif latest is not None:
            if writable and request.GET.get("revise") == "1":
                ws = cls.restore(ref.exercise, latest.answers, lang=lang)
                token, revision_of = uuid.uuid4(), latest.uuid
        elif writable:
            ws = cls(ref.exercise, lang=lang)
            token = uuid.uuid4()
    if not writable:
        ws = None
    summary = None
    if ref.exercise.repeatable:
        series = _series(enrollment, ref)
        summary = cls.summarize(ref.exercise, series, lang) if series else None
    since = timezone.now() - timedelta(days=HARD_RECENT_DAYS)
    hard_moments = list(
        HardMoment.objects.filter(
            enrollment=enrollment,
            version=ref.version,
            module_key=ref.module_key,
            exercise_key=ref.exercise_key,
            created_at__gte=since,
        ).select_related("seen_by")[:3]
    )
    latest_skip = None
    if ref.exercise.optional:
        latest_skip = entries.filter(status=EntryStatus.SKIPPED).order_by("-skipped_at").first()
    context: dict[str, Any] = {
        "enrollment": enrollment,
        "ref": ref,
        "lang": lang,
        "type_label": cls.label,
        "writable": writable,
        "ws": ws,
        "show_errors": show_errors,
        "token": token,
        "revision_of": revision_of,
        "form_template": form_template,
        "answer_template": answer_template,
        "saved_at": draft.draft_saved_at if draft is not None and ws is not None else None,
        "latest": latest,
        "latest_view": cls.display(ref.exercise, latest.answers, lang) if latest else None,
        "summary": summary,
        "latest_skip": latest_skip,
        "skip_form": skip_form or SkipForm(),
        "hard_form": hard_form or HardForm(),
        "hard_moments": hard_moments,
        "answer_days": _working_days(),
    }
    return render(request, "exercises/fill.html", context)


def _working_days() -> int:
    return getattr(
        settings, "TANDEM_HARD_ANSWER_WORKING_DAYS", services.DEFAULT_ANSWER_WORKING_DAYS
    )


@require_role(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def exercise_fill(
    request: HttpRequest, enrollment: str, module: str, exercise: str
) -> HttpResponse:
    enr, ref = _exercise(request, enrollment, module, exercise, action="exercises.exercise.viewed")
    if request.method == "GET":
        return _fill_page(request, enr, ref)
    if not is_writable(enr):
        raise Http404
    cls = worksheet_class(ref.exercise.type)
    token = _uuid(request.POST.get("token"))
    revision_of = _uuid(request.POST.get("revision_of"))
    more = request.POST.get("more", "")
    if more.startswith(f"{PREFIX}-") and len(more) < 100:
        # "Add a row": keep everything as a draft and show the worksheet again.
        try:
            data = raw_draft(request.POST)
        except TooLarge:
            data = None
        if data is not None:
            add_row(data, more)
            services.save_draft(actor=request.user, enrollment=enr, ref=ref, data=data, token=token)
            response = redirect(
                "exercise_fill", enrollment=enr.uuid, module=ref.slot, exercise=ref.exercise_key
            )
            response["Location"] += f"#{more}"
            return response
    ws = cls(ref.exercise, lang=_lang(), data=request.POST)
    if ws.is_valid():
        result = services.submit(
            actor=request.user,
            enrollment=enr,
            ref=ref,
            answers=ws.answers(),
            token=token,
            revision_of=revision_of,
            request=request,
        )
        if result.created:
            messages.success(request, _("Submitted. Your therapist will see it."))
        else:
            messages.info(request, _("This was submitted already; here it is."))
        return redirect("exercise_entry", entry=result.entry.uuid)
    # Not valid: keep what was typed as the draft, then show the messages.
    try:
        saved = services.save_draft(
            actor=request.user,
            enrollment=enr,
            ref=ref,
            data=raw_draft(request.POST),
            token=token,
        )
    except TooLarge:
        saved = None
    if saved is not None and saved.saved:
        token = saved.entry.submission_token
    return _fill_page(
        request, enr, ref, ws=ws, show_errors=True, token=token, revision_of=revision_of
    )


@require_role(Role.PATIENT)
@require_POST
def exercise_autosave(
    request: HttpRequest, enrollment: str, module: str, exercise: str
) -> HttpResponse:
    """Autosave (htmx while typing, ``navigator.sendBeacon`` on leaving the page): the
    draft as typed; answers a small status fragment."""
    enr, ref = _exercise(
        request, enrollment, module, exercise, action="exercises.exercise.autosaved"
    )
    if not is_writable(enr):
        raise Http404
    context: dict[str, Any] = {"enrollment": enr, "ref": ref}
    try:
        data = raw_draft(request.POST)
    except TooLarge:
        context["autosave_error"] = _(
            "Not saved: one answer is longer than 50 kB. Shorten it — the rest of your "
            "text is still here."
        )
        return render(request, "exercises/fill.html#autosave_status", context)
    result = services.save_draft(
        actor=request.user,
        enrollment=enr,
        ref=ref,
        data=data,
        token=_uuid(request.POST.get("token")),
    )
    if result.saved:
        context["saved_at"] = result.entry.draft_saved_at
        context["oob_token"] = result.entry.submission_token
    else:
        context["already_submitted"] = result.entry
    return render(request, "exercises/fill.html#autosave_status", context)


@require_role(Role.PATIENT)
@require_POST
def exercise_skip(
    request: HttpRequest, enrollment: str, module: str, exercise: str
) -> HttpResponse:
    enr, ref = _exercise(request, enrollment, module, exercise, action="exercises.exercise.skipped")
    if not ref.exercise.optional or not is_writable(enr):
        raise Http404
    form = SkipForm(request.POST)
    if form.is_valid():
        try:
            services.skip(
                actor=request.user,
                enrollment=enr,
                ref=ref,
                reason_code=form.cleaned_data["reason_code"],
                reason=form.cleaned_data.get("reason", ""),
                request=request,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _(
                    "You skipped this exercise. Your therapist sees your reason, and you can "
                    "still do it later."
                ),
            )
            return redirect(
                "exercise_fill", enrollment=enr.uuid, module=ref.slot, exercise=ref.exercise_key
            )
    return _fill_page(request, enr, ref, skip_form=form)


@require_role(Role.PATIENT)
@require_POST
def exercise_hard(
    request: HttpRequest, enrollment: str, module: str, exercise: str
) -> HttpResponse:
    """ "This is hard for me", from inside any exercise (also of an ended program)."""
    enr, ref = _exercise(
        request, enrollment, module, exercise, action="exercises.hard_moment.reported"
    )
    form = HardForm(request.POST)
    if form.is_valid():
        services.report_hard(
            actor=request.user,
            enrollment=enr,
            ref=ref,
            distress=form.cleaned_data.get("distress"),
            note=form.cleaned_data.get("note", ""),
            request=request,
        )
        messages.success(request, _("Sent to your care team."))
        url = redirect(
            "exercise_fill", enrollment=enr.uuid, module=ref.slot, exercise=ref.exercise_key
        )
        url["Location"] += "#hard"
        return url
    return _fill_page(request, enr, ref, hard_form=form)


def rescue_expired(request: HttpRequest, kwargs: dict[str, Any]) -> str | None:
    """The session ran out while the patient was typing: keep what they sent as the
    draft (never a submission) and bring them back to the worksheet after sign-in.
    Registered with ``tandem.accounts.middleware.register_expiry_rescuer``; runs before
    the sign-out, for the same user, after a CSRF check."""
    enr, ref = _exercise(
        request,
        kwargs["enrollment"],
        kwargs["module"],
        kwargs["exercise"],
        action="exercises.exercise.rescued",
    )
    if is_writable(enr):
        try:
            data = raw_draft(request.POST)
        except TooLarge:
            data = None
        if data is not None:
            services.save_draft(
                actor=request.user,
                enrollment=enr,
                ref=ref,
                data=data,
                token=_uuid(request.POST.get("token")),
            )
    return reverse(
        "exercise_fill",
        kwargs={"enrollment": enr.uuid, "module": ref.slot, "exercise": ref.exercise_key},
    )
