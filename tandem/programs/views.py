"""Therapist-side views of enrollments, and program media. Thin: parse, authorise, call a
service, render. Anything a user may not see or do is 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import patient_for, require_role
from tandem.audit import services as audit
from tandem.programs import forms, services
from tandem.programs.models import Enrollment, ModuleProgress, ProgramMedia, ProgramVersion
from tandem.programs.policies import enrollment_for, visible_enrollments

STAFF = (Role.THERAPIST, Role.SUPERVISOR)


def deny_as_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A service's ``PermissionDenied`` is a 404 to the user: no hint that it exists."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            audit.record(
                actor=request.user,
                action="programs.view.denied",
                request=request,
                outcome="denied",
                detail={"path": request.path[:200]},
            )
            raise Http404 from exc

    return wrapped


def language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"


def form_errors(form, exc: ValidationError) -> None:  # type: ignore[no-untyped-def]
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- enroll --------------------------------------------------------------------------------------
@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
@deny_as_404
def enrollment_create(request: HttpRequest, patient: str) -> HttpResponse:
    obj = patient_for(request, patient, action="programs.enrollment.form_viewed")
    if not services.may_manage(request.user, obj):
        raise Http404
    form = forms.EnrollForm(request.POST or None, lang=language(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enrollment = services.enroll(
                actor=request.user,
                patient=obj,
                version=data["version"],
                guidance_mode=data["guidance_mode"],
                pacing_policy=data["pacing_policy"],
                interval_days=data["interval_days"],
                pace_min_per_week=data["pace_min_per_week"],
                pace_max_per_week=data["pace_max_per_week"],
                request=request,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is enrolled.") % {"name": obj.name})
            return redirect("enrollment_detail", enrollment=enrollment.uuid)
    return render(request, "programs/enroll.html", {"patient": obj, "form": form})


# --- enrollment detail and changes (care team) ---------------------------------------------------
@require_role(*STAFF)
@require_GET
def enrollment_detail(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = enrollment_for(request, enrollment, action="programs.enrollment.viewed")
    lang = language(request)
    manage = services.may_manage(request.user, obj.patient)
    views = services.module_states(enrollment=obj, include_hidden=True)
    program = obj.version.program
    current = program.current_version
    # Progress kept on versions the patient was moved away from, still readable.
    earlier = (
        ModuleProgress.objects.filter(enrollment=obj)
        .exclude(version_id__in={v.slot.version.pk for v in views})
        .select_related("version")
        .order_by("-version__loaded_at", "module_key")
    )
    context = {
        "enrollment": obj,
        "patient": obj.patient,
        "program": obj.version.package.program,
        "views": views,
        "lang": lang,
        "manage": manage,
        "status_form": forms.StatusForm(enrollment=obj) if manage else None,
        "add_form": forms.AddModuleForm(enrollment=obj, lang=lang) if manage else None,
        "newer": current if current is not None and current.pk != obj.version_id else None,
        "earlier": earlier,
        "pace_label": forms.pace_label(obj.pace_per_week),
        "pace_min_label": forms.pace_label(obj.pace_min_per_week),
        "pace_max_label": forms.pace_label(obj.pace_max_per_week),
        "expected": services.expected_completed(enrollment=obj),
        "total": sum(1 for v in views if not v.hidden),
        "optional_order": [v for v in views if v.slot.optional and not v.hidden],
    }
    return render(request, "programs/enrollment_detail.html", context)


def _managed(request: HttpRequest, enrollment: str) -> Enrollment:
    obj = enrollment_for(request, enrollment, action="programs.enrollment.viewed")
    if not services.may_manage(request.user, obj.patient):
        raise Http404
    return obj


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def enrollment_status(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _managed(request, enrollment)
    form = forms.StatusForm(request.POST, enrollment=obj)
    if form.is_valid():
        try:
            services.set_status(
                actor=request.user,
                enrollment=obj,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
            messages.success(
                request,
                _("Status changed to %(status)s.") % {"status": obj.get_status_display().lower()},
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("enrollment_detail", enrollment=obj.uuid)


MODULE_ACTIONS = {
    "hide": (services.hide_module, gettext_lazy("The module is hidden from the patient.")),
    "show": (services.show_module, gettext_lazy("The module is shown to the patient again.")),
    "unlock": (services.unlock_module, gettext_lazy("The module is open for the patient.")),
    "feedback": (
        services.record_module_feedback,
        gettext_lazy("Feedback on the module is recorded."),
    ),
}


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def enrollment_module(request: HttpRequest, enrollment: str, module: str) -> HttpResponse:
    """Tailoring one module: hide, show, unlock, or record that feedback was given."""
    obj = _managed(request, enrollment)
    action = MODULE_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise Http404
    service, done = action
    try:
        service(actor=request.user, enrollment=obj, module_key=module, request=request)
    except ValidationError as exc:
        raise Http404 from exc
    messages.success(request, str(done))
    return redirect("enrollment_detail", enrollment=obj.uuid)


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def enrollment_add_module(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _managed(request, enrollment)
    form = forms.AddModuleForm(request.POST, enrollment=obj, lang=language(request))
    if form.is_valid():
        version, module = form.chosen()
        try:
            services.add_module(
                actor=request.user,
                enrollment=obj,
                version=version,
                module_id=module.id,
                request=request,
            )
            messages.success(request, _("The module is added to the program."))
        except ValidationError as exc:
            _flash_errors(request, exc)
    else:
        messages.error(request, _("Choose a module to add."))
    return redirect("enrollment_detail", enrollment=obj.uuid)


@require_role(Role.THERAPIST)
@require_POST
@deny_as_404
def enrollment_move(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _managed(request, enrollment)
    current = obj.version.program.current_version
    if current is None or str(current.uuid) != request.POST.get("version", ""):
        messages.error(request, _("A newer version has been loaded meanwhile. Check it first."))
        return redirect("enrollment_detail", enrollment=obj.uuid)
    try:
        services.move_to_version(
            actor=request.user, enrollment=obj, version=current, request=request
        )
        messages.success(
            request,
            _("The patient now follows version %(version)s.") % {"version": current.version},
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("enrollment_detail", enrollment=obj.uuid)


# --- media ---------------------------------------------------------------------------------------
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _may_see_media(user: object, version: ProgramVersion) -> bool:
    """A patient enrolled in the version (or given one of its modules), or a therapist or
    supervisor who can see such an enrollment. Checked on every download."""
    role = getattr(user, "role", None)
    if role == Role.PATIENT:
        enrollments = Enrollment.objects.filter(patient__in=Patient.objects.for_user(user))
    elif role in STAFF:
        enrollments = visible_enrollments(user)
    else:
        return False
    return (
        enrollments.filter(version=version).exists()
        or enrollments.filter(extra_modules__icontains=str(version.uuid)).exists()
    )


@require_GET
def program_media(request: HttpRequest, version: str, path: str) -> HttpResponse:
    obj = ProgramVersion.objects.filter(uuid=version).first()
    media = None
    if obj is not None and _may_see_media(request.user, obj):
        media = ProgramMedia.objects.filter(version=obj, path=f"media/{path}").first()
    if media is None:
        audit.record(
            actor=request.user,
            action="programs.media.access_denied",
            request=request,
            outcome="denied",
            detail={"version": str(version)[:64], "path": path[:200]},
        )
        raise Http404
    data = bytes(media.data)
    status, body, extra = _range(request.headers.get("Range", ""), data)
    content_type = media.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = HttpResponse(body, content_type=content_type, status=status)
    response["Content-Length"] = str(len(body))
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    for key, value in extra.items():
        response[key] = value
    return response


def _range(header: str, data: bytes) -> tuple[int, bytes, dict[str, str]]:
    """One byte range (what audio and video players ask for), else the whole file."""
    match = RANGE_RE.match(header.strip()) if header else None
    size = len(data)
    if match is None or (not match.group(1) and not match.group(2)):
        return 200, data, {}
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    else:
        start, end = max(size - int(match.group(2)), 0), size - 1
    if start >= size or start > end:
        return 416, b"", {"Content-Range": f"bytes */{size}"}
    return 206, data[start : end + 1], {"Content-Range": f"bytes {start}-{end}/{size}"}
