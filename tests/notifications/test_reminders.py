"""Patient reminders: quiet hours, at most one a day (appointments apart), frequency,
per-reason switches, unsubscribe, check-ins after silence — in the patient's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from tandem.notifications import jobs, services
from tandem.notifications.models import (
    InAppNotification,
    Notification,
    NotificationPreferences,
    PendingReminder,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogs")]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HELSINKI = ZoneInfo("Europe/Helsinki")


def at(day: int, hour: int, minute: int = 0, tz=STOCKHOLM) -> datetime:
    """A local time in March 2026 (Monday 2 March … before the change to summer time)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=tz)


@pytest.fixture
def patient(personas, outbox):
    user = personas.patient.user
    user.timezone = "Europe/Stockholm"
    user.language = "sv"
    user.last_login = at(2, 9)
    user.save()
    return personas.patient


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def _run(when: datetime):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return jobs.send_due_reminders()

    return _run


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def _remind(when: datetime, patient, reason: str, ref=None):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return services.remind(patient=patient, reason=reason, ref=ref)

    return _remind


def mails_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def test_quiet_hours_then_one_grouped_reminder_a_day(patient, run, remind):
    user = patient.user
    remind(at(2, 22, 30), patient, "module_open", "module:1")
    remind(at(2, 22, 31), patient, "questionnaire_due", "assignment:1")
    # In Tandem at once (inside the platform), by email not in quiet hours.
    assert InAppNotification.objects.filter(user=user).count() == 2
    assert run(at(2, 22, 35))["quiet"] == 1
    assert run(at(3, 7, 55))["quiet"] == 1
    assert mails_to(user) == []

    assert run(at(3, 8, 0))["reminder"] == 1
    [sent] = mails_to(user)
    assert sent.subject == "Något nytt väntar på dig i Tandem"  # Swedish, as she chose
    assert not PendingReminder.objects.filter(handled_at__isnull=True).exists()

    # A new reason the same day waits for tomorrow; running again sends nothing.
    remind(at(3, 9, 0), patient, "homework_due", "homework:1")
    assert run(at(3, 9, 5))["waiting"] == 1
    assert run(at(3, 20, 55))["waiting"] == 1
    assert len(mails_to(user)) == 1
    assert run(at(3, 21, 5))["quiet"] == 1
    assert run(at(4, 8, 0))["reminder"] == 1
    assert len(mails_to(user)) == 2


def test_each_patient_in_their_own_time_zone(personas, patient, run, remind):
    helsinki = personas.other_patient
    helsinki.user.timezone = "Europe/Helsinki"
    helsinki.user.save()
    remind(at(2, 12), patient, "module_open", "m")
    remind(at(2, 12), helsinki, "module_open", "m")
    run(at(2, 23))  # quiet for both; the day's reminder is still to come
    mail.outbox.clear()
    # 06:30 UTC is 08:30 in Helsinki and 07:30 in Stockholm.
    run(datetime(2026, 3, 3, 6, 30, tzinfo=ZoneInfo("UTC")))
    assert len(mails_to(helsinki.user)) == 1 and mails_to(patient.user) == []
    run(datetime(2026, 3, 3, 7, 0, tzinfo=ZoneInfo("UTC")))
    assert len(mails_to(patient.user)) == 1


def test_chosen_quiet_hours_are_respected(patient, run, remind):
    NotificationPreferences.objects.create(
        user=patient.user, quiet_start=time(22, 0), quiet_end=time(10, 0)
    )
    remind(at(2, 23), patient, "module_open", "m")
    assert run(at(3, 9, 55))["quiet"] == 1
    assert run(at(3, 10, 0))["reminder"] == 1


def test_a_same_day_run_twice_sends_once(patient, run, remind):
    remind(at(2, 12), patient, "module_open", "m")
    run(at(2, 12, 5))
    run(at(2, 12, 5))
    assert len(mails_to(patient.user)) == 1
    assert Notification.objects.filter(recipient=patient.user, channel="email").count() == 1


def test_appointment_reminders_are_not_grouped(
    patient, run, remind, django_capture_on_commit_callbacks
):
    remind(at(2, 12), patient, "module_open", "m")
    with time_machine.travel(at(2, 12), tick=False):
        services.remind_appointment(patient=patient, appointment="appt:1", starts_at=at(4, 14))
    assert run(at(2, 12, 5))["reminder"] == 1  # the appointment waits for the day before
    remind(at(3, 7), patient, "questionnaire_due", "q")
    counts = run(at(3, 8, 0))
    assert counts["appointment"] == 1 and counts["reminder"] == 1
    subjects = sorted(m.subject for m in mails_to(patient.user))
    assert subjects == [
        "En påminnelse om i morgon från Tandem",
        "Något nytt väntar på dig i Tandem",
        "Något nytt väntar på dig i Tandem",
    ]


def test_an_appointment_booked_too_late_gets_no_reminder(patient, run):
    with time_machine.travel(at(2, 12), tick=False):
        services.remind_appointment(patient=patient, appointment="appt:2", starts_at=at(2, 13))
    assert run(at(2, 12, 5)) == {}
    assert mails_to(patient.user) == []
    assert PendingReminder.objects.get().outcome == "expired"


def test_weekly_frequency(patient, run, remind):
    NotificationPreferences.objects.create(user=patient.user, frequency="weekly")
    remind(at(2, 12), patient, "module_open", "m1")
    run(at(2, 12, 5))
    remind(at(3, 12), patient, "module_open", "m2")
    for day in range(3, 9):
        run(at(day, 12))
    assert len(mails_to(patient.user)) == 1
    run(at(9, 12))
    assert len(mails_to(patient.user)) == 2


def test_switched_off_reasons_and_unsubscribe_are_respected(patient, run, remind):
    NotificationPreferences.objects.create(user=patient.user, remind_homework_due=False)
    remind(at(2, 12), patient, "homework_due", "h")
    assert run(at(2, 12, 5)) == {}
    assert PendingReminder.objects.get().outcome == "dropped"
    services.unsubscribe(user=patient.user)
    remind(at(3, 12), patient, "module_open", "m")
    assert run(at(3, 12, 5))["dropped"] == 1
    assert mails_to(patient.user) == []


def test_reminder_queued_before_unsubscribing_is_not_sent(
    patient, remind, django_capture_on_commit_callbacks
):
    remind(at(2, 12), patient, "module_open", "m")
    with time_machine.travel(at(2, 12, 5), tick=False):
        jobs.send_due_reminders()  # the email is queued, its task not yet run …
        services.unsubscribe(user=patient.user)  # … when she unsubscribes
    n = Notification.objects.get(recipient=patient.user, channel="email")
    from tandem.notifications import delivery

    assert delivery.deliver(n.pk) == "suppressed"
    assert mails_to(patient.user) == []


def test_sms_and_in_app_only_channels(patient, run, remind, sms_outbox):
    NotificationPreferences.objects.create(
        user=patient.user, reminder_channel="sms", phone="+46701234567"
    )
    remind(at(2, 12), patient, "module_open", "m")
    run(at(2, 12, 5))
    assert mails_to(patient.user) == []
    [text] = sms_outbox
    assert text["to"] == "+46701234567" and text["body"].startswith("Tandem: något nytt")

    NotificationPreferences.objects.filter(user=patient.user).update(reminder_channel="in_app")
    remind(at(3, 12), patient, "questionnaire_due", "q")
    run(at(3, 12, 5))
    assert len(sms_outbox) == 1 and mails_to(patient.user) == []
    assert InAppNotification.objects.filter(user=patient.user).count() == 2


def test_a_gentle_check_in_after_a_silent_week_at_most_weekly(
    patient, run, django_capture_on_commit_callbacks
):
    user = patient.user
    user.last_login = at(2, 9)
    user.date_joined = at(1, 9) - timedelta(days=30)
    user.save()

    def scan(when):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return jobs.scan_silence()

    assert scan(at(9, 8)) == 0  # six days and 23 hours: not yet
    assert scan(at(9, 10)) == 1  # seven days of silence
    assert run(at(9, 10, 5))["checkin"] == 1
    [sent] = mails_to(user)
    assert sent.subject == "Tandem finns här när du är redo"
    assert "ingen brådska" in sent.body
    # Still silent: nothing more within the week, one again after it.
    for day in range(10, 16):
        assert scan(at(day, 10)) == 0
    assert scan(at(16, 10)) == 1
    run(at(16, 10, 5))
    assert len(mails_to(user)) == 2


def test_no_check_in_for_active_or_long_gone_patients(patient, django_capture_on_commit_callbacks):
    user = patient.user
    with time_machine.travel(at(9, 6), tick=False):
        user.last_login = at(8, 20)
        user.save()
        assert jobs.scan_silence() == 0
        user.last_login = at(9, 6) - timedelta(days=70)
        user.date_joined = user.last_login
        user.save()
        assert jobs.scan_silence() == 0


def test_withdrawn_reasons_are_not_sent(patient, run, remind):
    remind(at(2, 12), patient, "questionnaire_due", "q")
    assert services.withdraw_reminder(patient=patient, reason="questionnaire_due", ref="q") == 1
    assert run(at(2, 12, 5)) == {}
    assert mails_to(patient.user) == []


def test_remind_is_idempotent_and_validates(patient, remind):
    a = remind(at(2, 12), patient, "module_open", "m")
    b = remind(at(2, 12), patient, "module_open", "m")
    assert a.pk == b.pk
    assert InAppNotification.objects.filter(user=patient.user).count() == 1
    with pytest.raises(ValueError):
        services.remind(patient=patient, reason="score_worsened")
