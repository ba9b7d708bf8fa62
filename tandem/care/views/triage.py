"""Who needs me today and why: the ranked triage list, and the in-place actions on its
rows (snooze, resolve, record outreach). A resolved row disappears: the actions answer an
htmx request with the list's ``rows`` fragment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import CareTeamMember, Patient, Role
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.care import ladder, services
from tandem.care import signals as sig
from tandem.care.forms import OutreachForm, SnoozeForm
from tandem.care.kinds import ACTIONS, DISENGAGEMENT, Action, SignalKind
from tandem.care.models import OutreachStep, Signal, SignalState
from tandem.care.policies import signal_for
from tandem.care.texts import signal_text
from tandem.care.views.common import is_htmx, language, page_number

PAGE_SIZE = 25
COUNT_CAP = 1000  # "1000+": nobody works down further, and counting stays bounded
COVER_LIMIT = 5000


@dataclass
class Row:
    """One line of the triage list."""

    signal: Signal
    text: str
    kind_label: str
    action: Action | None
    action_arg: Any
    late: bool
    next_step: str | None
    next_step_label: str
    urls: dict[str, str]

    @property
    def patient(self) -> Any:
        return self.signal.patient


_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


def _url_makers() -> dict[str, str]:
    """The row actions' URLs, reversed once per page (the signal's id filled in)."""
    return {
        name: reverse(f"care_{name}", args=[_PLACEHOLDER])
        for name in ("signal_snooze", "signal_resolve", "outreach")
    } | {"patient": reverse("care_patient", args=[_PLACEHOLDER])}


def _action_arg(signal: Signal, action: Action) -> Any:
    if action.arg == "ref":
        return signal.ref_uuid
    if action.arg == "enrollment":
        return signal.enrollment.uuid if signal.enrollment_id else None
    if action.arg == "patient":
        return signal.patient.uuid
    return None


def rows_for(signals: list[Signal], now: datetime, lang: str) -> list[Row]:
    out = []
    makers = _url_makers()
    for signal in signals:
        key, patient_key = str(signal.uuid), str(signal.patient.uuid)
        urls = {
            name: template.replace(_PLACEHOLDER, patient_key if name == "patient" else key)
            for name, template in makers.items()
        }
        action = ACTIONS.get(signal.kind)
        arg = _action_arg(signal, action) if action else None
        if action is not None and arg is None:
            action = Action(_("Open the overview"), "care_patient", "patient")
            arg = signal.patient.uuid
        step = None
        if signal.kind in DISENGAGEMENT:
            done = [ladder.Done(s.step, s.outcome) for s in signal.outreach.all()]
            step = ladder.next_step(done)
        out.append(
            Row(
                signal=signal,
                text=signal_text(signal, now, lang),
                kind_label=str(SignalKind(signal.kind).label),
                action=action,
                action_arg=arg,
                late=signal.due_at is not None and signal.due_at <= now,
                next_step=step,
                next_step_label=str(ladder.Step(step).label) if step else "",
                urls=urls,
            )
        )
    return out


SIGNAL_FIELDS = (
    "uuid",
    "kind",
    "priority",
    "due_at",
    "due_priority",
    "reason_code",
    "reason_params",
    "since",
    "state",
    "ref_uuid",
    "patient_id",
    "enrollment_id",
    "patient__uuid",
    "patient__clinic_id",
    "patient__user__full_name",
    "enrollment__uuid",
)


def _sources(user: Any, now: datetime) -> list[QuerySet[Signal]]:
    """Where the user's open signals are, each an index range in triage order.

    A therapist: the signals of their primary patients (``therapist`` is denormalised
    onto the signal), plus — when they cover others — the cover patients' signals. A
    supervisor: the clinic's. The rows shown are re-checked through the scoped patient
    path (``_checked``: a correlated check, so it costs per row read, not per patient of
    the caseload); the bounded count reads the index alone.
    """
    open_ = Signal.objects.filter(state=SignalState.OPEN)
    if user.role == Role.SUPERVISOR:
        sources = [open_.filter(clinic_id=user.clinic_id)]
    else:
        sources = [open_.filter(therapist=user)]
        cover = list(
            CareTeamMember.objects.active(now)
            .filter(therapist=user)
            .exclude(team_role=CareTeamMember.TeamRole.PRIMARY)
            .order_by()
            .values_list("patient_id", flat=True)[:COVER_LIMIT]
        )
        if cover:
            sources.append(open_.filter(patient_id__in=cover).exclude(therapist=user))
    return sources


def _checked(source: QuerySet[Signal], user: Any) -> QuerySet[Signal]:
    visible = Patient.objects.for_user(user).filter(pk=OuterRef("patient_id"))
    return source.filter(Exists(visible))


def triage_context(request: HttpRequest) -> dict[str, Any]:
    """The list for the requesting user — a fixed number of queries, and a cost that
    follows the rows shown, not the caseload — and its audit entry (one per view)."""
    user = request.user
    now = timezone.now()
    problems: list[str] = []
    kind = (request.GET.get("kind") or "").strip()
    if kind and kind not in SignalKind.values:
        problems.append(_("Unknown signal type; showing every signal."))
        kind = ""
    page = page_number(request.GET.get("page"), problems)
    sources = _sources(user, now)
    if kind:
        sources = [source.filter(kind=kind) for source in sources]
    available = sum(source.order_by()[: COUNT_CAP + 1].count() for source in sources)
    capped = available > COUNT_CAP
    available = min(available, COUNT_CAP)
    last_page = max((available + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    if page > last_page:
        problems.append(_("That page does not exist; showing the last page."))
        page = last_page
    offset = (page - 1) * PAGE_SIZE
    found: list[Signal] = []
    for source in sources:
        found.extend(
            _checked(source, user)
            .order_by(*sig.ORDER)
            .select_related("patient__user", "enrollment")
            .only(*SIGNAL_FIELDS)[: offset + PAGE_SIZE]
        )
    found.sort(key=lambda s: (s.priority, s.since, s.pk))
    signals = found[offset : offset + PAGE_SIZE]
    prefetch_related_objects(
        signals,
        Prefetch(
            "outreach",
            queryset=OutreachStep.objects.order_by("done_at", "pk").only(
                "signal_id", "step", "outcome", "done_at"
            ),
        ),
    )
    audit.record(
        actor=user,
        action="care.triage.viewed",
        request=request,
        detail={"rows": len(signals), "page": page, "kind": kind},
    )
    return {
        "rows": rows_for(signals, now, language(request)),
        "kinds": SignalKind.choices,
        "kind": kind,
        "available": available,
        "capped": capped,
        "page": page,
        "last_page": last_page,
        "problems": problems,
        "snooze_form": SnoozeForm(),
        "outreach_steps": ladder.Step.choices,
        "outcomes": ladder.Outcome.choices,
        "outcome_options": format_html_join(
            "", '<option value="{}">{}</option>', ladder.Outcome.choices
        ),
        "today": timezone.localdate(),
        "today_iso": timezone.localdate().isoformat(),
        "page_str": str(page),
        "now": now,
    }


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    context = triage_context(request)
    if is_htmx(request) and request.GET.get("fragment") == "rows":
        return render(request, "care/triage.html#rows", context)
    for problem in context["problems"]:
        messages.warning(request, problem)
    return render(request, "care/triage.html", context)


def _after(request: HttpRequest, fallback: str = "care_triage") -> HttpResponse:
    """Back to the triage rows (htmx) or to where the form was (``next``), else triage."""
    if is_htmx(request):
        context = triage_context(request)
        return render(request, "care/triage.html#rows", context)
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _refuse(request: HttpRequest, exc: ValidationError, status: int = 400) -> HttpResponse:
    text = " ".join(exc.messages)
    if is_htmx(request):
        context = triage_context(request)
        context["error"] = text
        return render(request, "care/triage.html#rows", context, status=status)
    messages.error(request, text)
    return _after(request)


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_POST
def signal_snooze(request: HttpRequest, signal: str) -> HttpResponse:
    obj = signal_for(request, signal, action="care.signal.viewed")
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        return _refuse(request, ValidationError(errors or _("Choose a date in the future.")))
    try:
        services.snooze(
            actor=request.user,
            signal=obj,
            until=form.until_moment(),
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        return _refuse(request, exc)
    if not is_htmx(request):
        messages.success(request, _("Snoozed. It will show again on the date you chose."))
    return _after(request)


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_POST
def signal_resolve(request: HttpRequest, signal: str) -> HttpResponse:
    obj = signal_for(request, signal, action="care.signal.viewed")
    try:
        services.resolve_signal(actor=request.user, signal=obj, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        return _refuse(request, exc)
    if not is_htmx(request):
        messages.success(request, _("Marked as dealt with."))
    return _after(request)


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_POST
def outreach(request: HttpRequest, signal: str) -> HttpResponse:
    obj = signal_for(request, signal, action="care.signal.viewed")
    form = OutreachForm(request.POST)
    if not form.is_valid():
        return _refuse(request, ValidationError(_("Choose what you did and what came of it.")))
    try:
        services.record_outreach(
            actor=request.user,
            signal=obj,
            step=form.cleaned_data["step"],
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        return _refuse(request, exc)
    if not is_htmx(request):
        messages.success(request, _("Outreach recorded."))
    return _after(request)
