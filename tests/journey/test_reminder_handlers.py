"""The patient's reminders are decided from events: a due questionnaire, a reply from the
care team, a module opened by the therapist. Patient messages never remind the patient."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from tandem.messaging import services as messaging
from tandem.notifications.models import PendingReminder
from tests.messaging import factories

pytestmark = pytest.mark.django_db


def pending(patient, reason):  # type: ignore[no-untyped-def]
    return PendingReminder.objects.filter(patient=patient, reason=reason, handled_at__isnull=True)


def test_questionnaire_assigned_then_answered(personas, django_capture_on_commit_callbacks):
    from tandem.assessments import services as assessments

    with django_capture_on_commit_callbacks(execute=True):
        assignment = assessments.assign(
            actor=personas.therapist, patient=personas.patient, instrument="phq9", source="adhoc"
        )
    assert pending(personas.patient, "questionnaire_due").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assessments.submit_response(
            actor=personas.patient.user, assignment=assignment, answers=[0] * 9
        )
    assert pending(personas.patient, "questionnaire_due").count() == 0


def test_a_reply_from_the_team_reminds_but_the_patients_own_message_does_not(
    personas, django_capture_on_commit_callbacks
):
    enrollment = factories.enroll(personas.patient, by=personas.therapist)
    with django_capture_on_commit_callbacks(execute=True):
        messaging.send_message(
            actor=personas.patient.user,
            enrollment=enrollment,
            body="Hello",
            client_token=str(uuid.uuid4()),
        )
    assert pending(personas.patient, "new_message").count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        messaging.send_message(
            actor=personas.therapist,
            enrollment=enrollment,
            body="Thank you for writing",
            client_token=str(uuid.uuid4()),
        )
    assert pending(personas.patient, "new_message").count() == 1
    assert timezone.now()  # reminders are grouped and sent later by the notifications jobs
