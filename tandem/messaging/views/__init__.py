"""Messaging views (thin: parse, authorise, call a service, render)."""

from tandem.messaging.views.conversation import (
    conversation_view,
    draft,
    inbox,
    mark_read,
    moves_checklist,
    pulse,
    send,
)
from tandem.messaging.views.team import (
    absence_end,
    absences,
    policy,
    stats,
    stats_therapist,
    template_edit,
    template_list,
    template_new,
)

__all__ = [
    "absence_end",
    "absences",
    "conversation_view",
    "draft",
    "inbox",
    "mark_read",
    "moves_checklist",
    "policy",
    "pulse",
    "send",
    "stats",
    "stats_therapist",
    "template_edit",
    "template_list",
    "template_new",
]
