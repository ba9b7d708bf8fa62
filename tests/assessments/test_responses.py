"""submit_response: scoring, storage, events, atomic safety alerts, bad input, query budget."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.assessments import definitions, services
from tandem.assessments.errors import ScoringError
from tandem.assessments.models import Assignment, Draft, Response
from tandem.core.models import Event
from tandem.safety.models import Alert
from tests.safety.factories import make_assignment, phq9

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT")


def submit(personas, assignment=None, answers=None, **kwargs):  # type: ignore[no-untyped-def]
    assignment = assignment or make_assignment(personas.patient)
    return services.submit_response(
        actor=personas.patient.user,
        assignment=assignment,
        answers=phq9(7) if answers is None else answers,
        **kwargs,
    )


def data_statements(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


def test_a_response_is_scored_stored_and_recorded(personas):
    assignment = make_assignment(personas.patient)
    response = submit(personas, assignment, phq9(12))
    response.refresh_from_db()
    assert response.total == 12 and response.band == "moderate"
    assert response.answers["9"] == 0 and response.answers["10"] == 1
    assert response.definition_version == "1" and response.complete and not response.critical
    assignment.refresh_from_db()
    assert assignment.completed_at is not None and assignment.state() == "completed"
    event = Event.objects.get(kind="questionnaire.completed")
    assert event.data == {
        "code": "phq9",
        "total": 12,
        "band": "moderate",
        "change": "",
        "complete": True,
    }
    assert not Alert.objects.exists()


def test_reliable_change_is_measured_against_the_baseline(personas):
    baseline = submit(personas, answers=phq9(18))
    better = submit(personas, answers=phq9(11))
    assert better.baseline_id == baseline.pk and better.change == "improved"
    event = Event.objects.get(kind="score.reliable_change")
    assert event.data["change"] == "improved" and event.data["baseline_total"] == 18
    small = submit(personas, answers=phq9(14))
    assert small.change == "no_reliable_change"
    assert not Alert.objects.exists()


def test_reliable_deterioration_raises_a_review_alert_with_the_response(personas):
    submit(personas, answers=phq9(6))
    worse = submit(personas, answers=phq9(13))
    assert worse.change == "deteriorated"
    alert = Alert.objects.get()
    assert (alert.tier, alert.reason, alert.source) == (
        "review",
        "phq9.reliable_deterioration",
        "assessment",
    )
    assert alert.ref_key == str(worse.uuid)


@pytest.mark.parametrize(
    ("item9", "followup", "tier"),
    [
        (1, {"thoughts": False, "plan": False, "intent": False}, "review"),
        (1, {"thoughts": True, "plan": False, "intent": False}, "urgent"),
        (1, {"thoughts": False, "plan": True, "intent": False}, "urgent"),
        (1, {"thoughts": False, "plan": False, "intent": True}, "urgent"),
        (2, {"thoughts": False, "plan": False, "intent": False}, "urgent"),
        (3, None, "urgent"),
    ],
)
def test_a_critical_answer_raises_its_alert_tiered_by_the_followup(personas, item9, followup, tier):
    response = submit(personas, answers=phq9(2 + item9, item9=item9), followup=followup)
    assert response.critical and response.tier == tier
    alert = Alert.objects.get()
    assert alert.tier == tier and alert.reason == "phq9.item9"
    assert alert.assigned_to == personas.therapist
    assert alert.detail["items"] == {"9": item9}
    assert Event.objects.filter(kind="alert.raised", patient=personas.patient).count() == 1


def test_critical_item_alerts_regardless_of_a_low_total(personas):
    """Clinical brief §2.2 rule 3: vector PHQ-9-09 (total 2, urgent)."""
    response = submit(personas, answers=[0, 0, 0, 0, 0, 0, 0, 0, 2, None])
    assert response.total == 2 and response.band == "minimal"
    assert Alert.objects.get().tier == "urgent"


def test_if_the_alert_fails_the_response_is_not_stored(personas):
    assignment = make_assignment(personas.patient)
    with (
        mock.patch("tandem.safety.services.raise_alert", side_effect=RuntimeError("down")),
        pytest.raises(RuntimeError),
    ):
        submit(personas, assignment, phq9(5, item9=1))
    assert not Response.objects.exists() and not Alert.objects.exists()
    assert not Event.objects.filter(kind__startswith="questionnaire.completed").exists()
    assignment.refresh_from_db()
    assert assignment.completed_at is None


def test_if_anything_after_the_alert_insert_fails_neither_is_stored(personas):
    real_record = __import__("tandem.core.events", fromlist=["record"]).record

    def failing(**kwargs):  # type: ignore[no-untyped-def]
        if kwargs["kind"] == "alert.raised":
            assert Alert.objects.exists()  # the alert row was written ...
            raise RuntimeError("disk full")
        return real_record(**kwargs)

    with mock.patch("tandem.core.events.record", side_effect=failing), pytest.raises(RuntimeError):
        submit(personas, answers=phq9(5, item9=2))
    assert not Alert.objects.exists() and not Response.objects.exists()  # ... and rolled back


def test_a_resubmission_is_refused_and_stores_nothing(personas):
    assignment = make_assignment(personas.patient)
    first = submit(personas, assignment, phq9(7), idempotency_key="k1")
    with pytest.raises(services.AlreadySubmitted):
        submit(personas, assignment, phq9(20, item9=3), idempotency_key="k2")
    assert Response.objects.count() == 1 and not Alert.objects.exists()
    # The same submission again (double click) returns the stored response.
    again = submit(personas, assignment, phq9(7), idempotency_key="k1")
    assert again.pk == first.pk and Response.objects.count() == 1


def test_a_stale_assignment_object_cannot_submit_twice(personas):
    assignment = make_assignment(personas.patient)
    stale = Assignment.objects.select_related("patient__clinic", "patient__user").get(
        pk=assignment.pk
    )
    submit(personas, assignment)
    with pytest.raises(services.AlreadySubmitted):
        submit(personas, stale)
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    "answers",
    [
        [0, 0, 0, 0, 0, 0, 0, 0, 4, None],  # out of range
        [0, 0, 0, 0, 0, 0, 0, 0, -1, None],
        [0, 0, 0, 0, 0, 0, 0, "1", 0, None],  # wrong type
        [0, 0, 0, 0, 0],  # too few
        [0] * 11,  # too many
        {"12": 1},  # no such item
        {"x": 1},
        "0,0,0",
        [None] * 10,  # nothing answered
        [0, 0, 0, None, 0, 0, 0, 0, 0, None],  # a required item missing
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(personas, answers):
    assignment = make_assignment(personas.patient)
    with pytest.raises(ScoringError):
        submit(personas, assignment, answers)
    assert (
        not Response.objects.exists()
        and not Event.objects.filter(kind="questionnaire.completed").exists()
    )
    assignment.refresh_from_db()
    assert assignment.completed_at is None


def test_a_missing_answer_names_the_items(personas):
    with pytest.raises(services.MissingAnswers) as info:
        submit(personas, answers=[0, 0, None, 0, 0, 0, 0, None, 0, None])
    assert info.value.items == (3, 8)


def test_an_unknown_followup_question_is_refused(personas):
    with pytest.raises(ScoringError):
        submit(personas, answers=phq9(4, item9=1), followup={"weather": True})
    assert not Response.objects.exists() and not Alert.objects.exists()


def test_an_instrument_code_without_definition_is_refused(personas):
    assignment = make_assignment(personas.patient)
    Assignment.objects.filter(pk=assignment.pk).update(instrument="nosuch")
    assignment.refresh_from_db()
    with pytest.raises(ScoringError):
        submit(personas, assignment)
    assert not Response.objects.exists()


def test_another_patients_assignment_is_refused(personas):
    theirs = make_assignment(personas.other_patient)
    with pytest.raises(PermissionDenied):
        submit(personas, theirs)
    assert not Response.objects.exists()


def test_submitting_deletes_the_draft(personas):
    assignment = make_assignment(personas.patient)
    services.save_draft(assignment=assignment, answers={1: 1, 2: 2})
    submit(personas, assignment)
    assert not Draft.objects.exists()


def test_a_draft_notes_when_a_critical_answer_appears(personas):
    assignment = make_assignment(personas.patient)
    draft = services.save_draft(assignment=assignment, answers={1: 1})
    assert draft.critical_at is None
    draft = services.save_draft(assignment=assignment, answers={1: 1, 9: 1})
    assert draft.critical_at is not None and draft.answers == {"1": 1, "9": 1}


# --- query budget ---------------------------------------------------------------------------


def _long_instrument(directory: Path, n_items: int) -> None:
    data = yaml.safe_load((definitions.DEFAULT_DIRECTORY / "phq9.yaml").read_text("utf-8"))
    code = f"long{n_items}"
    data.update(code=code, short_name=f"LONG-{n_items}", name={"en": f"Long test scale {n_items}"})
    data["items"] = [
        {"number": n, "id": f"i{n}", "text": {"en": f"Test item {n}"}, "options": "frequency"}
        for n in range(1, n_items + 1)
    ]
    data["scoring"] = {"method": "sum", "range": [0, 3 * n_items]}
    data["bands"] = [
        {"min": 0, "max": n_items, "label": "low"},
        {"min": n_items + 1, "max": 3 * n_items, "label": "high"},
    ]
    data["reliable_change"] = {"threshold": 5, "source": "test"}
    data["options"].pop("difficulty")
    for key in ("critical_items", "followup", "clinical_cutoff", "cutoffs"):
        data.pop(key, None)
    (directory / f"{code}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


@pytest.fixture
def long_instrument(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    _long_instrument(tmp_path, 40)
    monkeypatch.setenv(definitions.ENV_EXTRA_DIRS, str(tmp_path))
    definitions.clear_cache()
    yield "long40"
    definitions.clear_cache()


def _count(personas, code: str, answers) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    assignment = make_assignment(personas.patient, code)
    with CaptureQueriesContext(connection) as ctx:
        services.submit_response(
            actor=personas.patient.user, assignment=assignment, answers=answers
        )
    return len(data_statements(ctx)), len(ctx.captured_queries)


def test_submit_runs_at_most_six_queries_whatever_the_number_of_items(personas, long_instrument):
    """Budget: 6 data statements (baseline lookup, claim the assignment, insert the
    response, delete the draft, 1-2 events), plus the transaction's own
    SAVEPOINT/RELEASE (or BEGIN) — independent of the number of items."""
    submit(personas, answers=phq9(20))  # a baseline, so that reliable change is computed
    phq = _count(personas, "phq9", phq9(12))  # reliable improvement: two events
    services.submit_response(
        actor=personas.patient.user,
        assignment=make_assignment(personas.patient, long_instrument),
        answers=[1] * 40,
    )
    long = _count(personas, long_instrument, [0] * 40)  # reliable improvement too
    assert Response.objects.filter(instrument=long_instrument, change="improved").exists()
    assert phq[0] <= 6 and long[0] <= 6, (phq, long)
    assert phq == long  # constant: the same statements for 10 and for 40 items


def test_the_budget_holds_with_the_database_task_queue(personas, settings):
    """In production the dispatch task is written in the response's transaction
    (events.record_many: one events INSERT, one task INSERT) — still 6 statements."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    submit(personas, answers=phq9(20))
    statements, _all = _count(personas, "phq9", phq9(12))  # reliable improvement: 2 events
    assert statements <= 6, statements
    task = DBTaskResult.objects.order_by("enqueued_at").last()
    kinds = [kind for _id, kind in task.args_kwargs["args"][0]]
    assert kinds == ["questionnaire.completed", "score.reliable_change"]


def test_latest_scores_is_one_query_for_a_caseload(personas, django_assert_num_queries):
    submit(personas, answers=phq9(18))
    submit(personas, answers=phq9(9))
    other = make_assignment(personas.other_patient)
    services.submit_response(actor=personas.other_patient.user, assignment=other, answers=phq9(4))
    with django_assert_num_queries(1):
        scores = services.latest_scores(
            [personas.patient, personas.other_patient, personas.foreign_patient]
        )
    mine = scores[personas.patient.pk]["phq9"]
    assert (mine.total, mine.baseline_total, mine.delta, mine.change) == (9, 18, -9, "improved")
    theirs = scores[personas.other_patient.pk]["phq9"]
    assert theirs.total == 4 and theirs.baseline_total is None and theirs.delta is None
    assert personas.foreign_patient.pk not in scores
    assert services.latest_scores([]) == {}
