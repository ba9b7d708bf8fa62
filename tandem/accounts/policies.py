"""Who may see or do what. Views call these; the scoped queryset is the only path to
patient data, and every staff read writes an audit entry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone

from tandem.accounts.models import BreakGlassGrant, Patient, Role, User
from tandem.audit import services as audit


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def patient_for(
    request: HttpRequest, patient_uuid: object, *, action: str, select: tuple[str, ...] = ()
) -> Patient:
    """The patient ``patient_uuid`` if the requesting user may see them, else 404.

    Staff reads are audited with ``action`` (e.g. ``"accounts.patient.viewed"``); a read
    under a break-glass grant refers to the grant (whose reason is shown to the patient).
    Denials are audited too.
    """
    user = request.user
    key = _as_uuid(patient_uuid)
    patient = None
    if key is not None:
        patient = (
            Patient.objects.for_user(user)
            .select_related("user", "clinic", *select)
            .filter(uuid=key)
            .first()
        )
    if patient is None:
        audit.record(
            actor=user,
            action="accounts.patient.access_denied",
            request=request,
            outcome="denied",
            detail={"patient_uuid": str(patient_uuid)[:64], "attempted": action},
        )
        raise Http404
    if user.role != Role.PATIENT:
        detail: dict[str, Any] = {}
        if user.role == Role.THERAPIST:
            grant = glass_grant(user, patient)
            if grant is not None:
                # The reason itself stays encrypted in the grant (see services.break_glass).
                detail["break_glass"] = str(grant.uuid)
        audit.record(actor=user, action=action, request=request, patient=patient, detail=detail)
    return patient


def glass_grant(user: User, patient: Patient) -> BreakGlassGrant | None:
    """The active break-glass grant behind a therapist's access, if access is not through
    the care team."""
    from tandem.accounts.models import CareTeamMember

    if CareTeamMember.objects.active().filter(patient=patient, therapist=user).exists():
        return None
    return BreakGlassGrant.objects.active(timezone.now()).filter(patient=patient, user=user).first()


def require_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Deny by default: a user of another role gets 404, and the denial is audited."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated or request.user.role not in roles:
                audit.record(
                    actor=request.user,
                    action="accounts.view.denied",
                    request=request,
                    outcome="denied",
                    detail={"path": request.path[:200]},
                )
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def can_break_glass(user: User, patient: Patient) -> bool:
    return user.role == Role.THERAPIST and user.clinic_id == patient.clinic_id
