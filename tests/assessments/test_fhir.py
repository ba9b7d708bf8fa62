"""FHIR R4 (R4B models of fhir.resources): every shipped instrument as a Questionnaire,
responses as QuestionnaireResponse + Observation, validated by parsing them back."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from tandem.assessments import definitions, fhir, services
from tandem.audit.models import AuditEntry
from tests.safety.factories import make_assignment, phq9

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", sorted(definitions.all_definitions()))
def test_every_instrument_is_a_valid_questionnaire(code):
    definition = definitions.get(code)
    resource = Questionnaire.model_validate_json(fhir.questionnaire_json(definition))
    assert resource.id == code and resource.status == "active"
    assert resource.url.endswith(f"/fhir/r4/Questionnaire/{code}")
    assert len([i for i in resource.item if i.type == "choice"]) == definition.n_items
    assert resource.copyright


def test_phq9_questionnaire_codes_and_followup():
    resource = Questionnaire.model_validate_json(fhir.questionnaire_json(definitions.get("phq9")))
    assert resource.code[0].system == "http://loinc.org" and resource.code[0].code == "44249-1"
    item9 = next(i for i in resource.item if i.linkId == "9")
    assert [o.valueCoding.code for o in item9.answerOption] == ["0", "1", "2", "3"]
    followups = [i for i in resource.item if i.linkId.startswith("followup-")]
    assert [i.linkId for i in followups] == [
        "followup-thoughts",
        "followup-plan",
        "followup-intent",
    ]
    assert all(i.type == "boolean" for i in followups)
    # asked when item 9 is 1, 2 or 3
    assert sorted(e.answerCoding.code for e in followups[0].enableWhen) == ["1", "2", "3"]


def _response(personas, answers=None, followup=None, code="phq9"):  # type: ignore[no-untyped-def]
    assignment = make_assignment(personas.patient, code)
    return services.submit_response(
        actor=personas.patient.user,
        assignment=assignment,
        answers=phq9(14, item9=1) if answers is None else answers,
        followup=followup,
    )


def test_a_response_and_its_total_validate(personas):
    response = _response(personas, followup={"thoughts": False, "plan": False, "intent": True})
    qr = QuestionnaireResponse.model_validate_json(fhir.questionnaire_response_json(response))
    assert qr.id == str(response.uuid) and qr.status == "completed"
    assert qr.questionnaire.endswith("/fhir/r4/Questionnaire/phq9|1")
    assert qr.subject.identifier.value == str(personas.patient.uuid)
    answers = {item.linkId: item.answer for item in qr.item}
    assert answers["9"][0].valueCoding.code == "1"
    assert answers["followup-intent"][0].valueBoolean is True
    obs = Observation.model_validate_json(fhir.observation_json(response))
    assert obs.status == "final" and obs.valueQuantity.value == 14
    assert obs.code.coding[0].system == "http://loinc.org"
    assert obs.code.coding[0].code == "44261-6"
    assert obs.derivedFrom[0].reference == f"QuestionnaireResponse/{response.uuid}"
    assert obs.category[0].coding[0].code == "survey"
    assert "Pat Patient" not in fhir.observation_json(response)  # no names


def test_gad7_total_uses_its_loinc_code_and_others_tandems(personas):
    gad = _response(personas, answers=[1, 2, 1, 0, 0, 1, 2], code="gad7")
    obs = Observation.model_validate_json(fhir.observation_json(gad))
    assert obs.code.coding[0].code == "70274-6" and obs.valueQuantity.value == 7
    who = _response(personas, answers=[3, 3, 3, 3, 3], code="who5")
    obs = Observation.model_validate_json(fhir.observation_json(who))
    assert obs.code.coding[0].code == "who5-total" and obs.valueQuantity.value == 60


def test_the_endpoints_serve_fhir_json_to_the_care_team_and_audit(personas, login):
    response = _response(personas)
    client = login(personas.cover)
    for name, kwargs, model in (
        ("fhir_questionnaire", {"code": "phq9"}, Questionnaire),
        ("fhir_questionnaire_response", {"response": response.uuid}, QuestionnaireResponse),
        ("fhir_observation", {"response": response.uuid}, Observation),
    ):
        http = client.get(reverse(name, kwargs=kwargs))
        assert http.status_code == 200, name
        assert http["Content-Type"] == "application/fhir+json"
        model.model_validate(json.loads(http.content))
    assert AuditEntry.objects.filter(
        action="assessments.fhir.response_read", patient_uuid=personas.patient.uuid
    ).exists()
    assert AuditEntry.objects.filter(action="assessments.fhir.observation_read").exists()


def test_everyone_else_gets_404(personas, login):
    response = _response(personas)
    target = reverse("fhir_observation", kwargs={"response": response.uuid})
    for who in ("other_therapist", "former_therapist", "outsider", "admin", "researcher"):
        assert login(personas.all_users()[who]).get(target).status_code == 404, who
    assert login(personas.patient.user).get(target).status_code == 404
    client = login(personas.therapist)
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", "../../etc"):
        assert client.get(f"/fhir/r4/Observation/{bad}").status_code == 404
    assert client.get("/fhir/r4/Questionnaire/nosuch").status_code == 404
