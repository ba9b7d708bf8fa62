"""One page per patient with what the therapist needs before writing: programs and
progress against the pace, scores, current signals with the outreach ladder, the time
spent this week, and the timeline of events (by kind, in words — other apps' clinical
text stays behind their own views). Opening it is audited through ``patient_for``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import CareTeamMember, Role, User
from tandem.accounts.policies import patient_for, require_role
from tandem.care import adherence, ladder, services
from tandem.care.forms import OutcomeForm, SnoozeForm, TimeForm
from tandem.care.models import CaseloadRow, OutreachStep, Signal, SignalState, TimeEntry
from tandem.care.policies import step_for
from tandem.care.texts import category, event_text, instrument_name, number, status_word
from tandem.care.views.common import language, page_number
from tandem.care.views.triage import rows_for
from tandem.core.models import Event
from tandem.programs.models import Enrollment, GuidanceMode

TIMELINE_SIZE = 40
READ_ACTION = "care.patient.viewed"


def _enrollments(patient: Any, now: Any) -> list[dict[str, Any]]:
    from tandem.programs.services import expected_completed, slots

    out = []
    for enrollment in (
        Enrollment.objects.filter(patient=patient)
        .select_related("version__program")
        .defer("version__snapshot")
        .order_by("-started_at", "-pk")
    ):
        try:
            total = len(slots(enrollment))
            expected = expected_completed(enrollment=enrollment, now=now)
        except Exception:  # unreadable content must not hide the patient
            total = expected = 0
        out.append(
            {
                "enrollment": enrollment,
                "total": total,
                "expected": expected,
                "guidance": str(GuidanceMode(enrollment.guidance_mode).label)
                if enrollment.guidance_mode in GuidanceMode.values
                else enrollment.guidance_mode,
                "status": status_word(enrollment.status),
                "ongoing": enrollment.status in ("active", "paused"),
            }
        )
    return out


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def patient_overview(request: HttpRequest, patient: str) -> HttpResponse:
    obj = patient_for(request, patient, action=READ_ACTION)
    now = timezone.now()
    lang = language(request)
    problems: list[str] = []
    page = page_number(request.GET.get("timeline"), problems)
    enrollments = _enrollments(obj, now)
    versions = [e["enrollment"].version_id for e in enrollments]
    signals = list(
        Signal.objects.filter(patient=obj, state__in=(SignalState.OPEN, SignalState.SNOOZED))
        .select_related("patient__user", "enrollment", "snoozed_by")
        .prefetch_related(
            Prefetch("outreach", queryset=OutreachStep.objects.order_by("done_at", "pk"))
        )
        .order_by("priority", "since", "pk")
    )
    for signal in signals:
        signal.patient = obj
    resolved = list(
        Signal.objects.filter(patient=obj, state=SignalState.RESOLVED)
        .select_related("resolved_by")
        .order_by("-resolved_at", "-pk")[:10]
    )
    offset = (page - 1) * TIMELINE_SIZE
    events = list(
        Event.objects.filter(patient=obj)
        .select_related("actor")
        .only("kind", "occurred_at", "data", "actor__full_name", "actor__role")
        .order_by("-occurred_at", "-id")[offset : offset + TIMELINE_SIZE + 1]
    )
    more = len(events) > TIMELINE_SIZE
    timeline = [
        {
            "event": e,
            "text": event_text(e, lang, versions),
            "category": category(e.kind),
            "by_patient": e.actor_id == obj.user_id,
        }
        for e in events[:TIMELINE_SIZE]
    ]
    row = CaseloadRow.objects.filter(patient=obj).first()
    week_start = now - timedelta(days=now.weekday())
    week_start = week_start.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = (
        TimeEntry.objects.filter(patient=obj, started_at__gte=week_start).aggregate(
            total=Sum("minutes")
        )["total"]
        or 0
    )
    mine = list(
        TimeEntry.objects.filter(patient=obj, therapist=request.user).order_by(
            "-started_at", "-pk"
        )[:5]
    )
    team = list(CareTeamMember.objects.active(now).filter(patient=obj).select_related("therapist"))
    outreach = list(
        OutreachStep.objects.filter(patient=obj).select_related("done_by").order_by("-done_at")[:20]
    )
    therapists: list[User] = []
    if request.user.role == Role.SUPERVISOR:
        therapists = list(
            User.objects.filter(clinic_id=obj.clinic_id, role=Role.THERAPIST, is_active=True)
            .order_by("full_name")
            .only("uuid", "full_name")
        )
    scores = [
        {
            "name": instrument_name(code),
            "total": number(s.get("total")),
            "baseline": number(s.get("baseline")),
            "delta": number(s.get("delta")),
            "change": s.get("change") or "",
            "band": s.get("band") or "",
        }
        for code, s in sorted(((row.scores if row else None) or {}).items())
    ]
    for problem in problems:
        messages.warning(request, problem)
    return render(
        request,
        "care/patient.html",
        {
            "patient": obj,
            "enrollments": enrollments,
            "current": next((e for e in enrollments if e["ongoing"]), None),
            "rows": rows_for(signals, now, lang),
            "resolved": resolved,
            "timeline": timeline,
            "timeline_page": page,
            "more": more,
            "row": row,
            "risk": adherence.risk_label(row.risk) if row and row.risk else "",
            "reasons": adherence.reasons_text(row.risk_reasons) if row else "",
            "adherence": adherence.status_label(row.adherence) if row and row.adherence else "",
            "scores": scores,
            "minutes_week": minutes,
            "planned": services.planned_minutes(obj.clinic_id),
            "my_entries": mine,
            "team": team,
            "outreach": outreach,
            "therapists": therapists,
            "time_form": TimeForm(initial={"day": timezone.localdate()}),
            "outcome_form": OutcomeForm(),
            "snooze_form": SnoozeForm(),
            "outcomes": [c for c in ladder.Outcome.choices if c[0] != ladder.Outcome.PENDING],
            "today": timezone.localdate(),
            "now": now,
            "heartbeat": request.user.role == Role.THERAPIST,
        },
    )


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_POST
def outreach_outcome(request: HttpRequest, step: str) -> HttpResponse:
    obj = step_for(request, step, action="care.outreach.viewed")
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what came of it."))
        return redirect("care_patient", patient=obj.patient.uuid)
    try:
        services.record_outcome(
            actor=request.user,
            step=obj,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Outcome recorded."))
    return redirect("care_patient", patient=obj.patient.uuid)
