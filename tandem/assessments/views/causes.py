"""Safety integration: the answers behind an assessment alert and readable reason labels
(registered with ``tandem.safety.registry`` in ``handlers.register``)."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from tandem.accounts.policies import _as_uuid
from tandem.assessments.forms import item_text, option_label
from tandem.assessments.models import Assignment, Draft, Response
from tandem.assessments.views.common import (
    _definition,
    _followup_rows,
    _language,
    _response_context,
)

logger = logging.getLogger(__name__)


# --- safety integration: the cause of an alert, readable reasons ---------------------------------

REASON_RE = re.compile(
    r"^(?P<code>[a-z0-9]+)\.(?:item(?P<item>\d+)(?P<unsub>\.unsubmitted)?|"
    r"(?P<rc>reliable_deterioration))$"
)


def reason_label(reason: str) -> str | None:
    match = REASON_RE.match(reason or "")
    if match is None:
        return None
    definition = _definition(match["code"])
    name = definition.short_name if definition else match["code"]
    if match["rc"]:
        return _("%(name)s: reliable deterioration since baseline") % {"name": name}
    if match["unsub"]:
        return _("%(name)s item %(item)s: critical answer in an unsent questionnaire") % {
            "name": name,
            "item": match["item"],
        }
    return _("%(name)s item %(item)s: critical answer") % {"name": name, "item": match["item"]}


def render_alert_cause(alert: Any, request: HttpRequest) -> str | None:
    """The answers behind an assessment alert (the patient read is audited by the
    alert detail view)."""
    if alert.ref_type == "assessments.response":
        response = (
            Response.objects.filter(uuid=_as_uuid(alert.ref_key), patient_id=alert.patient_id)
            .select_related("baseline")
            .first()
        )
        if response is None:
            return None
        context = {"patient": alert.patient, "with_link": True, **_response_context(response)}
        return render_to_string("assessments/partials/response_items.html", context, request)
    if alert.ref_type == "assessments.assignment":
        assignment = Assignment.objects.filter(
            uuid=_as_uuid(alert.ref_key), patient_id=alert.patient_id
        ).first()
        if assignment is None:
            return None
        draft = Draft.objects.filter(assignment=assignment).first()
        definition = _definition(assignment.instrument)
        rows = []
        if draft is not None and definition is not None:
            language = _language()
            for item in definition.items:
                value = draft.answers.get(str(item.number))
                option = next((o for o in item.options.options if o.value == value), None)
                rows.append(
                    {
                        "number": item.number,
                        "text": item_text(definition, item, language),
                        "answer": option_label(option, language) if option else _("not answered"),
                        "critical": False,
                    }
                )
        return render_to_string(
            "assessments/partials/draft_items.html",
            {
                "assignment": assignment,
                "items": rows,
                "followups": _followup_rows(definition, draft.followup if draft else {}),
                "patient": alert.patient,
            },
            request,
        )
    return None
