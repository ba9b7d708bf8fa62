"""The conversation: encryption at rest, bad input, access, receipts, drafts, the reply
expectation, overdue conversations, risk language and query counts."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.core import crypto
from tandem.core.models import Event
from tandem.messaging import replytimes, risk, services
from tandem.messaging.models import ClinicMessagingPolicy, Conversation, Draft, Message

pytestmark = pytest.mark.django_db
HEL = ZoneInfo("Europe/Helsinki")


def conversation_url(enrollment) -> str:  # type: ignore[no-untyped-def]
    return reverse("messaging_conversation", args=[enrollment.uuid])


def send_url(enrollment) -> str:  # type: ignore[no-untyped-def]
    return reverse("messaging_send", args=[enrollment.uuid])


def post(client, enrollment, body, token=None, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        send_url(enrollment), {"body": body, "client_token": token or uuid.uuid4(), **extra}
    )


def dump_database() -> str:
    """Every value of every table, as text: what a stolen dump would contain."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the DB
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def test_message_bodies_and_drafts_are_encrypted_at_rest(personas, enrollment, login):
    canary = "CANARY-" + uuid.uuid4().hex
    patient = login(personas.patient.user)
    assert post(patient, enrollment, f"My secret is {canary}").status_code == 302
    therapist = login(personas.therapist)
    therapist.post(
        reverse("messaging_draft", args=[enrollment.uuid]), {"body": f"draft about {canary}-draft"}
    )
    assert Message.objects.get().body == f"My secret is {canary}"
    assert Draft.objects.get().body.endswith("-draft")
    dump = dump_database()
    assert canary not in dump
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message")
        (raw,) = cursor.fetchone()
    assert raw.startswith(crypto.PREFIX) and canary not in raw


def test_double_click_send_stores_one_message(personas, enrollment, login):
    client = login(personas.patient.user)
    token = uuid.uuid4()
    first = post(client, enrollment, "Hello once", token)
    second = post(client, enrollment, "Hello once", token)
    assert first.status_code == second.status_code == 302
    assert Message.objects.count() == 1
    assert Event.objects.filter(kind="message.sent").count() == 1
    assert Conversation.objects.get().message_count == 1


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("", "Write a message before sending."),
        ("   \n  ", "Write a message before sending."),
        ("x" * 10_001, "at most 10 000 characters"),
        ("x" * 25_000, "at most 10 000 characters"),
    ],
)
def test_empty_or_oversized_message_gets_a_clear_error(personas, enrollment, login, body, text):
    response = post(login(personas.patient.user), enrollment, body)
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not Message.objects.exists()


def test_ten_thousand_characters_is_fine(personas, enrollment, login):
    assert post(login(personas.patient.user), enrollment, "y" * 10_000).status_code == 302
    assert len(Message.objects.get().body) == 10_000


def test_missing_token_is_a_clear_error_not_a_500(personas, enrollment, login):
    client = login(personas.patient.user)
    response = client.post(send_url(enrollment), {"body": "hi", "client_token": "not-a-uuid"})
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_html_is_escaped_and_only_http_links_are_linked(personas, enrollment, login):
    body = (
        "<script>alert(1)</script> <b>bold</b>\nsee https://example.org/a?b=1&c=2. "
        'and javascript:alert(2) and <a href="https://evil.example">x</a>'
    )
    client = login(personas.patient.user)
    post(client, enrollment, body)
    for viewer in (client, login(personas.therapist)):
        html = viewer.get(conversation_url(enrollment)).content.decode()
        assert "<script>alert(1)" not in html and "<b>bold" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert (
            '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer '
            'nofollow">https://example.org/a?b=1&amp;c=2</a>.'
        ) in html
        assert 'href="javascript' not in html
        assert '<a href="https://evil.example">' not in html
        assert "<br>" in html


@pytest.mark.parametrize(
    "who",
    [
        "patient",
        "other_therapist",
        "outsider",
        "admin",
        "researcher",
        "former_therapist",
        "outsider_supervisor",
    ],
)
def test_a_conversation_the_user_does_not_belong_to_is_404(
    personas, enrollment, other_enrollment, login, who
):
    client = login(personas.all_users()[who])
    # the patient tries another patient's conversation; staff try Pat's
    target = other_enrollment if who == "patient" else enrollment
    assert client.get(conversation_url(target)).status_code == 404
    assert post(client, target, "let me in").status_code == 404
    assert (
        client.post(reverse("messaging_draft", args=[target.uuid]), {"body": "x"}).status_code
        == 404
    )
    assert client.post(reverse("messaging_mark_read", args=[target.uuid])).status_code == 404
    assert client.get(reverse("messaging_conversation", args=[uuid.uuid4()])).status_code == 404
    assert not Message.objects.exists() and not Draft.objects.exists()


def test_supervisor_reads_audited_but_does_not_write(personas, enrollment, login):
    from tandem.audit.models import AuditEntry

    client = login(personas.supervisor)
    assert client.get(conversation_url(enrollment)).status_code == 200
    assert AuditEntry.objects.filter(
        actor=personas.supervisor, action="messaging.conversation.viewed"
    ).exists()
    assert post(client, enrollment, "supervisor here").status_code == 404


def test_read_receipts_both_ways(personas, enrollment, login):
    patient = login(personas.patient.user)
    therapist = login(personas.therapist)
    post(patient, enrollment, "Are you there?")
    message = Message.objects.get()
    page = therapist.get(conversation_url(enrollment)).content.decode()
    assert 'hx-trigger="load"' in page  # the page asks to mark as read by POST
    assert Message.objects.get().read_at is None  # GET itself changes nothing
    therapist.post(reverse("messaging_mark_read", args=[enrollment.uuid]))
    message.refresh_from_db()
    assert message.read_at is not None and message.read_by == personas.therapist
    assert Event.objects.filter(kind="message.read").count() == 1
    assert "Read " in patient.get(conversation_url(enrollment)).content.decode()
    # the reply is unread for the patient until the patient opens it
    post(therapist, enrollment, "Yes, I am")
    reply = Message.objects.latest("sent_at")
    assert reply.read_at is None
    patient.post(reverse("messaging_mark_read", args=[enrollment.uuid]), HTTP_HX_REQUEST="true")
    reply.refresh_from_db()
    assert reply.read_by == personas.patient.user


def test_drafts_are_kept_and_cleared_on_send(personas, enrollment, login):
    client = login(personas.therapist)
    response = client.post(
        reverse("messaging_draft", args=[enrollment.uuid]),
        {"body": "Half-written thought", "functions": ["alliance"]},
    )
    assert response.status_code == 200 and "Draft saved" in response.content.decode()
    page = client.get(conversation_url(enrollment)).content.decode()
    assert "Half-written thought" in page
    post(client, enrollment, "Half-written thought, finished")
    assert not Draft.objects.exists()
    # An empty autosave removes the draft rather than storing nothing.
    client.post(reverse("messaging_draft", args=[enrollment.uuid]), {"body": "x"})
    client.post(reverse("messaging_draft", args=[enrollment.uuid]), {"body": ""})
    assert not Draft.objects.exists()


def test_reply_expectation_falls_back_to_the_promise_then_is_measured(personas, enrollment, login):
    client = login(personas.patient.user)
    html = client.get(conversation_url(enrollment)).content.decode()
    assert "usually answers within 2 working days" in html
    assert "your clinic&#x27;s promise" in html or "clinic's promise" in html
    expectation = replytimes.reply_expectation(patient=personas.patient)
    assert not expectation.measured and expectation.hours == 16
    conversation = services.conversation_for(enrollment)
    for hours in (2, 3, 4, 5, 30):
        Message.objects.create(
            conversation=conversation,
            sender=personas.therapist,
            direction="team_to_patient",
            body="r",
            client_token=uuid.uuid4(),
            sent_at=conversation.created_at,
            reply_working_hours=hours,
        )
    expectation = replytimes.reply_expectation(patient=personas.patient)
    assert expectation.measured and expectation.hours == 4 and expectation.working_days == 1
    html = client.get(conversation_url(enrollment)).content.decode()
    assert "usually answers within 1 working day." in html
    assert "Measured from the care team" in html


def test_replies_of_another_team_do_not_count(personas, enrollment, other_enrollment):
    conversation = services.conversation_for(other_enrollment)
    for _ in range(6):
        Message.objects.create(
            conversation=conversation,
            sender=personas.other_therapist,
            direction="team_to_patient",
            body="r",
            client_token=uuid.uuid4(),
            sent_at=conversation.created_at,
            reply_working_hours=1,
        )
    assert not replytimes.reply_expectation(patient=personas.patient).measured


def test_overdue_conversations_use_working_hours(backdated_team, personas, enrollment):
    ClinicMessagingPolicy.objects.create(clinic=personas.clinic, promise_hours=16)
    monday_nine = datetime(2026, 3, 2, 9, tzinfo=HEL)
    with time_machine.travel(monday_nine, tick=False):
        services.send_message(
            actor=personas.patient.user,
            enrollment=enrollment,
            body="help?",
            client_token=uuid.uuid4(),
        )
    tuesday_four = datetime(2026, 3, 3, 16, tzinfo=HEL)  # 15 working hours
    assert replytimes.overdue_conversations(personas.clinic, tuesday_four) == []
    wednesday_ten = datetime(2026, 3, 4, 10, tzinfo=HEL)  # 17 working hours
    overdue = replytimes.overdue_conversations(personas.clinic, wednesday_ten)
    assert [c.enrollment_id for c in overdue] == [enrollment.pk]
    assert replytimes.overdue_conversations(personas.other_clinic, wednesday_ten) == []
    with time_machine.travel(wednesday_ten, tick=False):
        services.send_message(
            actor=personas.cover, enrollment=enrollment, body="here", client_token=uuid.uuid4()
        )
    assert replytimes.overdue_conversations(personas.clinic, wednesday_ten) == []


def test_stats_pages(personas, enrollment, login):
    post(login(personas.patient.user), enrollment, "question")
    post(login(personas.therapist), enrollment, "answer")
    mine = login(personas.therapist).get(reverse("messaging_stats")).content.decode()
    assert "First reply to a patient" in mine
    clinic = login(personas.supervisor).get(reverse("messaging_stats")).content.decode()
    assert personas.therapist.full_name in clinic
    stats = replytimes.therapist_stats(therapist=personas.therapist)
    assert stats.replies.count == 1


def test_risk_language_raises_an_alert_and_shows_crisis_resources(personas, enrollment, login):
    from tandem.safety.models import Alert

    client = login(personas.patient.user)
    response = post(client, enrollment, "I'm going to kill myself tonight")
    assert response.status_code == 302 and "crisis=1" in response["Location"]
    message = Message.objects.get()
    alert = Alert.objects.get()
    assert (alert.tier, alert.source, alert.reason) == (
        "urgent",
        "message",
        "message.risk_language",
    )
    assert alert.ref_key == str(message.uuid) and alert.patient == personas.patient
    assert message.risk_tier == "urgent"
    page = client.get(response["Location"]).content.decode()
    assert "If you need help now" in page and "tel:" in page
    staff_page = login(personas.therapist).get(conversation_url(enrollment)).content.decode()
    assert "Risk language: urgent" in staff_page


def test_harmless_figures_of_speech_raise_nothing(personas, enrollment, login):
    from tandem.safety.models import Alert

    client = login(personas.patient.user)
    response = post(client, enrollment, "I killed it at work today!")
    assert "crisis" not in response["Location"]
    assert not Alert.objects.exists()
    # Staff messages are never scanned as the patient's risk.
    post(login(personas.therapist), enrollment, "Some people think 'I want to die' at times")
    assert not Alert.objects.exists()


class _FailingSafety:
    @staticmethod
    def raise_alert(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("safety is down")

    @staticmethod
    def crisis_resources(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("safety is down")


def test_a_failing_alert_stores_nothing_and_still_shows_help(
    personas, enrollment, login, monkeypatch
):
    monkeypatch.setattr(risk, "_safety_services", lambda: _FailingSafety)
    client = login(personas.patient.user)
    response = post(client, enrollment, "I want to die")
    assert response.status_code == 503
    html = response.content.decode()
    assert "could not be sent" in html and "tel:112" in html
    assert not Message.objects.exists()
    assert not Event.objects.filter(kind="message.sent").exists()
    assert Draft.objects.get().body == "I want to die"  # the text is not lost


def test_the_adapter_calls_the_safety_api_in_the_same_transaction(
    personas, enrollment, monkeypatch
):
    calls = []

    class Recorder:
        @staticmethod
        def raise_alert(**kwargs):  # type: ignore[no-untyped-def]
            assert connection.in_atomic_block
            assert Message.objects.filter(pk=kwargs["ref"].pk).exists()
            calls.append(kwargs)
            return "alert"

    monkeypatch.setattr(risk, "_safety_services", lambda: Recorder)
    result = services.send_message(
        actor=personas.patient.user,
        enrollment=enrollment,
        body="Haluan kuolla.",
        client_token=uuid.uuid4(),
    )
    assert result.alert == "alert"
    (call,) = calls
    assert call["patient"] == personas.patient and call["source"] == "message"
    assert call["tier"] == "review" and call["reason"] == "message.risk_language"
    assert call["ref"] == result.message and call["actor"] == personas.patient.user
    assert call["detail"] == {"category": "ideation", "language": "fi"}


def test_conversation_page_queries_do_not_grow_with_messages(personas, enrollment, login):
    conversation = services.conversation_for(enrollment)

    def add(n: int) -> None:
        for i in range(n):
            services.send_message(
                actor=personas.patient.user if i % 2 else personas.therapist,
                enrollment=enrollment,
                body=f"message {i} https://example.org/{i}",
                client_token=uuid.uuid4(),
                functions=["alliance"],
            )

    def count(client) -> int:  # type: ignore[no-untyped-def]
        client.get(conversation_url(enrollment))  # session bookkeeping settles first
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(conversation_url(enrollment)).status_code == 200
        return len(ctx.captured_queries)

    add(3)
    therapist, patient = login(personas.therapist), login(personas.patient.user)
    few = count(therapist), count(patient)
    add(30)
    many = count(therapist), count(patient)
    assert few == many, (few, many)
    assert conversation.messages.count() == 33


def test_inbox(personas, enrollment, other_enrollment, login):
    post(login(personas.patient.user), enrollment, "hi")
    response = login(personas.patient.user).get(reverse("messaging_inbox"))
    assert response.status_code == 302  # one program: straight to the conversation
    html = login(personas.therapist).get(reverse("messaging_inbox")).content.decode()
    assert personas.patient.user.full_name in html
    assert personas.other_patient.user.full_name not in html
    assert "waiting for reply" in html
    waiting = login(personas.cover).get(reverse("messaging_inbox") + "?waiting=1&q=Pat")
    assert personas.patient.user.full_name in waiting.content.decode()
    assert services.unread_count(user=personas.therapist) == 1
    assert services.unread_count(user=personas.other_therapist) == 0
