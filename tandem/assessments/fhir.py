"""FHIR R4 export: instruments as ``Questionnaire``, responses as
``QuestionnaireResponse`` plus an ``Observation`` for the total score.

Resources are built as plain dicts and validated with the ``fhir.resources`` R4B models
(``fhir.resources.R4B``: FHIR 4.3, the R4 family; the package's top level is R5), then
served as ``application/fhir+json`` under ``/fhir/r4/`` to the patient's care team and
the clinic's supervisor. Everyone else gets 404; every read is audited.

Codes: LOINC where a code exists and was verified (PHQ-9 panel 44249-1, PHQ-9 total
score 44261-6, GAD-7 total score 70274-6); otherwise Tandem's own code system
``<SITE_URL>/fhir/CodeSystem/instrument``. The patient is referenced by an identifier
(their public id), never by name.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import _as_uuid, patient_for, require_role
from tandem.assessments import definitions
from tandem.assessments.errors import ScoringError
from tandem.assessments.forms import instrument_name, item_text, option_label
from tandem.assessments.models import Response
from tandem.assessments.schema import InstrumentDefinition, text_in
from tandem.audit import services as audit

CONTENT_TYPE = "application/fhir+json"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

#: Verified LOINC codes (see module docstring). Others use Tandem's code system.
LOINC_PANEL = {"phq9": ("44249-1", "PHQ-9 quick depression assessment panel")}
LOINC_TOTAL = {
    "phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}


def base_url() -> str:
    return f"{settings.SITE_URL}/fhir/r4"


def _system(kind: str) -> str:
    return f"{settings.SITE_URL}/fhir/CodeSystem/{kind}"


def _canonical(definition: InstrumentDefinition) -> str:
    return f"{base_url()}/Questionnaire/{definition.code}"


def _option_coding(definition: InstrumentDefinition, option_set: str, option: Any) -> dict:
    return {
        "system": _system(f"{definition.code}-{option_set}"),
        "code": str(option.value),
        "display": option_label(option, "en"),
    }


def _patient_ref(response: Response) -> dict:
    return {
        "identifier": {
            "system": f"{settings.SITE_URL}/fhir/sid/patient",
            "value": str(response.patient.uuid),
        },
        "type": "Patient",
    }


def _validated(model: Any, data: dict) -> str:
    """Validate ``data`` with the R4B model; return its JSON (no nulls)."""
    resource = model.model_validate(data)
    return resource.model_dump_json(exclude_none=True)


def questionnaire_data(definition: InstrumentDefinition, language: str = "en") -> dict:
    items: list[dict[str, Any]] = []
    for item in definition.items:
        options = []
        for option in item.options.options:
            options.append(
                {
                    "valueCoding": _option_coding(definition, item.options.code, option),
                    "extension": [{"url": ORDINAL, "valueDecimal": item.score_of(option.value)}],
                }
            )
        items.append(
            {
                "linkId": str(item.number),
                "text": item_text(definition, item, language),
                "type": "choice",
                "required": item.required,
                "answerOption": options,
            }
        )
    for group in definition.followups:
        trigger = definition.item(group.item)
        enable = [
            {
                "question": str(group.item),
                "operator": "=",
                "answerCoding": _option_coding(definition, trigger.options.code, option),
            }
            for option in trigger.options.options
            if group.ask_when.test(option.value)
        ]
        for question in group.questions:
            items.append(
                {
                    "linkId": f"followup-{question.id}",
                    "text": text_in(question.text, language),
                    "type": "boolean",
                    "required": False,
                    "enableWhen": enable,
                    "enableBehavior": "any",
                }
            )
    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": definition.code,
        "url": _canonical(definition),
        "version": definition.version,
        "name": "".join(ch for ch in definition.short_name if ch.isalnum()) or definition.code,
        "title": instrument_name(definition, language),
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Tandem",
        "description": definition.construct or instrument_name(definition, language),
        "copyright": definition.licence.attribution,
        "item": items,
    }
    panel = LOINC_PANEL.get(definition.code)
    code = {
        "system": _system("instrument"),
        "code": definition.code,
        "display": definition.short_name,
    }
    data["code"] = (
        [{"system": LOINC, "code": panel[0], "display": panel[1]}, code] if panel else [code]
    )
    return data


def questionnaire_json(definition: InstrumentDefinition, language: str = "en") -> str:
    return _validated(Questionnaire, questionnaire_data(definition, language))


def questionnaire_response_data(response: Response) -> dict:
    definition = definitions.get(response.instrument)
    language = response.language or "en"
    items: list[dict[str, Any]] = []
    for item in definition.items:
        value = response.answer(item.number)
        entry: dict[str, Any] = {
            "linkId": str(item.number),
            "text": item_text(definition, item, language),
        }
        option = next((o for o in item.options.options if o.value == value), None)
        if option is not None:
            entry["answer"] = [
                {"valueCoding": _option_coding(definition, item.options.code, option)}
            ]
        items.append(entry)
    questions = definition.followup_questions()
    for qid, answer in sorted(response.followup.items()):
        if qid in questions and isinstance(answer, bool):
            items.append(
                {
                    "linkId": f"followup-{qid}",
                    "text": text_in(questions[qid][1].text, language),
                    "answer": [{"valueBoolean": answer}],
                }
            )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.uuid),
        "questionnaire": f"{_canonical(definition)}|{response.definition_version}",
        "status": "completed",
        "subject": _patient_ref(response),
        "authored": response.submitted_at.isoformat(),
        "language": language,
        "item": items,
    }


def questionnaire_response_json(response: Response) -> str:
    return _validated(QuestionnaireResponse, questionnaire_response_data(response))


def observation_data(response: Response) -> dict:
    definition = definitions.get(response.instrument)
    coding = []
    if response.instrument in LOINC_TOTAL:
        code, display = LOINC_TOTAL[response.instrument]
        coding.append({"system": LOINC, "code": code, "display": display})
    coding.append(
        {
            "system": _system("score"),
            "code": f"{definition.code}-total",
            "display": f"{definition.short_name} total score",
        }
    )
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(response.uuid),
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {"coding": coding, "text": f"{definition.short_name} total score"},
        "subject": _patient_ref(response),
        "effectiveDateTime": response.submitted_at.isoformat(),
        "issued": response.submitted_at.isoformat(),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response.uuid}"}],
    }
    if response.total is None:
        data["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "not-performed",
                }
            ],
            "text": "incomplete response",
        }
    else:
        value = response.total
        data["valueQuantity"] = {
            "value": int(value) if float(value).is_integer() else value,
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        }
        if response.band:
            data["interpretation"] = [
                {
                    "coding": [
                        {
                            "system": _system(f"{definition.code}-band"),
                            "code": response.band.replace(" ", "-"),
                            "display": response.band,
                        }
                    ],
                    "text": response.band,
                }
            ]
    return data


def observation_json(response: Response) -> str:
    return _validated(Observation, observation_data(response))


# --- views -------------------------------------------------------------------------------------


def _fhir(body: str) -> HttpResponse:
    # Re-indent for readability; the content was validated above.
    return HttpResponse(
        json.dumps(json.loads(body), ensure_ascii=False, indent=2), content_type=CONTENT_TYPE
    )


@require_role(Role.THERAPIST, Role.SUPERVISOR)
def fhir_questionnaire(request: HttpRequest, code: str) -> HttpResponse:
    try:
        definition = definitions.get(code)
    except ScoringError as exc:
        raise Http404 from exc
    audit.record(
        actor=request.user,
        action="assessments.fhir.questionnaire_read",
        request=request,
        detail={"code": definition.code},
    )
    return _fhir(questionnaire_json(definition))


def _response_for(request: HttpRequest, key: str, action: str) -> Response:
    value = _as_uuid(key)
    response = None
    if value is not None:
        response = (
            Response.objects.filter(uuid=value, patient__in=Patient.objects.for_user(request.user))
            .select_related("patient")
            .first()
        )
    if response is None:
        audit.record(
            actor=request.user,
            action="assessments.fhir.access_denied",
            request=request,
            outcome="denied",
            detail={"uuid": str(key)[:64]},
        )
        raise Http404
    response.patient = patient_for(request, response.patient.uuid, action=action)
    return response


@require_role(Role.THERAPIST, Role.SUPERVISOR)
def fhir_questionnaire_response(request: HttpRequest, response: str) -> HttpResponse:
    found = _response_for(request, response, "assessments.fhir.response_read")
    return _fhir(questionnaire_response_json(found))


@require_role(Role.THERAPIST, Role.SUPERVISOR)
def fhir_observation(request: HttpRequest, response: str) -> HttpResponse:
    found = _response_for(request, response, "assessments.fhir.observation_read")
    return _fhir(observation_json(found))
