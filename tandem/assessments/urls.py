from django.urls import path

from tandem.assessments import fhir, views

urlpatterns = [
    # patient
    path("questionnaires/", views.questionnaire_list, name="questionnaire_list"),
    path("questionnaires/<uuid:assignment>/", views.questionnaire_fill, name="questionnaire_fill"),
    path(
        "questionnaires/<uuid:assignment>/result/",
        views.questionnaire_result,
        name="questionnaire_result",
    ),
    # care team
    path("patients/<uuid:patient>/scores/", views.patient_scores, name="patient_scores"),
    path(
        "patients/<uuid:patient>/scores/<uuid:response>/",
        views.response_detail,
        name="response_detail",
    ),
    path(
        "patients/<uuid:patient>/questionnaires/send/",
        views.assign_questionnaire,
        name="assign_questionnaire",
    ),
    # FHIR R4 (authorised staff)
    path("fhir/r4/Questionnaire/<str:code>", fhir.fhir_questionnaire, name="fhir_questionnaire"),
    path(
        "fhir/r4/QuestionnaireResponse/<str:response>",
        fhir.fhir_questionnaire_response,
        name="fhir_questionnaire_response",
    ),
    path("fhir/r4/Observation/<str:response>", fhir.fhir_observation, name="fhir_observation"),
]
