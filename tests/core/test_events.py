"""The event stream: ``events.record`` appends an Event inside the caller's transaction;
handlers registered for its kind run once that transaction commits — never when it
rolls back — and a failing handler does not undo the event. Events are append-only."""

from collections import defaultdict

import pytest
from django.db import transaction

from tandem.core import events
from tandem.core.models import AppendOnlyError, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    """An isolated handler registry; returns the list of (kind, event id) handled."""
    monkeypatch.setattr(events, "_handlers", defaultdict(list))
    seen: list[tuple[str, int]] = []
    events.register("test.happened", lambda event_id: seen.append(("test.happened", event_id)))
    return seen


def test_record_appends_an_event(personas):
    event = events.record(
        patient=personas.patient,
        kind="test.happened",
        actor=personas.therapist,
        ref=personas.patient,
        data={"n": 1},
    )
    stored = Event.objects.get(pk=event.pk)
    assert stored.kind == "test.happened"
    assert stored.patient == personas.patient
    assert stored.actor == personas.therapist
    assert stored.ref_type == "accounts.patient"
    assert stored.ref_uuid == personas.patient.uuid
    assert stored.data == {"n": 1}
    assert stored.occurred_at is not None


def test_anonymous_actor_is_stored_as_none(personas):
    from django.contrib.auth.models import AnonymousUser

    event = events.record(patient=personas.patient, kind="test.happened", actor=AnonymousUser())
    assert Event.objects.get(pk=event.pk).actor is None


def test_handlers_run_on_commit_only(personas, calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            event = events.record(patient=personas.patient, kind="test.happened")
            assert calls == []  # inside the transaction: not yet
        assert calls == []  # still inside the (test's) outer transaction
    assert len(callbacks) == 1
    assert calls == [("test.happened", event.pk)]


def test_handlers_do_not_run_on_rollback(personas, calls, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.record(patient=personas.patient, kind="test.happened")
        raise RuntimeError("the use case failed")
    assert callbacks == []
    assert calls == []
    assert not Event.objects.filter(kind="test.happened").exists()


def test_an_event_and_the_callers_rows_commit_together(
    personas, calls, django_capture_on_commit_callbacks
):
    from tandem.accounts.models import User

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        User.objects.filter(pk=personas.patient.user.pk).update(full_name="Changed")
        events.record(patient=personas.patient, kind="test.happened")
        raise RuntimeError("boom")
    personas.patient.user.refresh_from_db()
    assert personas.patient.user.full_name == "Pat Patient"
    assert not Event.objects.filter(kind="test.happened").exists()


def test_only_handlers_of_the_kind_and_wildcards_run(
    personas, calls, django_capture_on_commit_callbacks
):
    everything: list[int] = []
    events.register("*", everything.append)
    with django_capture_on_commit_callbacks(execute=True):
        other = events.record(patient=personas.patient, kind="test.other")
        mine = events.record(patient=personas.patient, kind="test.happened")
    assert calls == [("test.happened", mine.pk)]
    assert everything == [other.pk, mine.pk]


def test_registering_twice_runs_once(personas, calls, django_capture_on_commit_callbacks):
    handler_calls: list[int] = []

    def handler(event_id: int) -> None:
        handler_calls.append(event_id)

    events.register("test.twice", handler)
    events.register("test.twice", handler)
    with django_capture_on_commit_callbacks(execute=True):
        events.record(patient=personas.patient, kind="test.twice")
    assert len(handler_calls) == 1


def test_a_failing_handler_is_logged_and_keeps_the_event(
    personas, calls, caplog, django_capture_on_commit_callbacks
):
    def broken(event_id: int) -> None:
        raise ValueError("handler bug")

    events.register("test.happened", broken)
    with django_capture_on_commit_callbacks(execute=True):
        event = events.record(patient=personas.patient, kind="test.happened")
    assert Event.objects.filter(pk=event.pk).exists()
    assert "handler" in caplog.text and "failed" in caplog.text
    # The other handler still ran.
    assert calls == [("test.happened", event.pk)]


@pytest.mark.django_db(transaction=True)
def test_real_commit_and_rollback(calls):
    """Without the test's wrapping transaction: handlers see the committed row."""
    from tests.personas import make_clinic, make_patient

    patient = make_patient(make_clinic())
    seen_rows: list[bool] = []
    events.register(
        "test.committed", lambda i: seen_rows.append(Event.objects.filter(pk=i).exists())
    )

    with pytest.raises(RuntimeError), transaction.atomic():
        events.record(patient=patient, kind="test.committed")
        raise RuntimeError("rolled back")
    assert seen_rows == []

    with transaction.atomic():
        events.record(patient=patient, kind="test.committed")
        assert seen_rows == []
    assert seen_rows == [True]


def test_events_are_append_only(personas):
    event = events.record(patient=personas.patient, kind="test.happened")
    event.kind = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert Event.objects.get(pk=event.pk).kind == "test.happened"


def test_events_are_ordered_by_time(personas):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    later = events.record(patient=personas.patient, kind="b", occurred_at=now)
    earlier = events.record(
        patient=personas.patient, kind="a", occurred_at=now - timedelta(hours=1)
    )
    assert list(personas.patient.events.all()) == [earlier, later]


# --- with the database task backend: a transactional outbox ----------------------------------

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_database_backend_writes_the_task_in_the_events_transaction(personas, calls, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    with transaction.atomic():
        event = events.record(patient=personas.patient, kind="test.happened")
        task = DBTaskResult.objects.get()  # written before the commit, in the same transaction
    assert task.task_path == "tandem.core.tasks.dispatch_event"
    assert task.args_kwargs["args"] == [event.pk, "test.happened"]
    assert calls == []  # run later by the worker, not in the request


def test_database_backend_rolls_the_task_back_with_the_event(personas, calls, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    with pytest.raises(RuntimeError), transaction.atomic():
        events.record(patient=personas.patient, kind="test.happened")
        raise RuntimeError("the use case failed")
    assert not DBTaskResult.objects.exists()
    assert not Event.objects.filter(kind="test.happened").exists()


def test_a_kind_without_handlers_enqueues_nothing(personas, calls, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    events.record(patient=personas.patient, kind="nobody.listens")
    assert not DBTaskResult.objects.exists()


def test_record_many_writes_the_events_and_one_task_for_them(personas, calls, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    created = events.record_many(
        [
            {"patient": personas.patient, "kind": "test.happened", "data": {"n": 1}},
            {"patient": personas.patient, "kind": "nobody.listens"},
            {"patient": personas.patient, "kind": "test.happened", "ref": personas.patient},
        ]
    )
    assert [e.kind for e in created] == ["test.happened", "nobody.listens", "test.happened"]
    assert all(e.pk for e in created) and created[2].ref_uuid == personas.patient.uuid
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"][0] == [
        [created[0].pk, "test.happened"],
        [created[2].pk, "test.happened"],
    ]


def test_record_many_runs_handlers_in_order_after_commit(
    personas, calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = events.record_many(
            [
                {"patient": personas.patient, "kind": "test.happened"},
                {"patient": personas.patient, "kind": "test.happened"},
            ]
        )
    assert calls == [("test.happened", created[0].pk), ("test.happened", created[1].pk)]


def test_an_unknown_argument_is_an_error_not_ignored(personas):
    with pytest.raises(TypeError, match="occured_at"):
        events.record(patient=personas.patient, kind="test.happened", occured_at=None)
