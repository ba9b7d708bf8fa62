"""Delivery against a real SMTP server on loopback (aiosmtpd): sent once, retried when
the server is down, never doubled when a worker dies between sending and recording."""

from __future__ import annotations

import smtplib
import time
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from tandem.notifications import delivery, services
from tandem.notifications.models import Notification, NotificationPreferences, State

pytestmark = pytest.mark.django_db


def _notify(user, key="k1", kind="something_new", channel="email"):
    return services.notify(
        recipient=user, kind=kind, channel=channel, dedupe_key=key, link_url="/journey/"
    )


def _reload(n: Notification) -> Notification:
    return Notification.objects.get(pk=n.pk)


def test_delivered_once_with_a_stable_message_id(
    personas, smtp_server, django_capture_on_commit_callbacks
):
    user = personas.patient.user
    with django_capture_on_commit_callbacks(execute=True):
        n = _notify(user)
        again = _notify(user)  # the same dedupe key: the same notification
    assert again.pk == n.pk
    n = _reload(n)
    assert n.state == State.SENT and n.attempts == 1 and n.sent_at is not None
    assert n.address == user.email
    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == [user.email]
    text = envelope.content.decode()
    assert f"Message-ID: <{n.uuid}@" in text
    assert "Auto-Submitted: auto-generated" in text
    assert "http://127.0.0.1:8000/journey/" in text
    # Running the task again (a duplicate task, a second worker) sends nothing.
    assert delivery.deliver(n.pk) == "not-due"
    assert len(smtp_server.messages) == 1


def test_retry_after_the_server_was_down(personas, smtp_down, django_capture_on_commit_callbacks):
    user = personas.patient.user
    with django_capture_on_commit_callbacks(execute=True):
        n = _notify(user)
    n = _reload(n)
    assert n.state == State.FAILED and n.attempts == 1
    assert "unreachable" in n.last_error
    assert n.next_attempt_at is not None
    assert timedelta(seconds=50) < n.next_attempt_at - timezone.now() <= timedelta(minutes=1)

    # Not due yet: the retry job leaves it alone.
    call_command("notifications_retry")
    assert _reload(n).attempts == 1

    smtp_down.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):  # the next period
        call_command("notifications_retry")
    n = _reload(n)
    assert n.state == State.SENT and n.attempts == 2
    assert len(smtp_down.messages) == 1


def test_backoff_and_give_up_after_five_attempts(personas, smtp_down, settings):
    user = personas.patient.user
    n = _notify(user)
    start = timezone.now()
    delays = []
    at = start
    for _ in range(5):
        assert delivery.deliver(n.pk, now=at) == "failed"
        n = _reload(n)
        if n.next_attempt_at is None:
            break
        delays.append(round((n.next_attempt_at - at).total_seconds() / 60))
        at = n.next_attempt_at
    assert delays == [1, 5, 25, 125]
    assert n.state == State.FAILED and n.attempts == 5 and n.next_attempt_at is None
    assert smtp_down.messages == []


def test_worker_dies_between_send_and_record_no_duplicate(
    personas, smtp_server, django_capture_on_commit_callbacks
):
    user = personas.patient.user
    # The task's record step dies after the server accepted the message.
    killed = mock.patch.object(delivery, "record_sent", side_effect=RuntimeError("worker killed"))
    with killed, django_capture_on_commit_callbacks(execute=True):
        n = _notify(user)
    assert len(smtp_server.messages) == 1
    n = _reload(n)
    assert n.state == State.SENDING and n.handed_over_at is not None

    # Before the lease expires nobody touches it; after, the retry job settles it.
    call_command("notifications_retry")
    assert _reload(n).state == State.SENDING
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        call_command("notifications_retry")
        assert delivery.deliver(n.pk) == "not-due"
    n = _reload(n)
    assert n.state == State.FAILED and n.needs_review
    assert "may have been delivered" in n.last_error
    assert len(smtp_server.messages) == 1  # exactly one at the server


def test_worker_dies_before_handing_over_is_retried_once(personas, smtp_server):
    user = personas.patient.user
    n = _notify(user)
    assert delivery.claim(n.pk) == 1  # a worker claims it … and is killed
    assert delivery.deliver(n.pk) == "not-due"  # another worker cannot take it meanwhile
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        call_command("notifications_retry")
    n = _reload(n)
    assert n.state == State.SENT and n.attempts == 2 and not n.needs_review
    assert len(smtp_server.messages) == 1


def test_a_lost_lease_stops_the_message_before_its_final_dot(personas, smtp_server, settings):
    """The worker streamed the message body but lost its lease before the end-of-data
    marker: the server discards the unfinished message; the retry sends it once."""
    user = personas.patient.user
    n = _notify(user)
    settings.TANDEM_NOTIFICATION_LEASE_SECONDS = 0  # the lease has expired on claim
    assert delivery.deliver(n.pk) == "lease-lost"
    time.sleep(0.2)
    assert smtp_server.messages == []
    settings.TANDEM_NOTIFICATION_LEASE_SECONDS = 600
    delivery.reconcile()
    assert delivery.deliver(n.pk) == "sent"
    assert len(smtp_server.messages) == 1


def test_a_refused_recipient_is_a_bounce_and_is_flagged(personas, smtp_server):
    user = personas.patient.user

    async def refuse(server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        return "550 5.1.1 mailbox unavailable"

    smtp_server.handler.handle_RCPT = refuse
    n = _notify(user)
    assert delivery.deliver(n.pk) == "bounced"
    assert _reload(n).state == State.BOUNCED
    prefs = NotificationPreferences.objects.get(user=user)
    assert prefs.email_bounced
    # Nothing more is emailed to a bounced address.
    later = _notify(user, key="k2")
    assert delivery.deliver(later.pk) == "suppressed"
    assert _reload(later).last_error == "email address bounced"


def test_a_temporary_refusal_is_retried(personas, smtp_server):
    async def busy(server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        return "451 4.3.0 try again later"

    smtp_server.handler.handle_RCPT = busy
    n = _notify(personas.patient.user)
    assert delivery.deliver(n.pk) == "failed"
    n = _reload(n)
    assert n.state == State.FAILED and n.next_attempt_at is not None and "451" in n.last_error


def test_an_unconfirmed_message_is_left_for_review_not_resent(personas, smtp_server):
    """The server takes the final dot and the connection dies before its answer."""
    n = _notify(personas.patient.user)
    real_send, real_getreply = smtplib.SMTP.send, smtplib.SMTP.getreply
    final_dot_sent = {"yes": False}

    def send(self, data):  # type: ignore[no-untyped-def]
        final_dot_sent["yes"] = data == b".\r\n"
        return real_send(self, data)

    def getreply(self):  # type: ignore[no-untyped-def]
        if final_dot_sent["yes"]:
            raise TimeoutError("no answer")
        return real_getreply(self)

    with mock.patch("smtplib.SMTP.send", send), mock.patch("smtplib.SMTP.getreply", getreply):
        assert delivery.deliver(n.pk) == "unknown"
    n = _reload(n)
    assert n.state == State.FAILED and n.needs_review and n.next_attempt_at is None
    call_command("notifications_retry")
    assert _reload(n).state == State.FAILED  # not resent automatically
    assert delivery.resend(n)
    assert delivery.deliver(n.pk) == "sent"  # a person decided to send it again


def test_smtp_down_never_touches_the_request(
    personas, smtp_down, settings, django_capture_on_commit_callbacks
):
    """With the database task queue (production), notify() only stores rows."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    started = time.monotonic()
    no_smtp = mock.patch("smtplib.SMTP.connect", side_effect=AssertionError("no SMTP here"))
    with no_smtp, django_capture_on_commit_callbacks(execute=True):
        n = _notify(personas.patient.user)
    assert time.monotonic() - started < 1
    assert _reload(n).state == State.QUEUED
    assert DBTaskResult.objects.filter(task_path="tandem.notifications.tasks.deliver").count() == 1


def test_inactive_recipient_is_suppressed(personas, smtp_server):
    n = _notify(personas.deactivated_therapist, kind="safety_alert")
    assert n.state == State.SUPPRESSED
    assert delivery.deliver(n.pk) == "not-due"
    assert smtp_server.messages == []


def test_in_app_is_written_exactly_once(personas, django_capture_on_commit_callbacks):
    user = personas.patient.user
    with django_capture_on_commit_callbacks(execute=True):
        n = _notify(user, channel="in_app")
    n = _reload(n)
    assert n.state == State.SENT
    assert user.in_app_notifications.count() == 1
    assert delivery.deliver(n.pk) == "not-due"
    assert user.in_app_notifications.count() == 1


def test_notify_refuses_bad_arguments(personas):
    user = personas.patient.user
    with pytest.raises(ValueError):
        services.notify(recipient=user, kind="nope", channel="email", dedupe_key="x")
    with pytest.raises(ValueError):
        services.notify(recipient=user, kind="something_new", channel="fax", dedupe_key="x")
    with pytest.raises(ValueError):
        services.notify(
            recipient=user,
            kind="something_new",
            channel="email",
            dedupe_key="x",
            link_url="https://evil.example/",
        )
    with pytest.raises(ValueError):
        services.notify(
            recipient=user,
            kind="something_new",
            channel="email",
            dedupe_key="x",
            context={"blob": "x" * 5000},
        )


def test_reminder_email_has_a_working_list_unsubscribe_header(personas, smtp_server, client):
    import email

    n = _notify(personas.patient.user, kind="patient_reminder")
    assert delivery.deliver(n.pk) == "sent"
    [envelope] = smtp_server.messages
    message = email.message_from_bytes(envelope.content)
    header = message["List-Unsubscribe"]
    assert header.startswith("<http://127.0.0.1:8000/notifications/unsubscribe/"), header
    assert "=?" not in header  # one readable URL, not encoded words
    path = header.strip("<>").removeprefix("http://127.0.0.1:8000")
    assert path in message.get_payload(decode=True).decode()
    assert client.get(path).status_code == 200
