"""Who may see or do what in messaging. Every path to a conversation goes through the
enrollment's scoped, audited lookup (``programs.policies.enrollment_for``)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from tandem.accounts.models import Role, User
from tandem.messaging.models import Absence, AlliancePulse, Conversation, MessageTemplate
from tandem.programs.policies import enrollment_for


def conversation_access(
    request: HttpRequest, enrollment_uuid: object, *, action: str
) -> tuple[Any, Conversation | None]:
    """The enrollment (404 unless the user may see its patient; staff reads audited) and
    its conversation if one exists yet."""
    enrollment = enrollment_for(request, enrollment_uuid, action=action)
    conversation = (
        Conversation.objects.filter(enrollment=enrollment).select_related("clinic").first()
    )
    return enrollment, conversation


def can_write(user: User) -> bool:
    """Patients write to their care team; therapists with access write to patients.
    Supervisors read (audited) but do not write in a care team's conversation."""
    return user.role in (Role.PATIENT, Role.THERAPIST)


def own_pulse(request: HttpRequest, pulse_uuid: object) -> AlliancePulse:
    pulse = (
        AlliancePulse.objects.filter(uuid=pulse_uuid, patient__user=request.user)
        .select_related("patient__user", "therapist", "conversation__enrollment")
        .first()
    )
    if pulse is None:
        raise Http404
    return pulse


def editable_template(user: User, template_uuid: object) -> MessageTemplate:
    """A therapist edits their own templates; a supervisor their own and the clinic's."""
    qs = MessageTemplate.objects.filter(uuid=template_uuid, clinic_id=user.clinic_id)
    if user.role == Role.SUPERVISOR:
        qs = qs.filter(owner__isnull=True) | qs.filter(owner=user)
    else:
        qs = qs.filter(owner=user)
    template = qs.first()
    if template is None:
        raise Http404
    return template


def visible_absence(user: User, absence_uuid: object) -> Absence:
    qs = Absence.objects.filter(uuid=absence_uuid, clinic_id=user.clinic_id).select_related(
        "therapist", "cover", "clinic"
    )
    if user.role == Role.THERAPIST:
        qs = qs.filter(therapist=user)
    absence = qs.first()
    if absence is None:
        raise Http404
    return absence
