"""Two workers never send the same notification; periodic jobs run once per period."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from tandem.notifications import delivery, periodic
from tandem.notifications.models import Notification, PeriodicRun, State


def _queue(user, n: int) -> list[int]:
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind="something_new",
            channel="email",
            dedupe_key=f"bulk:{i}",
            next_attempt_at=now,
        )
        for i in range(n)
    )
    return list(
        Notification.objects.filter(dedupe_key__startswith="bulk:").values_list("id", flat=True)
    )


@pytest.mark.django_db
def test_a_claim_succeeds_once(personas):
    [nid] = _queue(personas.patient.user, 1)
    assert delivery.claim(nid) == 1
    assert delivery.claim(nid) is None
    assert delivery.claim_next() is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_drain_one_queue_exactly_once(smtp_server):
    """On PostgreSQL: two threads, each with its own database connection, claim and
    deliver from the same queue of 50 notifications."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks between real concurrent connections)")
    from tests.personas import make_clinic, make_user

    user = make_user("patient", make_clinic())
    ids = _queue(user, 50)
    delivered: Counter[int] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            while True:
                claimed = delivery.claim_next()
                if claimed is None:
                    break
                notification_id, attempt = claimed
                outcome = delivery.deliver_claimed(notification_id, attempt)
                with lock:
                    delivered[notification_id] += 1
                assert outcome == "sent", outcome
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(delivered) == sorted(ids)
    assert set(delivered.values()) == {1}
    assert Notification.objects.filter(state=State.SENT).count() == 50
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    # Exactly one email per notification at the server, each with its own Message-ID.
    ids_at_server = [
        line
        for body in smtp_server.bodies()
        for line in body.splitlines()
        if line.startswith("Message-ID:")
    ]
    assert len(ids_at_server) == 50 and len(set(ids_at_server)) == 50


@pytest.mark.django_db
def test_a_period_is_claimed_once():
    now = timezone.now()
    key = periodic.slot_key(now)
    assert periodic.claim_period("job", key) is not None
    assert periodic.claim_period("job", key) is None
    assert periodic.claim_period("other-job", key) is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "command",
    [
        "notifications_send_reminders",
        "notifications_send_digests",
        "notifications_retry",
        "notifications_prune",
    ],
)
def test_each_command_runs_once_per_period(command, capsys):
    at = "2026-03-02T08:02:00+00:00"
    call_command(command, now=at)
    call_command(command, now=at)
    out = capsys.readouterr().out.splitlines()
    assert "already run for this period" not in out[0]
    assert "already run for this period" in out[-1]
    assert PeriodicRun.objects.filter(name=command).count() == 1
    # The next period runs again (the prune job's period is a day).
    later = (
        "2026-03-03T08:07:00+00:00"
        if command == "notifications_prune"
        else "2026-03-02T08:07:00+00:00"
    )
    call_command(command, now=later)
    assert PeriodicRun.objects.filter(name=command).count() == 2


@pytest.mark.django_db
def test_the_combined_command_runs_every_job(capsys):
    call_command("notifications_periodic", now="2026-03-02T08:02:00+00:00")
    names = set(PeriodicRun.objects.values_list("name", flat=True))
    assert {
        "notifications_retry",
        "notifications_send_reminders",
        "notifications_checkin_scan",
        "notifications_send_digests",
        "notifications_prune",
    } <= names


def test_period_keys():
    from datetime import UTC, datetime

    at = datetime(2026, 3, 2, 8, 7, 59, tzinfo=UTC)
    assert periodic.slot_key(at) == "2026-03-02T08:05"
    assert periodic.day_key(at) == "2026-03-02"
