"""Security notices ("your sign-in settings changed") go through the delivery log: sent
once, retried when the mail server is down, listed for the clinic, never switched off by
reminder settings, and free of names and clinical content."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tandem.accounts import notices
from tandem.accounts.tasks import enqueue_security_notice
from tandem.notifications import kinds
from tandem.notifications.models import Notification, NotificationPreferences, State

pytestmark = pytest.mark.django_db


def _notice(user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_security_notice(user_id=user.pk, notice="mfa_changed")
    return Notification.objects.get(recipient=user, kind=kinds.SECURITY_NOTICE)


def test_a_notice_is_sent_once_and_listed_in_the_delivery_log(
    personas, login, django_capture_on_commit_callbacks
):
    user = personas.therapist
    notification = _notice(user, django_capture_on_commit_callbacks)
    assert notification.channel == "email" and notification.state == State.SENT
    [email] = [m for m in mail.outbox if m.to == [user.email]]
    assert email.subject == "Your Tandem sign-in settings changed"
    assert "two-factor authentication settings" in email.body
    assert user.full_name not in email.body  # a greeting without the name
    log = login(personas.supervisor).get(reverse("notifications_delivery_log"))
    assert "Security notice" in log.content.decode()


def test_every_change_is_its_own_notice(personas, django_capture_on_commit_callbacks):
    user = personas.therapist
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_security_notice(user_id=user.pk, notice="mfa_changed")
        enqueue_security_notice(user_id=user.pk, notice="mfa_changed")
    assert Notification.objects.filter(recipient=user, kind=kinds.SECURITY_NOTICE).count() == 2


def test_reminders_switched_off_do_not_silence_a_security_notice(
    personas, django_capture_on_commit_callbacks
):
    user = personas.patient.user
    NotificationPreferences.objects.create(user=user, frequency="off")
    assert _notice(user, django_capture_on_commit_callbacks).state == State.SENT


def test_a_notice_is_retried_when_the_mail_server_was_down(
    personas, smtp_down, django_capture_on_commit_callbacks
):
    notification = _notice(personas.therapist, django_capture_on_commit_callbacks)
    assert notification.state == State.FAILED and notification.attempts == 1
    smtp_down.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        call_command("notifications_retry")
    notification.refresh_from_db()
    assert notification.state == State.SENT and len(smtp_down.messages) == 1


def test_without_the_notifications_app_the_accounts_task_emails_directly(
    personas, django_capture_on_commit_callbacks
):
    from tandem.notifications import services

    notices.register_sender(None)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_security_notice(user_id=personas.therapist.pk, notice="mfa_changed")
    finally:
        notices.register_sender(services.send_security_notice)
    assert not Notification.objects.exists()
    assert [m.subject for m in mail.outbox] == ["Your Tandem sign-in settings changed"]


def test_an_unknown_notice_is_refused(personas):
    with pytest.raises(ValueError, match="unknown security notice"):
        enqueue_security_notice(user_id=personas.therapist.pk, notice="password_maybe")


def test_a_password_change_is_audited_and_notified(personas, django_capture_on_commit_callbacks):
    from django.test import Client

    from tandem.audit.models import AuditEntry
    from tests.accounts.flows import sign_in
    from tests.accounts.test_passwords import NEW_PASSWORD as new
    from tests.personas import PASSWORD

    user = personas.patient.user
    client = Client()
    sign_in(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/account/password/change/",
            {"oldpassword": PASSWORD, "password1": new, "password2": new},
        )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(actor=user, action="accounts.password.changed").exists()
    notice = Notification.objects.get(recipient=user, kind=kinds.SECURITY_NOTICE)
    assert notice.context == {"notice": "password_changed"} and notice.state == State.SENT
    assert notice.link_url == "/account/password/reset/"
    [email] = [m for m in mail.outbox if m.to == [user.email]]
    assert "password of your Tandem account was changed" in email.body


def test_a_password_reset_is_audited_and_notified(personas, django_capture_on_commit_callbacks):
    from django.test import Client

    from tandem.audit.models import AuditEntry
    from tests.accounts.test_passwords import NEW_PASSWORD, request_reset, reset_link

    user = personas.patient.user
    _, (message,) = request_reset(user.email)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reset_link(message))
        client.post(response["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert AuditEntry.objects.filter(actor=user, action="accounts.password.reset").exists()
    assert Notification.objects.filter(
        recipient=user, kind=kinds.SECURITY_NOTICE, context={"notice": "password_changed"}
    ).exists()
