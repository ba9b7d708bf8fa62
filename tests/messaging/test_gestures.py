"""Gestures: from a context to a prefilled, editable message in two clicks; the
reference it carries; the taxonomy; the move checklist endpoint."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from django.urls import reverse

from tandem.core import events
from tandem.messaging import gestures
from tandem.messaging.models import Message
from tests.messaging import factories

pytestmark = pytest.mark.django_db


def field_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html
    )
    return unescape(match.group(1)) if match else ""


def textarea(html: str) -> str:
    match = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no composer"
    return unescape(match.group(1)).strip()


def checked_functions(html: str) -> set[str]:
    return set(re.findall(r'<input[^>]*name="functions" value="(\w+)"[^>]*checked', html))


def test_two_clicks_from_a_submitted_exercise(personas, enrollment, login):
    event = factories.exercise_submitted(
        enrollment,
        answers={
            "situation": "At the bus stop",
            "thought": "Nobody ever calls me back, they must be tired of me",
        },
    )
    entry_uuid = event.ref_uuid
    therapist = login(personas.therapist)
    # Click 1: open the composer from the signal's link.
    url = reverse("messaging_conversation", args=[enrollment.uuid])
    page = therapist.get(f"{url}?context=exercise_submitted&ref={entry_uuid}")
    assert page.status_code == 200
    html = page.content.decode()
    suggestion = textarea(html)
    assert suggestion.startswith("Hi Pat,")
    assert "Thought record" in suggestion
    assert '"Nobody ever calls me back, they must be tired of me"' in suggestion
    assert personas.therapist.full_name in suggestion
    assert checked_functions(html) == {"alliance", "autonomy"}
    assert html.count('class="move move-present"') == 5  # the template makes every move
    # The therapist edits the text; click 2: send.
    edited = suggestion.replace("I read it carefully.", "I read it carefully twice.")
    response = therapist.post(
        reverse("messaging_send", args=[enrollment.uuid]),
        {
            "body": edited,
            "client_token": field_value(html, "client_token"),
            "context": field_value(html, "context"),
            "ref": field_value(html, "ref"),
            "template": field_value(html, "template"),
            "functions": ["alliance", "autonomy"],
        },
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.body == edited
    assert (message.ref_type, message.ref_uuid, message.ref_label) == (
        "exercise",
        entry_uuid,
        "Thought record",
    )
    assert message.functions == ["autonomy", "alliance"]
    assert message.context_kind == "exercise_submitted"
    assert message.template_key == "default:exercise-read"
    sent = message.conversation.patient.events.get(kind="message.sent")
    assert sent.data["functions"] == ["autonomy", "alliance"]
    assert sent.data["direction"] == "team_to_patient"
    assert "Nobody" not in str(sent.data)  # no clinical text copied into events
    # The patient reads it, with a link to the exercise it is about.
    patient_html = login(personas.patient.user).get(url).content.decode()
    assert "I read it carefully twice." in patient_html
    assert reverse("exercise_entry", args=[entry_uuid]) in patient_html


def test_other_templates_and_finnish(personas, enrollment, login):
    personas.patient.user.language = "fi"
    personas.patient.user.save()
    event = factories.exercise_submitted(enrollment, answers={"a": "Pelkään että epäonnistun"})
    url = reverse("messaging_conversation", args=[enrollment.uuid])
    html = (
        login(personas.therapist)
        .get(
            f"{url}?context=exercise_submitted&ref={event.uuid}&template=default:exercise-feelings"
        )
        .content.decode()
    )
    body = textarea(html)
    assert body.startswith("Hei Pat,") and "Ajatuspäiväkirja" in body
    assert "”Pelkään että epäonnistun”" in body
    assert checked_functions(html) == {"emotion_regulation", "alliance"}


@pytest.mark.parametrize(
    "query",
    [
        "?context=unknown&ref=x",
        "?context=exercise_submitted&ref=not-a-uuid",
        "?context=exercise_submitted&ref=0f0f0f0f-0000-4000-8000-000000000000",
        "?context=score_improved",
        "?context=questionnaire_missed",
        "?about=module&ref=nope",
        "?template=default:nope",
    ],
)
def test_odd_contexts_give_a_composer_not_an_error(personas, enrollment, login, query):
    url = reverse("messaging_conversation", args=[enrollment.uuid])
    response = login(personas.therapist).get(url + query)
    assert response.status_code == 200
    assert "<textarea" in response.content.decode()


def test_a_silent_week_and_a_completed_module(personas, enrollment, login):
    from datetime import timedelta

    from django.utils import timezone

    enrollment.last_activity_at = timezone.now() - timedelta(days=9)
    enrollment.save()
    url = reverse("messaging_conversation", args=[enrollment.uuid])
    client = login(personas.therapist)
    body = textarea(client.get(f"{url}?context=silent_week").content.decode())
    assert "It has been 9 days." in body
    done = events.record(
        patient=personas.patient,
        kind="module.completed",
        ref=enrollment,
        data={"program": "msgtest", "module": "thoughts"},
    )
    html = client.get(f"{url}?context=module_completed&ref={done.uuid}").content.decode()
    assert "Thoughts and mood" in textarea(html)
    client.post(
        reverse("messaging_send", args=[enrollment.uuid]),
        {
            "body": textarea(html),
            "client_token": uuid.uuid4(),
            "context": "module_completed",
            "ref": done.uuid,
        },
    )
    message = Message.objects.get()
    assert (message.ref_type, message.ref_key) == ("module", "thoughts")
    patient_html = login(personas.patient.user).get(url).content.decode()
    assert reverse("module_start", args=[enrollment.uuid, "thoughts"]) in patient_html


def test_an_improved_score(personas, enrollment):
    events.record(
        patient=personas.patient,
        kind="score.reliable_change",
        ref=enrollment,
        data={"code": "phq9", "change": "improved", "total": 8, "baseline_total": 16},
    )
    context = gestures.resolve_context(
        "score_improved", patient=personas.patient, enrollment=enrollment, ref=None, language="en"
    )
    assert context.change == "PHQ-9 from 16 to 8" and context.ref_label == "PHQ-9"


def test_the_checklist_endpoint_follows_the_draft(personas, enrollment, login):
    url = reverse("messaging_moves", args=[enrollment.uuid])
    client = login(personas.therapist)
    html = client.post(url, {"body": "Thanks."}).content.decode()
    assert "move move-absent" in html and "Uses the patient" in html
    html = client.post(url, {"body": "Pat, this is hard. Would you like a break?"}).content
    assert html.decode().count("move-present") == 3
    assert login(personas.patient.user).post(url, {"body": "x"}).status_code == 404


def test_patients_can_say_what_a_message_is_about(personas, enrollment, login):
    event = factories.exercise_submitted(enrollment, answers={"x": "y"})
    url = reverse("messaging_conversation", args=[enrollment.uuid])
    client = login(personas.patient.user)
    html = client.get(f"{url}?about=exercise&ref={event.ref_uuid}").content.decode()
    assert "About:" in html and "Thought record" in html
    client.post(
        reverse("messaging_send", args=[enrollment.uuid]),
        {
            "body": "Did I do this right?",
            "client_token": uuid.uuid4(),
            "about": "exercise",
            "ref": event.ref_uuid,
            "functions": ["alliance"],
        },
    )
    message = Message.objects.get()
    assert message.ref_uuid == event.ref_uuid and message.functions == []  # patients: none


def test_a_ref_to_another_patients_work_is_ignored(personas, enrollment, other_enrollment, login):
    theirs = factories.exercise_submitted(other_enrollment, answers={"x": "secret words"})
    url = reverse("messaging_conversation", args=[enrollment.uuid])
    html = (
        login(personas.therapist)
        .get(f"{url}?context=exercise_submitted&ref={theirs.ref_uuid}")
        .content.decode()
    )
    assert "secret words" not in html


def test_function_summaries(personas, enrollment, other_enrollment):
    from tandem.messaging import services

    for functions in (["alliance"], ["alliance", "autonomy"], ["emotion_regulation"], []):
        services.send_message(
            actor=personas.therapist,
            enrollment=enrollment,
            body="x",
            client_token=uuid.uuid4(),
            functions=functions,
        )
    services.send_message(
        actor=personas.other_therapist,
        enrollment=other_enrollment,
        body="y",
        client_token=uuid.uuid4(),
        functions=["autonomy"],
    )
    services.send_message(
        actor=personas.patient.user,
        enrollment=enrollment,
        body="z",
        client_token=uuid.uuid4(),
        functions=["autonomy"],
    )
    assert gestures.function_summary(patient=personas.patient) == {
        "messages": 4,
        "autonomy": 1,
        "alliance": 2,
        "emotion_regulation": 1,
    }
    assert gestures.function_summary(clinic=personas.clinic)["autonomy"] == 2
    by_patient = gestures.function_summary_by_patient(clinic=personas.clinic)
    assert by_patient[personas.other_patient.pk] == {
        "messages": 1,
        "autonomy": 1,
        "alliance": 0,
        "emotion_regulation": 0,
    }
