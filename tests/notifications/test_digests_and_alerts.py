"""Therapists: one daily summary at their chosen local time; immediate notification only
for safety alerts, routed to who is available, and their escalation to the supervisor."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tandem.core import events
from tandem.notifications import digest, jobs, routing, services
from tandem.notifications.models import Notification, NotificationPreferences, State

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogs")]

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=STOCKHOLM)


def mails_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


@pytest.fixture
def provider():
    lines: dict[str, list] = {"value": [(3, "messages waiting"), (0, "nothing here")]}

    def messages(user, now):
        return lines["value"]

    digest.register(messages, name="test_messages")
    yield lines
    digest.unregister("test_messages")


@pytest.fixture
def therapist(personas, outbox):
    user = personas.therapist
    user.timezone = "Europe/Stockholm"
    user.save()
    NotificationPreferences.objects.create(user=user, digest_time=time(7, 30))
    return user


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def _run(when):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return jobs.send_due_digests()

    return _run


def test_one_digest_a_day_at_the_chosen_local_time(therapist, provider, run):
    run(at(2, 7, 25))
    assert mails_to(therapist) == []
    run(at(2, 7, 30))
    [sent] = mails_to(therapist)
    assert sent.subject == "Your Tandem summary for March 2, 2026"
    assert "- 3 messages waiting" in sent.body
    assert "nothing here" not in sent.body  # zero counts are left out
    run(at(2, 7, 35))
    run(at(2, 16, 0))
    assert len(mails_to(therapist)) == 1
    run(at(3, 7, 29))
    assert len(mails_to(therapist)) == 1
    run(at(3, 7, 31))
    assert len(mails_to(therapist)) == 2


def test_the_digest_holds_no_patient_identity_or_clinical_text(personas, therapist, provider, run):
    provider["value"] = [
        (1, f"message from {personas.patient.name}"),  # a careless provider …
        (2, "PHQ-9 scores worsened"),  # … and a clinical one: dropped
        (4, "exercises awaiting feedback"),
    ]
    run(at(2, 8))
    [sent] = mails_to(therapist)
    assert "PHQ" not in sent.body and "worsened" not in sent.body
    assert "- 4 exercises awaiting feedback" in sent.body
    # Identities cannot be detected generically: the provider contract forbids them
    # (docs/notifications.md); this line shows that contract is the provider's job.
    assert "message from" in sent.body


def test_nothing_to_report_or_away_sends_nothing(personas, therapist, provider, run):
    provider["value"] = []
    run(at(2, 8))
    assert mails_to(therapist) == []
    n = Notification.objects.get(recipient=therapist, kind="therapist_digest")
    assert n.state == State.SUPPRESSED and n.last_error == "nothing needs attention"

    provider["value"] = [(1, "message waiting")]

    def away(user_ids, now):
        return {therapist.pk}

    routing.register_unavailability(away)
    try:
        run(at(3, 8))
    finally:
        routing.unregister_unavailability(away)
    assert mails_to(therapist) == []
    assert (
        Notification.objects.get(recipient=therapist, dedupe_key="digest:2026-03-03").last_error
        == "away"
    )


def test_digest_channel_choice(personas, therapist, provider, run):
    NotificationPreferences.objects.filter(user=therapist).update(digest_channel="in_app")
    run(at(2, 8))
    assert mails_to(therapist) == []
    assert therapist.in_app_notifications.count() == 1
    NotificationPreferences.objects.filter(user=therapist).update(digest_channel="off")
    run(at(3, 8))
    assert therapist.in_app_notifications.count() == 1


def test_builtin_line_counts_open_alerts(personas, therapist, django_capture_on_commit_callbacks):
    alert = uuid.uuid4()
    events.record(
        patient=personas.patient, kind="alert.raised", ref_type="safety.alert", ref_uuid=alert
    )
    events.record(
        patient=personas.patient,
        kind="alert.raised",
        ref_type="safety.alert",
        ref_uuid=uuid.uuid4(),
    )
    events.record(
        patient=personas.foreign_patient,
        kind="alert.raised",
        ref_type="safety.alert",
        ref_uuid=uuid.uuid4(),
    )
    assert digest.open_alerts(therapist, timezone.now())[0][0] == 2
    events.record(
        patient=personas.patient, kind="alert.acknowledged", ref_type="safety.alert", ref_uuid=alert
    )
    assert digest.open_alerts(therapist, timezone.now())[0][0] == 1
    assert digest.open_alerts(personas.supervisor, timezone.now())[0][0] == 1
    assert digest.open_alerts(personas.other_therapist, timezone.now())[0][0] == 0
    assert digest.open_alerts(personas.outsider, timezone.now())[0][0] == 1  # their own patient


# --- immediate: safety alerts only ----------------------------------------------------------------


def _raise(personas, capture, kind="alert.raised", data=None):
    ref = uuid.uuid4()
    with capture(execute=True):
        events.record(
            patient=personas.patient,
            kind=kind,
            ref_type="safety.alert",
            ref_uuid=ref,
            data=data or {},
        )
    return ref


def test_alert_goes_at_once_to_the_primary_therapist(
    personas, outbox, django_capture_on_commit_callbacks
):
    NotificationPreferences.objects.create(user=personas.therapist, phone="+358401234567")
    _raise(personas, django_capture_on_commit_callbacks)
    [sent] = mails_to(personas.therapist)
    assert sent.subject == "Tandem: a safety alert needs your attention"
    assert personas.patient.name not in sent.body
    assert mails_to(personas.cover) == [] and mails_to(personas.supervisor) == []
    assert personas.therapist.in_app_notifications.count() == 1
    from tandem.notifications.sms import LocmemSmsBackend

    assert [t["to"] for t in LocmemSmsBackend.outbox] == ["+358401234567"]


def test_an_absent_or_deactivated_therapist_is_covered(
    personas, outbox, django_capture_on_commit_callbacks
):
    def away(user_ids, now):
        return {personas.therapist.pk}

    routing.register_unavailability(away)
    try:
        _raise(personas, django_capture_on_commit_callbacks)
    finally:
        routing.unregister_unavailability(away)
    assert mails_to(personas.therapist) == []
    assert len(mails_to(personas.cover)) == 1
    # The deactivated cover therapist on the team is never chosen.
    assert mails_to(personas.deactivated_therapist) == []

    personas.therapist.is_active = False
    personas.therapist.save()
    mail.outbox.clear()
    _raise(personas, django_capture_on_commit_callbacks)
    assert len(mails_to(personas.cover)) == 1


def test_nobody_on_the_team_goes_to_the_supervisor_never_to_nobody(
    personas, outbox, django_capture_on_commit_callbacks
):
    def everyone_away(user_ids, now):
        return set(user_ids)

    routing.register_unavailability(everyone_away)
    try:
        _raise(personas, django_capture_on_commit_callbacks)
    finally:
        routing.unregister_unavailability(everyone_away)
    assert len(mails_to(personas.supervisor)) == 1  # away or not: somebody must hear


def test_escalation_reaches_the_supervisor(personas, outbox, django_capture_on_commit_callbacks):
    _raise(
        personas,
        django_capture_on_commit_callbacks,
        kind="alert.escalated",
        data={"to": str(personas.supervisor.uuid), "why": "overdue"},
    )
    [sent] = mails_to(personas.supervisor)
    assert sent.subject == "Tandem: a safety alert was escalated to you"
    assert mails_to(personas.outsider_supervisor) == []
    assert mails_to(personas.therapist) == []


def test_escalation_without_a_named_supervisor_reaches_the_clinics(
    personas, outbox, django_capture_on_commit_callbacks
):
    _raise(
        personas, django_capture_on_commit_callbacks, kind="alert.escalated", data={"to": "junk"}
    )
    assert len(mails_to(personas.supervisor)) == 1
    assert mails_to(personas.outsider_supervisor) == []


def test_alert_immediately_never_doubles(personas, outbox, django_capture_on_commit_callbacks):
    ref = _raise(personas, django_capture_on_commit_callbacks)
    # The safety app may call alert_immediately with the same key: nobody hears twice.
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_immediately(recipients=[personas.therapist], dedupe_key=f"alert:{ref}")
    assert len(mails_to(personas.therapist)) == 1
    with pytest.raises(ValueError):
        services.alert_immediately(
            recipients=[personas.therapist], dedupe_key="x", kind="patient_reminder"
        )


def test_other_events_notify_nobody_at_once(personas, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        events.record(patient=personas.patient, kind="message.sent", data={})
        events.record(patient=personas.patient, kind="exercise.submitted", data={})
    assert not Notification.objects.filter(kind__in=("safety_alert", "safety_escalation")).exists()
