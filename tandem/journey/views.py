"""The patient's side: home, program overview, module player, pace agreement. Thin views
over ``tandem.programs.services``; a locked module, another patient's enrollment or a
wrong id is 404. Nothing here nags: no deadlines, no streaks, everything open stays open."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import CareTeamMember, Patient, Role
from tandem.accounts.policies import require_role
from tandem.journey import services
from tandem.programs import forms
from tandem.programs import services as programs
from tandem.programs.models import Enrollment
from tandem.programs.policies import enrollment_for
from tandem.programs.views import deny_as_404, form_errors, language


def _enrollment(request: HttpRequest, enrollment: str) -> Enrollment:
    return enrollment_for(request, enrollment, action="journey.enrollment.viewed")


@require_role(Role.PATIENT)
@require_GET
def journey_home(request: HttpRequest) -> HttpResponse:
    patient = Patient.objects.select_related("clinic", "user").filter(user=request.user).first()
    if patient is None:  # a patient account without its record: nothing to show
        raise Http404
    enrollments = list(
        Enrollment.objects.filter(patient=patient)
        .select_related("version__program", "patient__user")
        .defer("version__snapshot")
        .prefetch_related("progress")
    )
    team = CareTeamMember.objects.active().filter(patient=patient).select_related("therapist")
    from tandem.assessments.services import due_for
    from tandem.safety.services import crisis_resources

    return render(
        request,
        "journey/home.html",
        {
            "patient": patient,
            "cards": services.cards(enrollments, timezone.now()),
            "team": team,
            "lang": language(request),
            "due_assignments": due_for(patient),
            "crisis": crisis_resources(clinic=patient.clinic, language=language(request)),
        },
    )


@require_role(Role.PATIENT)
@require_GET
@deny_as_404
def journey_program(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _enrollment(request, enrollment)
    views = programs.module_states(enrollment=obj)
    return render(
        request,
        "journey/program.html",
        {
            "enrollment": obj,
            "program": obj.version.package.program,
            "views": views,
            "resume": programs.resume(views),
            "done": sum(1 for v in views if v.is_done),
            "pace_label": forms.pace_label(obj.pace_per_week),
            "can_agree": obj.status in programs.ONGOING,
            "lang": language(request),
        },
    )


@require_role(Role.PATIENT)
@require_GET
@deny_as_404
def module_start(request: HttpRequest, enrollment: str, module: str) -> HttpResponse:
    """Open a module where the patient left off (its first page the first time)."""
    obj = _enrollment(request, enrollment)
    view = programs.module_view(enrollment=obj, module_key=module)
    return redirect("module_page", enrollment=obj.uuid, module=view.key, page=view.resume_page)


@require_role(Role.PATIENT)
@require_http_methods(["GET", "POST"])
@deny_as_404
def module_page(request: HttpRequest, enrollment: str, module: str, page: str) -> HttpResponse:
    """GET shows a page and changes nothing; the Previous/Next buttons POST, which records
    the page as read ("continue where I left off") and moves on (post/redirect/get)."""
    obj = _enrollment(request, enrollment)
    if request.method == "POST":
        view = programs.view_page(
            actor=request.user, enrollment=obj, module_key=module, page_id=page
        )
        target = request.POST.get("to", "")
        if target in view.page_ids and target != page:
            # The page the patient moves to is where they continue next time.
            programs.view_page(
                actor=request.user, enrollment=obj, module_key=module, page_id=target
            )
        else:
            target = page
        return redirect("module_page", enrollment=obj.uuid, module=view.key, page=target)
    view = programs.module_view(enrollment=obj, module_key=module)
    if page not in view.page_ids:
        raise Http404
    lang = language(request)
    pages = view.module.pages
    index = view.page_ids.index(page)
    current = pages[index]
    content_lang = lang if current.body.has(lang) else "en"
    return render(
        request,
        "journey/module_page.html",
        {
            "enrollment": obj,
            "program": obj.version.package.program,
            "view": view,
            "page": current,
            "number": index + 1,
            "total": len(pages),
            "previous": pages[index - 1] if index > 0 else None,
            "next": pages[index + 1] if index + 1 < len(pages) else None,
            "html": services.page_html(view.slot.version, current, content_lang),
            "content_lang": content_lang,
            "exercises": services.exercises_after(view.module, page),
            "writable": obj.status in programs.ONGOING,
            "lang": lang,
        },
    )


@require_role(Role.PATIENT)
@require_POST
@deny_as_404
def module_complete(request: HttpRequest, enrollment: str, module: str) -> HttpResponse:
    obj = _enrollment(request, enrollment)
    view, changed = programs.complete_module(
        actor=request.user, enrollment=obj, module_key=module, request=request
    )
    if changed:
        messages.success(
            request,
            _("Well done — you completed “%(title)s”.")
            % {"title": view.module.title.text(language(request))},
        )
    return redirect("journey_program", enrollment=obj.uuid)


@require_role(Role.PATIENT)
@require_http_methods(["GET", "POST"])
@deny_as_404
def journey_pace(request: HttpRequest, enrollment: str) -> HttpResponse:
    obj = _enrollment(request, enrollment)
    if obj.status not in programs.ONGOING:
        return redirect("journey_program", enrollment=obj.uuid)
    form = forms.PaceForm(request.POST or None, enrollment=obj, lang=language(request))
    if request.method == "POST" and form.is_valid():
        try:
            programs.agree_pace(
                actor=request.user,
                enrollment=obj,
                per_week=form.cleaned_data["per_week"],
                optional_order=form.optional_order(),
                request=request,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Your pace is saved. You can change it at any time."))
            return redirect("journey_program", enrollment=obj.uuid)
    return render(
        request,
        "journey/pace.html",
        {
            "enrollment": obj,
            "program": obj.version.package.program,
            "form": form,
            "lang": language(request),
        },
    )
