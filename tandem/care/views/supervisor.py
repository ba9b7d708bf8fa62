"""The supervisor's view of the clinic: workload per therapist (patients, open signals,
replies past the promise, minutes this week), unacknowledged alerts, snoozed signals,
what outreach achieved; and the clinic's signal rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.models import Role, User
from tandem.accounts.policies import require_role
from tandem.audit import services as audit
from tandem.care import ladder, rules, services
from tandem.care import signals as sig
from tandem.care.forms import RuleForm
from tandem.care.kinds import SPECS, SignalKind
from tandem.care.models import CaseloadRow, OutreachStep, Signal, SignalRule, SignalState
from tandem.care.views.common import week_bounds
from tandem.care.views.time import therapist_minutes

LIST_LIMIT = 100
OUTREACH_DAYS = 180


@require_role(Role.SUPERVISOR)
@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    user = request.user
    clinic_id = user.clinic_id
    now = timezone.now()
    _monday, start, end = week_bounds(None, [])
    therapists = list(
        User.objects.filter(clinic_id=clinic_id, role=Role.THERAPIST, is_active=True)
        .order_by("full_name")
        .only("uuid", "full_name")
    )
    patients = {
        row["primary_therapist_id"]: row["n"]
        for row in CaseloadRow.objects.filter(clinic_id=clinic_id)
        .values("primary_therapist_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    by_therapist = {
        row["therapist_id"]: row
        for row in Signal.objects.filter(clinic_id=clinic_id, state=SignalState.OPEN)
        .values("therapist_id")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(kind=SignalKind.MESSAGE_WAITING, due_at__lte=now)),
        )
        .order_by()
    }
    minutes = therapist_minutes(clinic_id, start, end)
    planned = services.planned_minutes(clinic_id)
    workload = [
        {
            "therapist": t,
            "patients": patients.get(t.pk, 0),
            "open": by_therapist.get(t.pk, {}).get("open", 0),
            "overdue": by_therapist.get(t.pk, {}).get("overdue", 0),
            "minutes": minutes.get(t.pk, 0),
            "budget": patients.get(t.pk, 0) * planned,
        }
        for t in therapists
    ]
    unassigned = by_therapist.get(None, {})
    alerts = _open_alerts(user)
    snoozed = list(
        Signal.objects.filter(clinic_id=clinic_id, state=SignalState.SNOOZED)
        .select_related("patient__user", "snoozed_by")
        .order_by("snoozed_until", "pk")[:LIST_LIMIT]
    )
    outcomes = _outreach_summary(clinic_id, now)
    audit.record(
        actor=user,
        action="care.supervisor.viewed",
        request=request,
        detail={"alerts": len(alerts), "snoozed": len(snoozed), "therapists": len(workload)},
    )
    return render(
        request,
        "care/supervisor.html",
        {
            "workload": workload,
            "unassigned": unassigned,
            "alerts": alerts,
            "snoozed": snoozed,
            "outcomes": outcomes,
            "planned": planned,
            "now": now,
        },
    )


def _open_alerts(user: Any) -> list[Any]:
    from django.apps import apps

    if not apps.is_installed("tandem.safety"):
        return []
    from tandem.safety.policies import visible_alerts

    return list(
        visible_alerts(user)
        .open()
        .triage_order()
        .select_related("patient__user", "assigned_to", "escalated_to")[:LIST_LIMIT]
    )


def _outreach_summary(clinic_id: int, now: Any) -> list[dict[str, Any]]:
    """Per step: how often it was taken and what came of it (last 180 days)."""
    counts: dict[str, dict[str, int]] = {}
    for row in (
        OutreachStep.objects.filter(
            clinic_id=clinic_id, done_at__gte=now - timedelta(days=OUTREACH_DAYS)
        )
        .values("step", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts.setdefault(row["step"], {})[row["outcome"]] = row["n"]
    out = []
    for step, label in ladder.Step.choices:
        by_outcome = counts.get(step, {})
        total = sum(by_outcome.values())
        re_engaged = by_outcome.get(ladder.Outcome.RE_ENGAGED, 0)
        out.append(
            {
                "step": label,
                "total": total,
                "outcomes": [
                    (str(olabel), by_outcome[code])
                    for code, olabel in ladder.Outcome.choices
                    if by_outcome.get(code)
                ],
                "re_engaged_share": round(100 * re_engaged / total) if total else None,
            }
        )
    return out


@require_role(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def rules_view(request: HttpRequest) -> HttpResponse:
    """The clinic's signal rules: each kind on or off, its days and priority, clinic-wide
    or for one program. Safety alerts cannot be turned off."""
    user = request.user
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rule(
                actor=user,
                kind=form.cleaned_data["kind"],
                program_code=form.cleaned_data["program_code"] or "",
                enabled=form.cleaned_data["enabled"],
                days=form.cleaned_data["days"],
                priority=form.cleaned_data["priority"],
                request=request,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Rule saved. It applies from the next run."))
            return redirect("care_rules")
    table = sig.rule_table(user.clinic_id)
    defaults = [
        {
            "kind": code,
            "label": label,
            "priority": SPECS[code].priority,
            "days": rules.DEFAULT_DAYS.get(code),
            "rule": table.get(("", code)),
        }
        for code, label in SignalKind.choices
    ]
    overrides = list(
        SignalRule.objects.filter(clinic_id=user.clinic_id).order_by("kind", "program_code")
    )
    return render(
        request,
        "care/rules.html",
        {"form": form, "defaults": defaults, "overrides": overrides, "silence": rules.SILENCE},
    )
