"""An entry in context with its feedback, and the therapist's list per patient."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.models import Role
from tandem.accounts.policies import patient_for, require_role
from tandem.audit import services as audit
from tandem.exercises import services
from tandem.exercises.content import is_writable, ref_for_entry
from tandem.exercises.forms import FeedbackForm
from tandem.exercises.models import EntryStatus, ExerciseEntry, Feedback, HardMoment
from tandem.exercises.policies import entry_for, is_care_team, moment_for
from tandem.exercises.types import worksheet_class
from tandem.exercises.views.common import SERIES_LIMIT, _lang, _templates


# --- an entry in context ---------------------------------------------------------------------
def _entry_page(
    request: HttpRequest,
    entry: ExerciseEntry,
    *,
    feedback_form: FeedbackForm | None = None,
) -> HttpResponse:
    lang = _lang()
    user = request.user
    ref = ref_for_entry(entry)
    if ref is None:
        raise Http404
    cls = worksheet_class(entry.exercise_type)
    _form_template, answer_template = _templates(cls)
    patient = entry.enrollment.patient
    is_patient = user.role == Role.PATIENT
    feedback = list(entry.feedback.select_related("author"))
    series_entries = [
        e
        for e in (
            ExerciseEntry.objects.for_exercise(
                entry.enrollment, entry.version, entry.module_key, entry.exercise_key
            )
            .filter(status=EntryStatus.SUBMITTED)
            .order_by("-submitted_at", "-id")[:SERIES_LIMIT]
        )
    ][::-1]
    summary = None
    if entry.repeatable or len(series_entries) > 1:
        summary = cls.summarize(ref.exercise, series_entries, lang)
    can_feedback = not is_patient and entry.is_submitted and is_care_team(user, patient)
    templates = ref.exercise.feedback if can_feedback else ()
    chosen = request.GET.get("template", "")[:80]
    if can_feedback and feedback_form is None:
        initial = {}
        template = next((t for t in templates if t.id == chosen), None)
        if template is not None:
            initial = {
                "text": services.fill_template(
                    template.text.text(lang), patient=patient, therapist=user
                ),
                "template": template.id,
            }
        feedback_form = FeedbackForm(initial=initial)
    moments = list(
        HardMoment.objects.filter(
            enrollment=entry.enrollment,
            version=entry.version,
            module_key=entry.module_key,
            exercise_key=entry.exercise_key,
        ).select_related("seen_by")[:10]
    )
    context = {
        "entry": entry,
        "enrollment": entry.enrollment,
        "patient": patient,
        "ref": ref,
        "lang": lang,
        "type_label": cls.label,
        "is_patient": is_patient,
        "writable": is_writable(entry.enrollment),
        "answer_template": answer_template,
        "view": cls.display(ref.exercise, entry.answers, lang) if entry.is_submitted else None,
        "feedback": feedback,
        "unseen": is_patient and any(f.seen_by_patient_at is None for f in feedback),
        "summary": summary,
        "can_feedback": can_feedback,
        "feedback_form": feedback_form,
        "templates": templates,
        "chosen_template": chosen,
        "moments": moments,
        "can_mark_seen": not is_patient and is_care_team(user, patient),
    }
    return render(request, "exercises/entry.html", context)


@require_role(Role.PATIENT, Role.THERAPIST, Role.SUPERVISOR)
@require_http_methods(["GET"])
def exercise_entry(request: HttpRequest, entry: str) -> HttpResponse:
    obj = entry_for(request, entry, action="exercises.entry.viewed")
    if obj.is_draft:
        ref = ref_for_entry(obj)
        if ref is None:
            raise Http404
        return redirect(
            "exercise_fill",
            enrollment=obj.enrollment.uuid,
            module=ref.slot,
            exercise=ref.exercise_key,
        )
    return _entry_page(request, obj)


@require_role(Role.THERAPIST)
@require_POST
def exercise_feedback(request: HttpRequest, entry: str) -> HttpResponse:
    obj = entry_for(request, entry, action="exercises.entry.viewed")
    if not obj.is_submitted or not is_care_team(request.user, obj.enrollment.patient):
        audit.record(
            actor=request.user,
            action="exercises.feedback.denied",
            request=request,
            patient=obj.enrollment.patient,
            outcome="denied",
            target=obj,
        )
        raise Http404
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.give_feedback(
                actor=request.user,
                entry=obj,
                text=form.cleaned_data["text"],
                template_key=form.cleaned_data.get("template", ""),
                request=request,
            )
        except ValidationError as exc:
            form.add_error("text", exc.messages)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Feedback sent. The patient is notified."))
            return redirect("exercise_entry", entry=obj.uuid)
    return _entry_page(request, obj, feedback_form=form)


@require_role(Role.PATIENT)
@require_POST
def exercise_feedback_seen(request: HttpRequest, entry: str) -> HttpResponse:
    obj = entry_for(request, entry, action="exercises.entry.viewed")
    services.mark_feedback_seen(actor=request.user, entry=obj)
    return HttpResponse(status=204)


@require_role(Role.THERAPIST)
@require_POST
def exercise_hard_seen(request: HttpRequest, moment: str) -> HttpResponse:
    obj = moment_for(request, moment, action="exercises.hard_moment.viewed")
    if not is_care_team(request.user, obj.enrollment.patient):
        audit.record(
            actor=request.user,
            action="exercises.hard_moment.denied",
            request=request,
            patient=obj.enrollment.patient,
            outcome="denied",
            target=obj,
        )
        raise Http404
    services.mark_hard_seen(actor=request.user, moment=obj, request=request)
    messages.success(request, _("Marked as seen. The patient can see that you saw it."))
    return redirect("patient_exercises", patient=obj.enrollment.patient.uuid)


# --- the therapist's list --------------------------------------------------------------------
@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_http_methods(["GET"])
def patient_exercises(request: HttpRequest, patient: str) -> HttpResponse:
    """Submissions awaiting feedback first; each diary or log as one summary (table and
    trend), not entry by entry. A fixed number of queries whatever the number of entries."""
    obj = patient_for(request, patient, action="exercises.patient_exercises.viewed")
    lang = _lang()
    entries = list(
        ExerciseEntry.objects.filter(enrollment__patient=obj)
        .exclude(status=EntryStatus.DRAFT)
        .select_related("enrollment__version__program", "version__program")
        .defer("enrollment__version__snapshot", "version__snapshot")
        .prefetch_related(Prefetch("feedback", queryset=Feedback.objects.select_related("author")))
        .order_by("submitted_at", "skipped_at", "id")
    )
    groups: dict[tuple[int, int, str, str], list[ExerciseEntry]] = defaultdict(list)
    for entry in entries:
        groups[
            (entry.enrollment_id, entry.version_id, entry.module_key, entry.exercise_key)
        ].append(entry)
    awaiting, series, answered, skipped = [], [], [], []
    titles: dict[tuple[int, str, str], tuple[str, str]] = {}
    for group in groups.values():
        ref = ref_for_entry(group[0])
        if ref is None:
            continue
        title = ref.exercise.title.text(lang)
        module_title = ref.module.title.text(lang)
        titles[(group[0].version_id, group[0].module_key, group[0].exercise_key)] = (
            title,
            module_title,
        )
        base = {"ref": ref, "title": title, "module_title": module_title}
        submitted = [e for e in group if e.status == EntryStatus.SUBMITTED]
        skipped += [{**base, "entry": e} for e in group if e.status == EntryStatus.SKIPPED]
        if not submitted:
            continue
        waiting = [e for e in submitted if e.feedback_at is None]
        if ref.exercise.repeatable:
            cls = worksheet_class(ref.exercise.type)
            series.append(
                {
                    **base,
                    "summary": cls.summarize(ref.exercise, submitted[-SERIES_LIMIT:], lang),
                    "awaiting": len(waiting),
                    "latest": submitted[-1],
                }
            )
            if waiting:
                awaiting.append(
                    {
                        **base,
                        "entry": waiting[-1],
                        "repeatable": True,
                        "count": len(waiting),
                        "since": waiting[0].submitted_at,
                    }
                )
        else:
            awaiting += [
                {**base, "entry": e, "repeatable": False, "count": 1, "since": e.submitted_at}
                for e in waiting
            ]
            answered += [{**base, "entry": e} for e in submitted if e.feedback_at is not None]
    awaiting.sort(key=lambda item: item["since"])
    answered.sort(key=lambda item: item["entry"].submitted_at, reverse=True)
    moments = list(
        HardMoment.objects.filter(enrollment__patient=obj)
        .select_related("seen_by", "version__program", "enrollment")
        .order_by("seen_at", "-created_at")[:50]
    )
    for moment in moments:
        found = titles.get((moment.version_id, moment.module_key, moment.exercise_key))
        if found is None:
            module = moment.version.package.program.module(moment.module_key)
            exercise = module.exercise(moment.exercise_key) if module else None
            found = (exercise.title.text(lang) if exercise else moment.exercise_key, "")
        moment.exercise_title = found[0]
    moments.sort(key=lambda m: (m.seen_at is not None, -m.created_at.timestamp()))
    return render(
        request,
        "exercises/patient_exercises.html",
        {
            "patient": obj,
            "lang": lang,
            "moments": moments,
            "can_mark_seen": is_care_team(request.user, obj),
            "awaiting": awaiting,
            "series": series,
            "answered": answered,
            "skipped": skipped,
        },
    )
