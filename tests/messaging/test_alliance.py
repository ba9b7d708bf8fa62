"""The alliance pulse: offered after a reply or feedback at most weekly, answered in one
tap, dismissible; a dip records ``alliance.dip``."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tandem.core import events
from tandem.core.models import Event
from tandem.messaging import alliance, services
from tandem.messaging.models import AlliancePulse

pytestmark = pytest.mark.django_db


def reply(personas, enrollment, who=None):  # type: ignore[no-untyped-def]
    return services.send_message(
        actor=who or personas.therapist,
        enrollment=enrollment,
        body="reply",
        client_token=uuid.uuid4(),
    )


@pytest.mark.parametrize(
    ("history", "latest", "dip"),
    [
        ([], 2, True),
        ([], 2.5, False),
        ([5, 5, 4], 3, True),
        ([5, 4, 4], 3, False),
        ([3, 3], 3, False),
        ([], 5, False),
    ],
)
def test_is_dip(history, latest, dip):
    assert alliance.is_dip(history, latest) is dip


def test_offered_once_a_week_per_pair(personas, enrollment):
    reply(personas, enrollment)
    reply(personas, enrollment)
    reply(personas, enrollment, who=personas.cover)  # another pair
    assert AlliancePulse.objects.filter(therapist=personas.therapist).count() == 1
    assert AlliancePulse.objects.filter(therapist=personas.cover).count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        reply(personas, enrollment)
    assert AlliancePulse.objects.filter(therapist=personas.therapist).count() == 2


def test_one_tap_answer_and_a_dip(personas, enrollment, login):
    reply(personas, enrollment)
    pulse = AlliancePulse.objects.get()
    client = login(personas.patient.user)
    page = client.get(reverse("messaging_conversation", args=[enrollment.uuid])).content
    assert b"I felt understood" in page
    url = reverse("messaging_pulse", args=[pulse.uuid])
    response = client.post(url, {"understood": "2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"This helps me continue" in response.content  # the second item, optional
    pulse.refresh_from_db()
    assert pulse.status == "answered" and pulse.understood == 2
    dip = Event.objects.get(kind="alliance.dip")
    assert dip.data["therapist"] == str(personas.therapist.uuid)
    assert dip.data["enrollment"] == str(enrollment.uuid)
    client.post(url, {"helps": "1"}, HTTP_HX_REQUEST="true")
    assert Event.objects.filter(kind="alliance.dip").count() == 1  # one per pulse


def test_a_drop_from_the_median_is_a_dip(personas, enrollment):
    conversation = services.conversation_for(enrollment)
    for value in (5, 5, 4):
        old = AlliancePulse.objects.create(
            conversation=conversation,
            patient=personas.patient,
            therapist=personas.therapist,
            trigger="reply",
        )
        alliance.answer(actor=personas.patient.user, pulse=old, understood=value, helps=value)
    assert not Event.objects.filter(kind="alliance.dip").exists()
    latest = AlliancePulse.objects.create(
        conversation=conversation,
        patient=personas.patient,
        therapist=personas.therapist,
        trigger="reply",
    )
    alliance.answer(actor=personas.patient.user, pulse=latest, understood=3, helps=3)
    assert Event.objects.filter(kind="alliance.dip").count() == 1
    trend = alliance.trend(patient=personas.patient, therapist=personas.therapist)
    assert [p.score for p in trend] == [5, 5, 4, 3]


def test_dismiss_and_bad_answers(personas, enrollment, login):
    reply(personas, enrollment)
    pulse = AlliancePulse.objects.get()
    client = login(personas.patient.user)
    url = reverse("messaging_pulse", args=[pulse.uuid])
    bad = client.post(url, {"understood": "9"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and b"from 1 to 5" in bad.content
    assert client.post(url, {"understood": "x"}).status_code == 302
    client.post(url, {"dismiss": "1"})
    pulse.refresh_from_db()
    assert pulse.status == "dismissed"
    page = client.get(reverse("messaging_conversation", args=[enrollment.uuid])).content
    assert b"I felt understood" not in page
    assert login(personas.other_patient.user).post(url, {"understood": "3"}).status_code == 404


def test_feedback_on_an_exercise_offers_the_pulse(
    personas, enrollment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        events.record(
            patient=personas.patient,
            kind="exercise.feedback_given",
            actor=personas.therapist,
            data={"entry": str(uuid.uuid4())},
        )
    pulse = AlliancePulse.objects.get()
    assert pulse.trigger == "feedback" and pulse.therapist == personas.therapist


def test_the_therapist_sees_the_trend(personas, enrollment, login):
    reply(personas, enrollment)
    alliance.answer(
        actor=personas.patient.user, pulse=AlliancePulse.objects.get(), understood=4, helps=5
    )
    html = (
        login(personas.therapist)
        .get(reverse("messaging_conversation", args=[enrollment.uuid]))
        .content.decode()
    )
    assert "Alliance pulse" in html and "4.5" in html
