"""The caseload: every patient with program, guidance, progress against the agreed pace,
last activity, latest scores and change since baseline, open signals, adherence and
dropout risk. Sortable, filterable, searchable and paginated in a fixed number of
queries: it reads the scoped patient path joined to the denormalised ``CaseloadRow``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import CareTeamMember, Patient, Role, User
from tandem.accounts.policies import _as_uuid, require_role
from tandem.audit import services as audit
from tandem.care import adherence, services
from tandem.care.kinds import SignalKind
from tandem.care.models import CaseloadRow, Signal, SignalState
from tandem.care.texts import instrument_name, number
from tandem.care.views.common import is_htmx, page_number
from tandem.programs.models import EnrollmentStatus, GuidanceMode, Program

PAGE_SIZE = 25
COVER_LIMIT = 5000
NAME = "patient__user__full_name"

SORTS: dict[str, tuple[Any, ...]] = {
    "attention": ("attention", "id"),  # an index range (see CaseloadRow.Meta)
    "name": (NAME, "id"),
    "-name": ("-" + NAME, "-id"),
    "risk": ("-risk_score", "attention", "id"),
    "activity": (F("last_activity_at").asc(nulls_first=True), "id"),
    "-activity": (F("last_activity_at").desc(nulls_last=True), "id"),
    "progress": ("-progress_gap", "attention", "id"),
    "signals": ("-open_signals", "attention", "id"),
    "program": ("program_code", "attention", "id"),
}
SORT_LABELS = {
    "attention": gettext_lazy("Needs attention first"),
    "name": gettext_lazy("Name A–Z"),
    "-name": gettext_lazy("Name Z–A"),
    "risk": gettext_lazy("Dropout risk"),
    "activity": gettext_lazy("Longest without activity"),
    "-activity": gettext_lazy("Most recently active"),
    "progress": gettext_lazy("Furthest behind the pace"),
    "signals": gettext_lazy("Most open signals"),
    "program": gettext_lazy("Program"),
}
STATUSES = (*EnrollmentStatus.values, "none")
RISKS = ("high", "medium", "low")


def _filters(request: HttpRequest, problems: list[str]) -> dict[str, str]:
    get = request.GET
    chosen = {
        "q": (get.get("q") or "").strip()[:100],
        "sort": (get.get("sort") or "attention").strip(),
        "program": (get.get("program") or "").strip()[:50],
        "status": (get.get("status") or "").strip(),
        "risk": (get.get("risk") or "").strip(),
        "signal": (get.get("signal") or "").strip(),
        "therapist": (get.get("therapist") or "").strip(),
    }
    if chosen["sort"] not in SORTS:
        problems.append(_("Unknown sort order; sorted by who needs attention first."))
        chosen["sort"] = "attention"
    if chosen["status"] and chosen["status"] not in STATUSES:
        problems.append(_("Unknown status; showing every status."))
        chosen["status"] = ""
    if chosen["risk"] and chosen["risk"] not in RISKS:
        problems.append(_("Unknown risk level; showing every level."))
        chosen["risk"] = ""
    if chosen["signal"] and chosen["signal"] not in SignalKind.values:
        problems.append(_("Unknown signal type; showing every patient."))
        chosen["signal"] = ""
    if chosen["therapist"] and _as_uuid(chosen["therapist"]) is None:
        problems.append(_("Unknown therapist; showing every therapist."))
        chosen["therapist"] = ""
    return chosen


def _rows_for(user: Any, now: Any) -> QuerySet[CaseloadRow]:
    """The caseload rows of the user: a supervisor's clinic; a therapist's primary
    patients (``primary_therapist`` is denormalised: an index range in the default
    order) and the patients they cover (from the care team itself)."""
    if user.role == Role.SUPERVISOR:
        return CaseloadRow.objects.filter(clinic_id=user.clinic_id)
    mine = Q(primary_therapist=user)
    cover = list(
        CareTeamMember.objects.active(now)
        .filter(therapist=user)
        .exclude(team_role=CareTeamMember.TeamRole.PRIMARY)
        .order_by()
        .values_list("patient_id", flat=True)[:COVER_LIMIT]
    )
    if cover:
        mine |= Q(patient_id__in=cover, clinic_id=user.clinic_id)
    return CaseloadRow.objects.filter(mine)


def caseload_context(request: HttpRequest) -> dict[str, Any]:
    """One page of the caseload in a fixed number of queries. Counting, filtering and
    ordering read the denormalised rows; the rows shown are re-checked through the
    scoped path (``Patient.objects.for_user``) before anything about them is shown."""
    user = request.user
    now = timezone.now()
    problems: list[str] = []
    chosen = _filters(request, problems)
    programs = list(Program.objects.order_by("code").values_list("code", flat=True))
    if chosen["program"] and chosen["program"] not in programs:
        problems.append(_("Unknown program; showing every program."))
        chosen["program"] = ""
    rows = _rows_for(user, now)
    if chosen["q"]:
        rows = rows.filter(patient__user__full_name__icontains=chosen["q"])
    if chosen["program"]:
        rows = rows.filter(program_code=chosen["program"])
    if chosen["status"] == "none":
        rows = rows.filter(status="")
    elif chosen["status"]:
        rows = rows.filter(status=chosen["status"])
    if chosen["risk"]:
        rows = rows.filter(risk=chosen["risk"])
    if chosen["signal"]:
        rows = rows.filter(
            Exists(
                Signal.objects.filter(
                    patient_id=OuterRef("patient_id"),
                    state=SignalState.OPEN,
                    kind=chosen["signal"],
                )
            )
        )
    therapists: list[User] = []
    if user.role == Role.SUPERVISOR:
        therapists = list(
            User.objects.filter(clinic_id=user.clinic_id, role=Role.THERAPIST, is_active=True)
            .order_by("full_name")
            .only("uuid", "full_name")
        )
        if chosen["therapist"]:
            rows = rows.filter(primary_therapist__uuid=_as_uuid(chosen["therapist"]))
    order = SORTS[chosen["sort"]]
    # The page's ids first (an index range for the default order, however deep the
    # page), then those rows with what they show.
    paginator = Paginator(rows.order_by(*order).values_list("id", flat=True), PAGE_SIZE)
    number_asked = page_number(request.GET.get("page"), problems)
    if number_asked > paginator.num_pages:
        problems.append(_("That page does not exist; showing the last page."))
        number_asked = paginator.num_pages
    page = paginator.page(number_asked)
    ids = list(page.object_list)
    by_id = {
        r.pk: r
        for r in CaseloadRow.objects.filter(pk__in=ids)
        .select_related("patient__user", "enrollment", "primary_therapist")
        .only(
            *ROW_FIELDS,
            "patient__uuid",
            "patient__clinic_id",
            "patient__user__full_name",
            "enrollment__uuid",
            "primary_therapist__full_name",
        )
    }
    shown = [by_id[pk] for pk in ids if pk in by_id]
    visible = set(
        Patient.objects.for_user(user)
        .filter(pk__in=[r.patient_id for r in shown])
        .values_list("pk", flat=True)
    )
    items = [_row(r, now) for r in shown if r.patient_id in visible]
    audit.record(
        actor=user,
        action="care.caseload.viewed",
        request=request,
        detail={
            "rows": len(items),
            "page": page.number,
            "filters": {k: v for k, v in chosen.items() if v and k != "q"},
            "search": bool(chosen["q"]),
        },
    )
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "page": page,
        "rows": items,
        "chosen": chosen,
        "problems": problems,
        "programs": programs,
        "statuses": [(s, str(EnrollmentStatus(s).label)) for s in EnrollmentStatus.values]
        + [("none", _("No program"))],
        "risks": [(r, adherence.risk_label(r)) for r in RISKS],
        "kinds": SignalKind.choices,
        "sorts": list(SORT_LABELS.items()),
        "therapists": therapists,
        "query": params.urlencode(),
        "now": now,
    }


ROW_FIELDS = (
    "id",
    "patient_id",
    "enrollment_id",
    "primary_therapist_id",
    "program_code",
    "guidance_mode",
    "status",
    "last_activity_at",
    "modules_completed",
    "modules_expected",
    "modules_total",
    "progress_gap",
    "scores",
    "score_change",
    "open_signals",
    "open_kinds",
    "adherence",
    "risk",
    "risk_score",
    "risk_reasons",
    "active_days",
)


def _row(row: CaseloadRow, now: Any) -> dict[str, Any]:
    scores = []
    for code, score in sorted((row.scores or {}).items()):
        delta = score.get("delta")
        scores.append(
            {
                "name": instrument_name(code),
                "total": number(score.get("total")),
                "delta": (("+" if delta > 0 else "") + number(delta))
                if isinstance(delta, int | float)
                else "",
                "change": score.get("change") or "",
            }
        )
    return {
        "patient": row.patient,
        "row": row,
        "scores": scores,
        "guidance": str(GuidanceMode(row.guidance_mode).label)
        if row.guidance_mode in GuidanceMode.values
        else "",
        "days_since": adherence.days_between(row.last_activity_at, now),
        "adherence": adherence.status_label(row.adherence) if row.adherence else "",
        "risk": adherence.risk_label(row.risk) if row.risk else "",
        "reasons": adherence.reasons_text(row.risk_reasons),
        "kinds": [
            str(SignalKind(k).label) for k in (row.open_kinds or []) if k in SignalKind.values
        ],
    }


@require_role(Role.THERAPIST, Role.SUPERVISOR)
@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    context = caseload_context(request)
    if is_htmx(request) and request.GET.get("fragment") == "table":
        return render(request, "care/caseload.html#table", context)
    for problem in context["problems"]:
        messages.warning(request, problem)
    return render(request, "care/caseload.html", context)


@require_role(Role.SUPERVISOR)
@require_POST
def reassign(request: HttpRequest) -> HttpResponse:
    """Move the chosen patients of the clinic to another therapist (audited per patient;
    access changes on the next request)."""
    keys = [k for k in (_as_uuid(v) for v in request.POST.getlist("patient")) if k is not None]
    target = _as_uuid(request.POST.get("to"))
    patients = list(Patient.objects.for_user(request.user).filter(uuid__in=keys))
    to = (
        User.objects.filter(uuid=target, clinic_id=request.user.clinic_id).first()
        if target
        else None
    )
    back = request.POST.get("next") or ""
    if not keys or len(patients) != len(set(keys)):
        if keys:
            audit.record(
                actor=request.user,
                action="care.reassign.denied",
                request=request,
                outcome="denied",
                detail={"asked": len(set(keys)), "visible": len(patients)},
            )
            raise Http404
        messages.error(request, _("Choose at least one patient."))
        return _back(back)
    if to is None:
        messages.error(request, _("Choose an active therapist of your clinic."))
        return _back(back)
    try:
        moved = services.reassign(actor=request.user, patients=patients, to=to, request=request)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(back)
    messages.success(
        request,
        _("%(n)d patient(s) moved to %(name)s.") % {"n": moved, "name": to.full_name},
    )
    return _back(back)


def _back(target: str) -> HttpResponse:
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("care_caseload")
