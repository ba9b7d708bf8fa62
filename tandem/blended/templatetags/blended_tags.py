"""Template helpers: the "between our sessions" card that the patient's home includes."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from tandem.accounts.models import Patient, Role

register = template.Library()


@register.inclusion_tag("blended/partials/between_sessions_card.html", takes_context=True)
def between_sessions(context: dict[str, Any]) -> dict[str, Any]:
    """The patient's next session and homework until then (nothing for other users, and
    nothing when there is neither)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role != Role.PATIENT:
        return {"show": False}
    from tandem.blended import services
    from tandem.blended.views.common import language

    patient = Patient.objects.for_user(user).first()
    if patient is None:
        return {"show": False}
    now = timezone.now()
    session = services.next_session(patient, now)
    tasks = services.patient_tasks(patient, lang=language(request), now=now)
    return {
        "show": session is not None or bool(tasks),
        "session": session,
        "tasks": tasks[:6],
        "more": max(0, len(tasks) - 6),
        "csrf_token": context.get("csrf_token"),
        "zone": str(services.zone_of(user)),
    }
