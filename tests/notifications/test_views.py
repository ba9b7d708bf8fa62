"""Preferences, one-click unsubscribe, the in-app list and the delivery log; the bounce
command and pruning. Outsiders are refused (the access matrix covers every role)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditEntry
from tandem.notifications import jobs, services
from tandem.notifications.forms import normalise_phone
from tandem.notifications.models import (
    InAppNotification,
    Notification,
    NotificationPreferences,
    PendingReminder,
    State,
)
from tandem.notifications.tokens import make_unsubscribe_token

pytestmark = pytest.mark.django_db

PATIENT_FORM = {
    "reminder_channel": "email",
    "phone": "",
    "frequency": "daily",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "remind_module_open": "on",
    "remind_questionnaire_due": "on",
}


# --- preferences ----------------------------------------------------------------------------------


def test_patient_chooses_channel_frequency_quiet_hours_and_reasons(personas, login):
    client = login(personas.patient.user)
    url = reverse("notification_preferences")
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="remind_check_in"' in page.content.decode()
    response = client.post(url, {**PATIENT_FORM, "phone": "+358 40 123 4567", "quiet_end": "09:30"})
    assert response.status_code == 302
    prefs = NotificationPreferences.objects.get(user=personas.patient.user)
    assert prefs.phone == "+358401234567"
    assert prefs.quiet_end.hour == 9 and prefs.quiet_end.minute == 30
    assert prefs.remind_module_open is True and prefs.remind_check_in is False
    assert AuditEntry.objects.filter(action="notifications.preferences.changed").exists()


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"phone": "040 123 4567"}, "phone", "international format"),
        ({"phone": "+0 123"}, "phone", "international format"),
        ({"phone": "call me maybe"}, "phone", "international format"),
        ({"reminder_channel": "sms", "phone": ""}, "phone", "Add your mobile phone number"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end", "different time"),
        ({"quiet_start": "25:00"}, "quiet_start", "valid time"),
        ({"frequency": "hourly"}, "frequency", "valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message(personas, login, data, field, message):
    client = login(personas.patient.user)
    response = client.post(reverse("notification_preferences"), {**PATIENT_FORM, **data})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not NotificationPreferences.objects.filter(user=personas.patient.user).exists()


def test_phone_numbers_are_normalised_to_e164():
    assert normalise_phone("+358 (40) 123-4567") == "+358401234567"
    assert normalise_phone("0046 70 123 45 67") == "+46701234567"
    assert normalise_phone("") == ""


def test_therapist_chooses_digest_time_and_channel(personas, login):
    client = login(personas.therapist)
    url = reverse("notification_preferences")
    response = client.post(url, {"digest_time": "07:15", "digest_channel": "in_app", "phone": ""})
    assert response.status_code == 302
    prefs = NotificationPreferences.objects.get(user=personas.therapist)
    assert prefs.digest_channel == "in_app" and prefs.digest_time.minute == 15
    response = client.post(url, {"digest_time": "07:15", "digest_channel": "sms", "phone": ""})
    assert response.status_code == 200 and "phone" in response.context["form"].errors


def test_admins_have_no_notification_form(personas, login):
    response = login(personas.admin).post(
        reverse("notification_preferences"), {"digest_time": "07:00"}
    )
    assert response.status_code == 200 and response.context["form"] is None
    assert not NotificationPreferences.objects.filter(user=personas.admin).exists()


# --- unsubscribe ----------------------------------------------------------------------------------


def _unsubscribe_url(user) -> str:
    return reverse("notifications_unsubscribe", kwargs={"token": make_unsubscribe_token(user)})


def test_unsubscribe_in_one_click_get_changes_nothing(personas):
    user = personas.patient.user
    client = Client()
    page = client.get(_unsubscribe_url(user))
    assert page.status_code == 200
    assert "Stop reminders?" in page.content.decode()
    assert user.email not in page.content.decode()  # the page does not say whose link it is
    assert not NotificationPreferences.objects.filter(user=user, frequency="off").exists()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    done = client.post(_unsubscribe_url(user), {"csrfmiddlewaretoken": token})
    assert done.status_code == 200 and "Reminders stopped" in done.content.decode()
    prefs = NotificationPreferences.objects.get(user=user)
    assert prefs.frequency == "off" and prefs.unsubscribed_at is not None
    assert AuditEntry.objects.filter(action="notifications.reminders.unsubscribed").count() == 1
    # Twice is harmless.
    assert client.post(_unsubscribe_url(user), {"csrfmiddlewaretoken": token}).status_code == 200


def test_unsubscribe_is_respected_by_the_reminder_job(
    personas, django_capture_on_commit_callbacks, outbox
):
    patient = personas.patient
    services.unsubscribe(user=patient.user)
    services.remind(patient=patient, reason="module_open", ref="m")
    with django_capture_on_commit_callbacks(execute=True):
        jobs.send_due_reminders(timezone.now().replace(hour=12))
    assert [m for m in outbox if m.to == [patient.user.email]] == []
    assert PendingReminder.objects.get().outcome == "dropped"


@pytest.mark.parametrize("token", ["garbage", "x" * 300, "InRhbXBlcmVkIg:1abc:forged"])
def test_a_bad_unsubscribe_link_gets_a_clear_page(personas, token):
    response = Client().get(reverse("notifications_unsubscribe", kwargs={"token": token}))
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    response = Client().post(reverse("notifications_unsubscribe", kwargs={"token": token}))
    assert response.status_code in (400, 403)
    assert not NotificationPreferences.objects.exists()


def test_a_tampered_token_for_another_user_is_refused(personas):
    good = make_unsubscribe_token(personas.patient.user)
    _, signature = good.split(":", 1)
    other = make_unsubscribe_token(personas.other_patient.user)
    forged = other.split(":", 1)[0] + ":" + signature
    assert (
        Client().get(reverse("notifications_unsubscribe", kwargs={"token": forged})).status_code
        == 400
    )


def test_unsubscribe_post_needs_a_csrf_token(personas):
    response = Client(enforce_csrf_checks=True).post(_unsubscribe_url(personas.patient.user))
    assert response.status_code == 403
    assert not NotificationPreferences.objects.exists()


def test_enabling_reminders_again_clears_the_unsubscribe(personas, login):
    services.unsubscribe(user=personas.patient.user)
    login(personas.patient.user).post(reverse("notification_preferences"), PATIENT_FORM)
    prefs = NotificationPreferences.objects.get(user=personas.patient.user)
    assert prefs.frequency == "daily" and prefs.unsubscribed_at is None


# --- in-app ---------------------------------------------------------------------------------------


def test_in_app_list_is_the_users_own(personas, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.remind(patient=personas.patient, reason="module_open", ref="m")
        services.remind(patient=personas.other_patient, reason="questionnaire_due", ref="q")
    client = login(personas.patient.user)
    page = client.get(reverse("notifications_inbox")).content.decode()
    assert "A new module is open" in page
    assert "A questionnaire is waiting" not in page
    assert client.post(reverse("notifications_mark_read")).status_code == 302
    assert not InAppNotification.objects.filter(user=personas.patient.user, read_at=None).exists()
    assert InAppNotification.objects.filter(user=personas.other_patient.user, read_at=None).exists()


# --- delivery log, bounces ------------------------------------------------------------------------


def test_delivery_log_shows_bounces_and_problems_of_the_clinic_only(personas, login):
    call_command("notifications_bounce", personas.patient.user.email.upper())
    Notification.objects.create(
        recipient=personas.therapist,
        kind="safety_alert",
        channel="email",
        dedupe_key="a",
        state=State.FAILED,
        needs_review=True,
        next_attempt_at=None,
        last_error="outcome unknown",
    )
    Notification.objects.create(
        recipient=personas.foreign_patient.user,
        kind="patient_reminder",
        channel="email",
        dedupe_key="b",
        state=State.SENT,
    )
    page = login(personas.admin).get(reverse("notifications_delivery_log")).content.decode()
    assert "Email addresses that bounced" in page and personas.patient.user.email in page
    assert "1 notification needs review" in page and "Send again" in page
    assert personas.foreign_patient.name not in page
    assert AuditEntry.objects.filter(action="notifications.delivery_log.viewed").exists()
    other = (
        login(personas.outsider_supervisor)
        .get(reverse("notifications_delivery_log"))
        .content.decode()
    )
    assert personas.patient.user.email not in other and personas.foreign_patient.name in other


def test_resend_after_review(personas, login):
    n = Notification.objects.create(
        recipient=personas.therapist,
        kind="safety_alert",
        channel="email",
        dedupe_key="a",
        state=State.FAILED,
        needs_review=True,
        next_attempt_at=None,
        attempts=3,
    )
    response = login(personas.supervisor).post(reverse("notifications_resend", args=[n.uuid]))
    assert response.status_code == 302
    n.refresh_from_db()
    assert n.state == State.QUEUED and not n.needs_review and n.attempts == 3
    assert n.attempts_at_resend == 3
    # Not failed any more: a second click changes nothing.
    login(personas.supervisor).post(reverse("notifications_resend", args=[n.uuid]))
    assert AuditEntry.objects.filter(action="notifications.delivery.resent").count() == 1


def test_bounce_command_validates_and_clears(personas):
    with pytest.raises(CommandError, match="not a valid email address"):
        call_command("notifications_bounce", "not-an-address")
    with pytest.raises(CommandError, match="no user"):
        call_command("notifications_bounce", "nobody@test.example")
    email = personas.patient.user.email
    call_command("notifications_bounce", email)
    assert NotificationPreferences.objects.get(user=personas.patient.user).email_bounced
    call_command("notifications_bounce", email, "--clear")
    assert not NotificationPreferences.objects.get(user=personas.patient.user).email_bounced


def test_a_changed_address_is_no_longer_flagged(personas):
    call_command("notifications_bounce", personas.patient.user.email)
    personas.patient.user.email = "new-address@test.example"
    personas.patient.user.save()
    assert not NotificationPreferences.objects.get(user=personas.patient.user).email_bounced


def test_prune_keeps_what_is_pending_or_needs_review(personas):
    old = timezone.now() - timedelta(days=120)
    user = personas.patient.user
    for key, state, review, next_at in [
        ("sent", State.SENT, False, None),
        ("gave-up", State.FAILED, False, None),
        ("review", State.FAILED, True, None),
        ("retry", State.FAILED, False, timezone.now()),
    ]:
        n = Notification.objects.create(
            recipient=user,
            kind="something_new",
            channel="email",
            dedupe_key=key,
            state=state,
            needs_review=review,
            next_attempt_at=next_at,
        )
        Notification.objects.filter(pk=n.pk).update(created_at=old)
    Notification.objects.create(
        recipient=user, kind="something_new", channel="email", dedupe_key="new", state=State.SENT
    )
    jobs.prune()
    assert sorted(Notification.objects.values_list("dedupe_key", flat=True)) == [
        "new",
        "retry",
        "review",
    ]
