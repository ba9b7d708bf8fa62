"""The patient answers questionnaires (one item per screen or one page, resumable) and
sees the result explained, with their trend."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import _as_uuid, require_role
from tandem.assessments import charts, services
from tandem.assessments.errors import ScoringError
from tandem.assessments.forms import StepForm, instrument_name
from tandem.assessments.models import (
    Assignment,
    AssignmentState,
    Draft,
    Response,
)
from tandem.assessments.schema import Followup, InstrumentDefinition, Item, text_in
from tandem.assessments.views.common import (
    _chart_for,
    _definition,
    _history,
    _language,
    _rows,
    _with_names,
)
from tandem.audit import services as audit
from tandem.safety import services as safety

logger = logging.getLogger(__name__)


# --- steps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    items: tuple[Item, ...] = ()
    followup: Followup | None = None

    @property
    def is_followup(self) -> bool:
        return self.followup is not None


def _skipped(definition: InstrumentDefinition, answers: dict[int, int]) -> set[int]:
    full = {item.number: answers.get(item.number) for item in definition.items}
    skipped: set[int] = set()
    for rule in definition.scoring.skip_logic:
        if rule.applies(full):
            skipped.update(rule.skip)
    return skipped


def _asked(followup: Followup, answers: dict[int, int]) -> bool:
    return followup.ask_when.test(answers.get(followup.item))


def steps_for(definition: InstrumentDefinition, answers: dict[int, int], mode: str) -> list[Step]:
    """The screens of a questionnaire given the answers so far: one item per screen (or
    all on one page), with the follow-up questions right after the item that needs them,
    and without the items the instrument's skip logic leaves out."""
    skipped = _skipped(definition, answers)
    items = [item for item in definition.items if item.number not in skipped]
    followups = [f for f in definition.followups if _asked(f, answers)]
    if mode == Draft.Mode.PAGE:
        return [Step(items=tuple(items)), *(Step(followup=f) for f in followups)]
    steps: list[Step] = []
    for item in items:
        steps.append(Step(items=(item,)))
        steps.extend(Step(followup=f) for f in followups if f.item == item.number)
    return steps


# --- patient: list, fill, result ---------------------------------------------------------------


def _own_assignment(request: HttpRequest, key: object, *, with_draft: bool = False) -> Assignment:
    value = _as_uuid(key)
    assignment = None
    if value is not None:
        related = ["patient__clinic"] + (["draft"] if with_draft else [])
        assignment = (
            Assignment.objects.select_related(*related)
            .filter(uuid=value, patient__user=request.user)
            .first()
        )
    if assignment is None:
        audit.record(
            actor=request.user,
            action="assessments.assignment.access_denied",
            request=request,
            outcome="denied",
            detail={"assignment_uuid": str(key)[:64]},
        )
        raise Http404
    assignment.patient.user = request.user  # the query's own condition: no join needed
    return assignment


@require_role(Role.PATIENT)
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise Http404
    due = services.due_for(patient)
    done = list(
        Response.objects.filter(patient=patient)
        .select_related("assignment")
        .order_by("-submitted_at")[:30]
    )
    for response in done:
        definition = _definition(response.instrument)
        response.display_name = definition.short_name if definition else response.instrument
        response.band_display = (
            charts.band_label(definition, response.band, _language()) if definition else ""
        )
    return render(
        request,
        "assessments/questionnaire_list.html",
        {"due_assignments": _with_names(due), "done": done},
    )


def _mode(request: HttpRequest, draft: Draft | None) -> str:
    value = request.POST.get("mode") or request.GET.get("mode")
    if value in Draft.Mode.values:
        return value
    return draft.mode if draft is not None else Draft.Mode.ITEM


def _resume_index(steps: list[Step], answers: dict[int, int], followup: dict) -> int:
    """Where to continue: the first screen with an unanswered question."""
    for position, step in enumerate(steps):
        if any(item.number not in answers for item in step.items if item.required):
            return position
        if step.followup and any(q.id not in followup for q in step.followup.questions):
            return position
    return len(steps) - 1


def _index(request: HttpRequest, steps: list[Step], resume: int) -> int:
    raw = request.POST.get("step") if request.method == "POST" else request.GET.get("step")
    if raw is None:
        return resume
    try:
        index = int(raw)
    except (TypeError, ValueError):
        index = resume
    return min(max(index, 0), len(steps) - 1)


def _step_url(assignment: Assignment, index: int, mode: str) -> str:
    return reverse("questionnaire_fill", args=[assignment.uuid]) + f"?step={index}&mode={mode}"


def _progress(definition: InstrumentDefinition, steps: list[Step], index: int) -> dict[str, Any]:
    item_steps = [s for s in steps if not s.is_followup]
    step = steps[index]
    if step.is_followup:
        current = sum(1 for s in steps[: index + 1] if not s.is_followup)
    else:
        current = item_steps.index(step) + 1
    asked = sum(len(s.items) for s in item_steps)
    return {
        "current": current,
        "total": len(item_steps),
        "items": asked,
        "is_last": index == len(steps) - 1,
        "is_first": index == 0,
    }


def _render_step(
    request: HttpRequest,
    assignment: Assignment,
    definition: InstrumentDefinition,
    steps: list[Step],
    index: int,
    mode: str,
    form: StepForm,
    status: int = 200,
) -> HttpResponse:
    step = steps[index]
    crisis = None
    if step.is_followup:
        crisis = safety.crisis_resources(clinic=assignment.patient.clinic, language=_language())
    language = _language()
    return render(
        request,
        "assessments/fill.html",
        {
            "assignment": assignment,
            "definition": definition,
            "name": instrument_name(definition, language),
            "instructions": text_in(definition.instructions, language)
            if definition.instructions
            else "",
            "step": step,
            "index": index,
            "mode": mode,
            "other_mode": Draft.Mode.PAGE if mode == Draft.Mode.ITEM else Draft.Mode.ITEM,
            "progress": _progress(definition, steps, index),
            "form": form,
            "crisis": crisis,
            "intro": text_in(step.followup.intro, language)
            if step.is_followup and step.followup.intro
            else "",
        },
        status=status,
    )


def _failed(request: HttpRequest, assignment: Assignment) -> HttpResponse:
    """Saving failed (database or alerting down). Nothing was stored, so the patient is
    told to phone, and sees the crisis resources from the clinic's configuration. 200, so
    that no proxy replaces this page with its own error page."""
    crisis = safety.crisis_resources(clinic=assignment.patient.clinic, language=_language())
    return render(
        request, "assessments/failed.html", {"assignment": assignment, "crisis": crisis}, status=200
    )


@require_role(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def questionnaire_fill(request: HttpRequest, assignment: str) -> HttpResponse:
    obj = _own_assignment(request, assignment, with_draft=True)
    if obj.completed_at is not None:
        if request.method == "POST":
            messages.info(request, _("You have already sent these answers. Thank you."))
        return redirect("questionnaire_result", assignment=obj.uuid)
    definition = _definition(obj.instrument)
    if definition is None:
        messages.error(
            request,
            _("This questionnaire cannot be opened right now. Please tell your therapist."),
        )
        return redirect("questionnaire_list")
    try:
        draft: Draft | None = obj.draft  # read with the assignment (one query)
    except Draft.DoesNotExist:
        draft = None
    state = obj.state()
    if state == AssignmentState.UPCOMING:
        messages.info(request, _("This questionnaire is not open yet."))
        return redirect("questionnaire_list")
    if state == AssignmentState.MISSED and draft is None:
        messages.info(request, _("This questionnaire has closed. You will get the next one."))
        return redirect("questionnaire_list")
    language = _language()
    mode = _mode(request, draft)
    answers = services.draft_answers(draft)
    followup: dict[str, bool | None] = dict(draft.followup) if draft else {}
    steps = steps_for(definition, answers, mode)
    index = _index(request, steps, _resume_index(steps, answers, followup))

    if request.method != "POST":
        step = steps[index]
        initial: dict[str, Any] = {"instrument": definition.code, "token": uuid.uuid4().hex}
        initial.update({f"item_{i.number}": answers.get(i.number) for i in step.items})
        if step.followup:
            initial.update(
                {
                    f"fu_{q.id}": ("yes" if followup.get(q.id) else "no")
                    for q in step.followup.questions
                    if q.id in followup
                }
            )
        form = StepForm(
            initial=initial,
            definition=definition,
            items=step.items,
            followup=step.followup,
            language=language,
        )
        return _render_step(request, obj, definition, steps, index, mode, form)

    action = request.POST.get("action", "next")
    step = steps[index]
    form = StepForm(
        request.POST,
        definition=definition,
        items=step.items,
        followup=step.followup,
        language=language,
        require=action != "back",
    )
    if not form.is_valid():
        status = 400 if "instrument" in form.errors else 200
        return _render_step(request, obj, definition, steps, index, mode, form, status)
    for number, value in form.answers().items():
        if value is None:
            answers.pop(number, None)
        else:
            answers[number] = value
    followup.update({k: v for k, v in form.followup_answers().items() if v is not None})
    steps = steps_for(definition, answers, mode)
    asked = {q.id for s in steps if s.followup for q in s.followup.questions}
    followup = {k: v for k, v in followup.items() if k in asked}

    def keep() -> None:
        services.save_draft(assignment=obj, answers=answers, followup=followup, mode=mode)

    if action == "back":
        keep()
        return redirect(_step_url(obj, max(index - 1, 0), mode))
    if index + 1 < len(steps):
        keep()
        return redirect(_step_url(obj, index + 1, mode))
    # The last screen: the answers go straight into the response; they are kept as a
    # draft only when they cannot be stored as one (gaps, refused, saving failed).
    return _submit(request, obj, definition, steps, mode, answers, followup, form, keep)


def _submit(
    request: HttpRequest,
    assignment: Assignment,
    definition: InstrumentDefinition,
    steps: list[Step],
    mode: str,
    answers: dict[int, int],
    followup: dict[str, bool | None],
    form: StepForm,
    keep: Callable[[], None],
) -> HttpResponse:
    # Every screen answered? Send the patient back to the first gap.
    for position, step in enumerate(steps):
        gaps = [i for i in step.items if i.required and i.number not in answers]
        unanswered = step.followup and any(q.id not in followup for q in step.followup.questions)
        if gaps or unanswered:
            keep()
            messages.error(request, _("Please answer this question before sending."))
            return redirect(_step_url(assignment, position, mode))
    skipped = _skipped(definition, answers)
    values = {n: v for n, v in answers.items() if n not in skipped}
    try:
        services.submit_response(
            actor=request.user,
            assignment=assignment,
            answers=values,
            followup=followup or None,
            idempotency_key=form.cleaned_data.get("token") or "",
            language=_language(),
        )
    except services.AlreadySubmitted:
        messages.info(request, _("You have already sent these answers. Thank you."))
    except ScoringError:
        logger.warning("response to %s refused by scoring", assignment.uuid, exc_info=True)
        keep()
        messages.error(
            request,
            _("Some answers could not be accepted. Please check them and send again."),
        )
        return redirect(_step_url(assignment, 0, mode))
    except PermissionDenied as exc:
        raise Http404 from exc
    except Exception:
        logger.exception("saving the response to %s failed", assignment.uuid)
        try:
            keep()  # if the database is still there, the answers wait as a draft
        except Exception:
            logger.exception("keeping the answers to %s as a draft failed", assignment.uuid)
        return _failed(request, assignment)
    return redirect("questionnaire_result", assignment=assignment.uuid)


@require_role(Role.PATIENT)
def questionnaire_result(request: HttpRequest, assignment: str) -> HttpResponse:
    obj = _own_assignment(request, assignment)
    response = Response.objects.filter(assignment=obj).select_related("baseline").first()
    if response is None:
        return redirect("questionnaire_fill", assignment=obj.uuid)
    definition = _definition(response.instrument)
    if definition is None:
        raise Http404
    language = _language()
    crisis = None
    if response.critical:
        crisis = safety.crisis_resources(clinic=obj.patient.clinic, language=language)
    history = _history(obj.patient_id, response.instrument)
    band = next((b for b in definition.bands if b.label == response.band), None)
    return render(
        request,
        "assessments/result.html",
        {
            "assignment": obj,
            "response": response,
            "definition": definition,
            "name": instrument_name(definition, language),
            "band_display": charts.band_label(definition, response.band, language),
            "band_position": definition.bands.index(band) + 1 if band else None,
            "band_count": len(definition.bands),
            "recall": text_in(definition.recall_period, language)
            if definition.recall_period
            else "",
            "higher_is_worse": definition.direction == "higher_is_worse",
            "crisis": crisis,
            "chart": _chart_for(definition, history, "trend"),
            "rows": _rows(definition, history),
        },
    )
