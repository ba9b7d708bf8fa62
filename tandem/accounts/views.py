"""Thin views: parse, authorise, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts import forms, services
from tandem.accounts.models import (
    BreakGlassGrant,
    CareTeamMember,
    Invitation,
    Patient,
    Role,
    User,
)
from tandem.accounts.policies import glass_grant, patient_for, require_role
from tandem.audit import services as audit
from tandem.audit.models import AuditEntry

PAGE_SIZE = 50


def _form_errors(form, exc: ValidationError) -> None:  # type: ignore[no-untyped-def]
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role == Role.PATIENT:
        return redirect("journey_home")  # the patient's side: tandem.journey
    if user.role in (Role.THERAPIST, Role.SUPERVISOR):
        return redirect("care_triage")
    if user.role == Role.ADMIN:
        return redirect("staff_list")
    return render(request, "accounts/researcher_home.html")


# --- patients (therapist, supervisor) --------------------------------------------------------


@require_role(Role.THERAPIST, Role.SUPERVISOR)
def patient_list(request: HttpRequest) -> HttpResponse:
    """The caseload: a fixed number of queries whatever its size."""
    query = (request.GET.get("q") or "").strip()[:100]
    patients = (
        Patient.objects.for_user(request.user)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "care_team",
                queryset=CareTeamMember.objects.active().select_related("therapist"),
                to_attr="active_team",
            )
        )
        .order_by("user__full_name", "pk")
    )
    if query:
        patients = patients.filter(user__full_name__icontains=query)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(
        actor=request.user,
        action="accounts.patient.listed",
        request=request,
        detail={"count": len(page.object_list), "page": page.number},
    )
    pending = Invitation.objects.filter(
        invited_by=request.user,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    return render(
        request,
        "accounts/patient_list.html",
        {"page": page, "query": query, "pending": pending},
    )


@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
def invite_patient(request: HttpRequest) -> HttpResponse:
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(
                actor=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=Role.PATIENT,
                request=request,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works for %(days)d days.")
                % {"email": form.cleaned_data["email"], "days": 7},
            )
            return redirect("patient_list")
    return render(request, "accounts/invite.html", {"form": form, "title": _("Invite a patient")})


@require_role(Role.THERAPIST, Role.SUPERVISOR, Role.PATIENT)
def patient_detail(request: HttpRequest, patient: str) -> HttpResponse:
    if request.user.role == Role.PATIENT:
        raise Http404
    obj = patient_for(request, patient, action="accounts.patient.viewed")
    team = CareTeamMember.objects.active().filter(patient=obj).select_related("therapist")
    grant = glass_grant(request.user, obj) if request.user.role == Role.THERAPIST else None
    add_form = (
        forms.CareTeamAddForm(clinic_id=obj.clinic_id)
        if request.user.role == Role.SUPERVISOR
        else None
    )
    recent = obj.events.select_related("actor").order_by("-occurred_at")[:20]
    return render(
        request,
        "accounts/patient_detail.html",
        {"patient": obj, "team": team, "grant": grant, "add_form": add_form, "events": recent},
    )


@require_role(Role.SUPERVISOR)
@require_POST
def care_team_add(request: HttpRequest, patient: str) -> HttpResponse:
    obj = patient_for(request, patient, action="accounts.care_team.viewed")
    form = forms.CareTeamAddForm(request.POST, clinic_id=obj.clinic_id)
    if form.is_valid():
        try:
            services.add_to_care_team(
                actor=request.user,
                patient=obj,
                therapist=form.cleaned_data["therapist"],
                team_role=form.cleaned_data["team_role"],
                request=request,
            )
            messages.success(request, _("Care team updated."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a therapist and a role."))
    return redirect("patient_detail", patient=obj.uuid)


@require_role(Role.SUPERVISOR)
@require_POST
def care_team_end(request: HttpRequest, patient: str, member: str) -> HttpResponse:
    obj = patient_for(request, patient, action="accounts.care_team.viewed")
    membership = get_object_or_404(
        CareTeamMember.objects.active().select_related("therapist", "patient"),
        uuid=member,
        patient=obj,
    )
    services.end_care_team_membership(actor=request.user, member=membership, request=request)
    messages.success(
        request, _("%(name)s no longer has access.") % {"name": membership.therapist.full_name}
    )
    return redirect("patient_detail", patient=obj.uuid)


# --- break-glass ----------------------------------------------------------------------------


@require_role(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    initial = {"patient": request.GET.get("patient")} if request.GET.get("patient") else None
    form = forms.BreakGlassForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        # The break-glass path is the one lookup outside the care team: limited to the
        # therapist's own clinic, and only after a reason is given.
        candidates = Patient.objects.filter(clinic_id=request.user.clinic_id, user__is_active=True)
        if form.cleaned_data.get("patient"):
            target = candidates.filter(uuid=form.cleaned_data["patient"]).first()
        else:
            target = candidates.filter(user__email__iexact=form.cleaned_data["email"]).first()
        if target is None:
            audit.record(
                actor=request.user,
                action="accounts.break_glass.no_match",
                request=request,
                outcome="denied",
            )
            form.add_error(None, _("No patient of your clinic matches."))
        else:
            try:
                services.break_glass(
                    actor=request.user,
                    patient=target,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.warning(
                    request,
                    _(
                        "Emergency access granted for 60 minutes. It is logged, shown to the "
                        "patient and reviewed by your supervisor."
                    ),
                )
                return redirect("patient_detail", patient=target.uuid)
    return render(request, "accounts/break_glass.html", {"form": form})


@require_role(Role.SUPERVISOR)
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    grants = (
        BreakGlassGrant.objects.filter(patient__clinic_id=request.user.clinic_id)
        .select_related("user", "patient__user", "reviewed_by")
        .order_by("reviewed_at", "-started_at")[:200]
    )
    audit.record(actor=request.user, action="accounts.break_glass.listed", request=request)
    return render(
        request, "accounts/break_glass_reviews.html", {"grants": grants, "form": forms.ReviewForm()}
    )


@require_role(Role.SUPERVISOR)
@require_POST
def break_glass_review(request: HttpRequest, grant: str) -> HttpResponse:
    obj = get_object_or_404(
        BreakGlassGrant.objects.select_related("patient"),
        uuid=grant,
        patient__clinic_id=request.user.clinic_id,
    )
    form = forms.ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a short review note."))
    else:
        try:
            services.review_break_glass(
                actor=request.user, grant=obj, note=form.cleaned_data["note"], request=request
            )
            messages.success(request, _("Review recorded."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("break_glass_reviews")


# --- audit log (supervisor, admin) ----------------------------------------------------------


@require_role(Role.SUPERVISOR, Role.ADMIN)
def clinic_audit_log(request: HttpRequest) -> HttpResponse:
    form = forms.AuditFilterForm(request.GET or None)
    entries = (
        AuditEntry.objects.filter(clinic_id_ref=request.user.clinic_id)
        .select_related("actor")
        .order_by("-id")
    )
    if form.is_valid():
        if form.cleaned_data.get("action"):
            entries = entries.filter(action__startswith=form.cleaned_data["action"])
        if form.cleaned_data.get("patient"):
            entries = entries.filter(patient_uuid=form.cleaned_data["patient"])
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(actor=request.user, action="audit.log.viewed", request=request)
    return render(request, "accounts/audit_log.html", {"page": page, "form": form})


# --- the patient's own access log -------------------------------------------------------------


@require_role(Role.PATIENT)
def my_access_log(request: HttpRequest) -> HttpResponse:
    """Which staff member opened my data, when, and why (Client Data Act)."""
    patient = get_object_or_404(Patient, user=request.user)
    entries = (
        AuditEntry.objects.filter(patient_uuid=patient.uuid, actor__isnull=False)
        .exclude(actor=request.user)
        .select_related("actor")
        .order_by("-id")
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    grant_ids = {e.detail.get("break_glass") for e in page.object_list} - {None}
    reasons = {
        str(g.uuid): g.reason
        for g in BreakGlassGrant.objects.filter(uuid__in=grant_ids, patient=patient)
    }
    for entry in page.object_list:
        entry.why = reasons.get(entry.detail.get("break_glass"), "")
    return render(request, "accounts/access_log.html", {"page": page})


# --- staff administration (admin) -----------------------------------------------------------


@require_role(Role.ADMIN)
def staff_list(request: HttpRequest) -> HttpResponse:
    staff = User.objects.filter(clinic_id=request.user.clinic_id).exclude(role=Role.PATIENT)
    pending = Invitation.objects.filter(
        clinic_id=request.user.clinic_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).exclude(role=Role.PATIENT)
    audit.record(actor=request.user, action="accounts.staff.listed", request=request)
    return render(request, "accounts/staff_list.html", {"staff": staff, "pending": pending})


@require_role(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def invite_staff(request: HttpRequest) -> HttpResponse:
    form = forms.InviteStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(
                actor=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                request=request,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("staff_list")
    return render(request, "accounts/invite.html", {"form": form, "title": _("Invite staff")})


@require_role(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, user: str) -> HttpResponse:
    member = get_object_or_404(
        User.objects.exclude(role=Role.PATIENT), uuid=user, clinic_id=request.user.clinic_id
    )
    form = forms.StaffEditForm(request.POST or None, initial={"role": member.role})
    if request.method == "POST":
        try:
            if "deactivate" in request.POST or "activate" in request.POST:
                services.set_active(
                    actor=request.user,
                    user=member,
                    active="activate" in request.POST,
                    request=request,
                )
                messages.success(request, _("Account updated."))
                return redirect("staff_detail", user=member.uuid)
            if form.is_valid():
                services.change_role(
                    actor=request.user, user=member, role=form.cleaned_data["role"], request=request
                )
                messages.success(request, _("Role changed. It applies from the next page load."))
                return redirect("staff_detail", user=member.uuid)
        except PermissionDenied:
            messages.error(request, _("You cannot change your own account here."))
        except ValidationError as exc:
            _form_errors(form, exc)
    return render(request, "accounts/staff_detail.html", {"member": member, "form": form})


@require_role(Role.ADMIN, Role.THERAPIST)
@require_POST
def revoke_invitation(request: HttpRequest, invitation: str) -> HttpResponse:
    qs = Invitation.objects.filter(clinic_id=request.user.clinic_id, accepted_at__isnull=True)
    if request.user.role == Role.THERAPIST:
        qs = qs.filter(invited_by=request.user)
    obj = get_object_or_404(qs, uuid=invitation)
    services.revoke_invitation(actor=request.user, invitation=obj, request=request)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("home")


# --- invitation acceptance (anonymous) ------------------------------------------------------


PROBLEM_TEXT = {
    "invalid": _("This invitation link is not valid. Check that you copied the whole link."),
    "expired": _("This invitation has expired. Ask the person who invited you for a new one."),
    "used": _("This invitation has already been used. Sign in with your email and password."),
    "revoked": _("This invitation was withdrawn. Ask the person who invited you for a new one."),
}


@login_not_required
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, _("You are already signed in."))
        return redirect("home")
    try:
        invitation = services.find_invitation(token)
    except services.InvitationProblem as problem:
        audit.record(
            actor=None,
            action="accounts.invitation.refused",
            request=request,
            outcome="denied",
            detail={"why": problem.code},
        )
        return render(
            request,
            "accounts/invitation_problem.html",
            {"message": PROBLEM_TEXT[problem.code], "code": problem.code},
            status=410 if problem.code in {"expired", "used", "revoked"} else 404,
        )
    user = services.new_user_for(invitation)
    form = forms.AcceptInvitationForm(
        request.POST or None,
        user=user,
        initial={"full_name": invitation.full_name, "language": request.LANGUAGE_CODE},
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.accept_invitation(
                token=token,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                language=form.cleaned_data["language"],
                request=request,
            )
        except services.InvitationProblem as problem:
            return render(
                request,
                "accounts/invitation_problem.html",
                {"message": PROBLEM_TEXT[problem.code], "code": problem.code},
                status=410,
            )
        login(request, created, backend="allauth.account.auth_backends.AuthenticationBackend")
        messages.success(request, _("Welcome to Tandem."))
        return redirect("home")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )


# --- preferences ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    form = forms.PreferencesForm(
        request.POST or None,
        initial={"language": request.user.language, "timezone": request.user.timezone},
    )
    if request.method == "POST" and form.is_valid():
        services.set_preferences(
            actor=request.user,
            language=form.cleaned_data["language"],
            timezone_name=form.cleaned_data["timezone"],
        )
        messages.success(request, _("Preferences saved."))
        return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form})
