"""Helpers shared by the patient's and the care team's questionnaire views."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tandem.assessments import charts, definitions
from tandem.assessments.errors import ScoringError
from tandem.assessments.forms import instrument_name, item_text, option_label
from tandem.assessments.models import Assignment, Response
from tandem.assessments.schema import InstrumentDefinition, text_in

logger = logging.getLogger(__name__)


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _definition(code: str) -> InstrumentDefinition | None:
    try:
        return definitions.get(code)
    except ScoringError:
        logger.error("instrument %r has no definition", code)
        return None


def _with_names(assignments: list[Assignment]) -> list[Assignment]:
    for assignment in assignments:
        definition = _definition(assignment.instrument)
        assignment.display_name = (
            instrument_name(definition, _language()) if definition else assignment.instrument
        )
        assignment.short_name = definition.short_name if definition else assignment.instrument
    return assignments


def _history(patient_id: int, code: str) -> list[Response]:
    return list(
        Response.objects.filter(patient_id=patient_id, instrument=code, complete=True).order_by(
            "submitted_at", "pk"
        )
    )


def _chart_for(
    definition: InstrumentDefinition, responses: list[Response], chart_id: str
) -> charts.Chart | None:
    points = [
        charts.ChartInput(when=r.submitted_at, total=r.total, band=r.band, change=r.change)
        for r in responses
        if r.total is not None
    ]
    return charts.trajectory(definition, points, language=_language(), chart_id=chart_id)


def _signed(value: float | None) -> str | None:
    if value is None:
        return None
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return f"+{text}" if value > 0 else text.replace("-", "−")


def _rows(definition: InstrumentDefinition, responses: list[Response]) -> list[dict[str, Any]]:
    language = _language()
    rows = []
    for response in responses:
        rows.append(
            {
                "response": response,
                "band": charts.band_label(definition, response.band, language),
                "change": charts.change_label(response.change, definition.direction),
                "delta": _signed(response.change_since_baseline),
            }
        )
    return rows


def _item_rows(definition: InstrumentDefinition | None, response: Response) -> list[dict]:
    language = _language()
    rows = []
    if definition is None:
        return [
            {"number": k, "text": "", "answer": v, "value": v, "critical": False}
            for k, v in sorted(response.answers.items(), key=lambda kv: int(kv[0]))
        ]
    critical = set(response.critical_items)
    for item in definition.items:
        value = response.answer(item.number)
        option = next((o for o in item.options.options if o.value == value), None)
        rows.append(
            {
                "number": item.number,
                "text": item_text(definition, item, language),
                "answer": option_label(option, language) if option else _("not answered"),
                "value": value,
                "critical": item.number in critical,
            }
        )
    return rows


def _followup_rows(definition: InstrumentDefinition | None, answers: dict) -> list[dict]:
    if definition is None:
        return []
    language = _language()
    rows = []
    for group in definition.followups:
        for question in group.questions:
            if question.id in answers:
                rows.append(
                    {
                        "text": text_in(question.text, language),
                        "answer": _("Yes") if answers[question.id] else _("No"),
                        "yes": bool(answers[question.id]),
                    }
                )
    return rows


def _response_context(response: Response) -> dict[str, Any]:
    definition = _definition(response.instrument)
    return {
        "response": response,
        "definition": definition,
        "items": _item_rows(definition, response),
        "followups": _followup_rows(definition, response.followup),
        "band": charts.band_label(definition, response.band, _language()) if definition else "",
    }
