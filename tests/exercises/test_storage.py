"""Answers at rest: encrypted (a raw SELECT shows no clinical text), one open draft per
exercise, idempotent tokens; and the small service helpers."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from tandem.exercises import services
from tandem.exercises.models import ExerciseEntry
from tests.exercises import factories

pytestmark = pytest.mark.django_db

CANARY = "CANARY-7f3e-answer-text"


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
        return repr(cursor.fetchall())


def test_canary_answers_never_appear_in_a_raw_select(personas, enrollment, patient_client, login):
    url = factories.url("exercise_autosave", enrollment, "reflection")
    patient_client.post(url, {"ws-matters": f"draft {CANARY}"})
    patient_client.post(
        factories.url("exercise_fill", enrollment, "reflection"),
        {"ws-matters": f"submitted {CANARY}", "token": str(uuid.uuid4())},
    )
    entry = ExerciseEntry.objects.get()
    login(personas.therapist).post(
        reverse("exercise_feedback", args=[entry.uuid]), {"text": f"feedback {CANARY}"}
    )
    patient_client.post(
        factories.url("exercise_hard", enrollment, "reflection"),
        {"distress": "3", "note": f"hard {CANARY}"},
    )
    patient_client.post(
        factories.url("exercise_skip", enrollment, "checklist"),
        {"reason_code": "other", "reason": f"skip {CANARY}"},
    )
    for table in (
        "exercises_exerciseentry",
        "exercises_feedback",
        "exercises_hardmoment",
        "core_event",
    ):
        dump = raw_rows(table)
        assert "enc1:" in dump or table == "core_event"
        assert CANARY not in dump, table
        assert "CANARY" not in dump, table
    # …while the application reads them back
    entry.refresh_from_db()
    assert entry.answers["responses"]["matters"] == f"submitted {CANARY}"


def test_one_open_draft_per_exercise_is_a_constraint(enrollment):
    ref = factories.ref(enrollment, "reflection")
    fields = dict(
        enrollment=enrollment,
        version=ref.version,
        module_key=ref.module_key,
        exercise_key=ref.exercise_key,
        exercise_type="reflection",
    )
    ExerciseEntry.objects.create(**fields, submission_token=uuid.uuid4())
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseEntry.objects.create(**fields, submission_token=uuid.uuid4())


def test_a_token_belongs_to_one_entry(enrollment):
    ref = factories.ref(enrollment, "reflection")
    token = uuid.uuid4()
    fields = dict(
        enrollment=enrollment,
        version=ref.version,
        module_key=ref.module_key,
        exercise_type="reflection",
        status="submitted",
        submission_token=token,
    )
    ExerciseEntry.objects.create(**fields, exercise_key="reflection")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExerciseEntry.objects.create(**fields, exercise_key="goals")


def test_a_token_of_another_exercise_is_not_reused(enrollment):
    patient = enrollment.patient.user
    first = services.save_draft(
        actor=patient,
        enrollment=enrollment,
        ref=factories.ref(enrollment, "reflection"),
        data={"ws-matters": ["a"]},
    )
    other = services.save_draft(
        actor=patient,
        enrollment=enrollment,
        ref=factories.ref(enrollment, "goals"),
        data={"ws-goals-0-goal": ["b"]},
        token=first.entry.submission_token,
    )
    assert other.entry.submission_token != first.entry.submission_token
    assert ExerciseEntry.objects.count() == 2


def test_exercise_states(enrollment):
    patient = enrollment.patient.user
    services.save_draft(
        actor=patient, enrollment=enrollment, ref=factories.ref(enrollment, "goals"), data={}
    )
    factories.submitted(enrollment, "reflection", {"responses": {"matters": "x"}})
    states = services.exercise_states(enrollment)
    assert states == {("practice", "goals"): "draft", ("practice", "reflection"): "submitted"}


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2026-11-16 10:00", "2026-11-18"),  # Monday → Wednesday
        ("2026-11-20 10:00", "2026-11-24"),  # Friday → Tuesday
        ("2026-11-21 10:00", "2026-11-24"),  # Saturday → Tuesday
        ("2026-12-23 10:00", "2026-12-29"),  # Christmas Eve, Day, Boxing Day are holidays
    ],
)
def test_answer_due_in_two_working_days(start, due):
    moment = datetime.fromisoformat(start).replace(tzinfo=ZoneInfo("Europe/Helsinki"))
    assert services.answer_due_on(moment, tz="Europe/Helsinki").isoformat() == due


def test_services_refuse_the_wrong_actor(personas, enrollment):
    from django.core.exceptions import PermissionDenied

    ref = factories.ref(enrollment, "reflection")
    for actor in (personas.therapist, personas.other_patient.user):
        with pytest.raises(PermissionDenied):
            services.save_draft(actor=actor, enrollment=enrollment, ref=ref, data={})
        with pytest.raises(PermissionDenied):
            services.submit(actor=actor, enrollment=enrollment, ref=ref, answers={}, token=None)
    entry = factories.submitted(enrollment, "reflection", {"responses": {"matters": "x"}})
    for actor in (personas.supervisor, personas.other_therapist, personas.patient.user):
        with pytest.raises(PermissionDenied):
            services.give_feedback(actor=actor, entry=entry, text="hi")
