"""Questionnaire views: the patient answers and sees results; the care team sees
trajectories, item answers and sends questionnaires. Thin: parse, authorise, call a
service, render.

- ``patient``: list, fill (one item per screen or one page, resumable), result;
- ``staff``: scores per patient, item answers on demand, ad hoc sending;
- ``causes``: what the safety app shows as the cause of an assessment alert.
"""

from tandem.assessments.views.causes import reason_label, render_alert_cause
from tandem.assessments.views.patient import (
    Step,
    questionnaire_fill,
    questionnaire_list,
    questionnaire_result,
    steps_for,
)
from tandem.assessments.views.staff import assign_questionnaire, patient_scores, response_detail

__all__ = [
    "Step",
    "assign_questionnaire",
    "patient_scores",
    "questionnaire_fill",
    "questionnaire_list",
    "questionnaire_result",
    "reason_label",
    "render_alert_cause",
    "response_detail",
    "steps_for",
]
