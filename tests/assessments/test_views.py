"""Patient and therapist questionnaire views: answering on a phone, resuming, results and
trends, charts with table alternatives, bad input, ad hoc sending."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.assessments import charts, definitions, services
from tandem.assessments.models import Assignment, Draft, Response
from tandem.audit.models import AuditEntry
from tandem.core.models import Event
from tests.safety.factories import make_assignment, phq9

pytestmark = pytest.mark.django_db


def url(assignment, **query):  # type: ignore[no-untyped-def]
    base = reverse("questionnaire_fill", args=[assignment.uuid])
    if query:
        base += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return base


def post(client, assignment, step, data, mode="item", action="next", **extra):  # type: ignore[no-untyped-def]
    payload = {
        "instrument": assignment.instrument,
        "step": step,
        "mode": mode,
        "action": action,
        "token": "t",
        **data,
        **extra,
    }
    return client.post(reverse("questionnaire_fill", args=[assignment.uuid]), payload)


# --- answering ------------------------------------------------------------------------------


def test_one_item_per_screen_with_progress_and_accessible_radios(personas, login):
    assignment = make_assignment(personas.patient)
    page = login(personas.patient.user).get(url(assignment)).content.decode()
    assert "Question 1 of 10" in page and "<progress" in page
    assert (
        "<fieldset" in page
        and "<legend>Little interest or pleasure in doing things</legend>" in page
    )
    assert page.count('type="radio"') == 4 and "Not at all" in page and "Nearly every day" in page
    assert "<script>" not in page and " style=" not in page  # CSP: no inline script/style


def test_answers_are_saved_at_every_step_and_resume_on_another_device(personas, login):
    assignment = make_assignment(personas.patient)
    phone = login(personas.patient.user)
    for step in range(3):
        response = post(phone, assignment, step, {f"item_{step + 1}": "2"})
        assert response.status_code == 302 and response["Location"] == url(
            assignment, step=step + 1, mode="item"
        )
    assert Draft.objects.get().answers == {"1": 2, "2": 2, "3": 2}
    laptop = login(personas.patient.user)
    page = laptop.get(url(assignment)).content.decode()
    assert "Question 4 of 10" in page  # continues where the patient left off
    back = laptop.get(url(assignment, step=1)).content.decode()
    assert re.search(r'name="item_2" value="2"[^>]*checked', back)


def test_previous_keeps_answers_without_requiring_one(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    post(client, assignment, 0, {"item_1": "1"})
    response = post(client, assignment, 1, {}, action="back")
    assert response.status_code == 302 and response["Location"] == url(
        assignment, step=0, mode="item"
    )
    assert Draft.objects.get().answers == {"1": 1}


def test_all_questions_on_one_page(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    page = client.get(url(assignment, mode="page")).content.decode()
    assert page.count("<fieldset") == 10 and "10 questions" in page
    data = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": "0", "item_10": "1"}
    response = post(client, assignment, 0, data, mode="page")
    assert response.status_code == 302
    assert response["Location"] == reverse("questionnaire_result", args=[assignment.uuid])
    assert Response.objects.get().total == 8


def test_one_page_with_a_critical_answer_asks_the_followup_then_submits(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    data = {f"item_{n}": "0" for n in range(1, 9)} | {"item_9": "1"}
    response = post(client, assignment, 0, data, mode="page")
    assert response["Location"] == url(assignment, step=1, mode="page")
    assert not Response.objects.exists()
    response = post(
        client,
        assignment,
        1,
        {"fu_thoughts": "no", "fu_plan": "no", "fu_intent": "no"},
        mode="page",
    )
    assert response["Location"] == reverse("questionnaire_result", args=[assignment.uuid])
    assert Response.objects.get().tier == "review"


def test_a_missing_answer_is_a_clear_message_and_nothing_is_stored(personas, login):
    assignment = make_assignment(personas.patient)
    response = post(login(personas.patient.user), assignment, 0, {})
    assert response.status_code == 200
    assert "Please choose an answer." in response.content.decode()
    assert not Draft.objects.exists() and not Response.objects.exists()


@pytest.mark.parametrize("value", ["4", "-1", "x", "1.5", "<script>"])
def test_an_out_of_range_answer_is_a_clear_message(personas, login, value):
    assignment = make_assignment(personas.patient)
    response = post(login(personas.patient.user), assignment, 0, {"item_1": value})
    assert response.status_code == 200
    assert "Choose one of the answers shown." in response.content.decode()
    assert not Response.objects.exists()


def test_a_tampered_instrument_code_is_refused(personas, login):
    assignment = make_assignment(personas.patient)
    response = post(login(personas.patient.user), assignment, 0, {"item_1": "1"}, instrument="gad7")
    assert response.status_code == 400
    assert "does not belong to this questionnaire" in response.content.decode()
    assert not Draft.objects.exists() and not Response.objects.exists()


def test_a_tampered_step_number_never_fails(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    for step in ("999", "-5", "abc"):
        assert client.get(url(assignment, step=step)).status_code == 200
        assert post(client, assignment, step, {"item_1": "1"}).status_code in (200, 302)


def test_another_patients_assignment_is_404(personas, login):
    theirs = make_assignment(personas.other_patient)
    client = login(personas.patient.user)
    assert client.get(url(theirs)).status_code == 404
    assert post(client, theirs, 0, {"item_1": "1"}).status_code == 404
    assert client.get(reverse("questionnaire_result", args=[theirs.uuid])).status_code == 404
    assert not Draft.objects.exists()
    assert AuditEntry.objects.filter(action="assessments.assignment.access_denied").exists()


def test_a_resubmission_is_refused_with_a_clear_message(personas, login):
    assignment = make_assignment(personas.patient)
    services.submit_response(actor=personas.patient.user, assignment=assignment, answers=phq9(5))
    client = login(personas.patient.user)
    response = post(client, assignment, 9, {"item_10": "1"}, follow=True)
    response = client.post(
        reverse("questionnaire_fill", args=[assignment.uuid]),
        {"instrument": "phq9", "step": 9, "action": "next", "item_10": "2"},
        follow=True,
    )
    assert "already sent these answers" in response.content.decode()
    assert Response.objects.count() == 1


def test_a_double_click_on_send_stores_one_response(personas, login):
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    services.save_draft(assignment=assignment, answers={n: 1 for n in range(1, 9)} | {9: 0})
    first = post(client, assignment, 9, {"item_10": "1"}, token="same")
    second = post(client, assignment, 9, {"item_10": "1"}, token="same")
    assert first.status_code == second.status_code == 302
    assert Response.objects.count() == 1


def test_not_yet_open_and_closed_questionnaires(personas, login):
    client = login(personas.patient.user)
    later = make_assignment(personas.patient, available_at=timezone.now() + timedelta(days=2))
    response = client.get(url(later), follow=True)
    assert "not open yet" in response.content.decode()
    closed = make_assignment(personas.patient, available_at=timezone.now() - timedelta(days=30))
    response = client.get(url(closed), follow=True)
    assert "has closed" in response.content.decode()


def test_audit_skip_logic_leaves_out_items(personas, login):
    assignment = make_assignment(personas.patient, "audit")
    client = login(personas.patient.user)
    response = post(client, assignment, 0, {"item_1": "0"})  # "Never": skip to items 9-10
    assert response["Location"] == url(assignment, step=1, mode="item")
    page = client.get(response["Location"]).content.decode()
    assert "Question 2 of 3" in page and "injured" in page
    post(client, assignment, 1, {"item_9": "0"})
    response = post(client, assignment, 2, {"item_10": "2"})
    assert response["Location"] == reverse("questionnaire_result", args=[assignment.uuid])
    stored = Response.objects.get()
    assert stored.total == 2 and stored.answers["2"] is None


def test_wsas_placeholder_is_filled_in(personas, login):
    assignment = make_assignment(personas.patient, "wsas")
    page = login(personas.patient.user).get(url(assignment, mode="page")).content.decode()
    assert "{problem}" not in page and "Because of my problem" in page


def test_finnish_interface_falls_back_to_the_english_form(personas, login):
    user = personas.patient.user
    user.language = "fi"
    user.save()
    assignment = make_assignment(personas.patient)
    client = login(user)
    assert client.get(url(assignment)).status_code == 200
    services.submit_response(actor=user, assignment=assignment, answers=phq9(12))
    page = client.get(reverse("questionnaire_result", args=[assignment.uuid])).content.decode()
    assert "Keskivaikea" in page  # the band display is translated
    assert Response.objects.get().language == "en"  # the form itself was English


# --- results and trends ----------------------------------------------------------------------


def _history(patient, totals):  # type: ignore[no-untyped-def]
    now = timezone.now()
    responses = []
    for index, total in enumerate(totals):
        assignment = make_assignment(patient)
        responses.append(
            services.submit_response(
                actor=patient.user,
                assignment=assignment,
                answers=phq9(total),
                now=now - timedelta(days=7 * (len(totals) - index)),
            )
        )
    return responses


def test_the_result_is_explained_in_plain_language_with_the_trend(personas, login):
    responses = _history(personas.patient, [18, 15, 11])
    client = login(personas.patient.user)
    page = client.get(
        reverse("questionnaire_result", args=[responses[-1].assignment.uuid])
    ).content.decode()
    assert "Your score is 11 out of 27." in page
    assert "Moderate" in page and "range 3 of 5" in page
    assert "clear improvement" in page
    assert "What happens next" in page
    assert "<svg" in page and 'role="img"' in page and "<title" in page and "<desc" in page
    assert "<table" in page and page.count("<tr>") >= 4  # header + three scores
    assert 'role="alert"' not in page  # nothing critical


def test_the_questionnaire_list_shows_what_is_due_and_what_was_answered(personas, login):
    due = make_assignment(personas.patient, "gad7")
    _history(personas.patient, [9])
    make_assignment(personas.other_patient)
    page = login(personas.patient.user).get(reverse("questionnaire_list")).content.decode()
    assert url(due) in page and "GAD-7" in page and "PHQ-9" in page
    assert services.due_for(personas.patient) == [due]


def test_due_for_lists_due_and_overdue_but_not_upcoming_completed_or_missed(personas):
    now = timezone.now()
    due = make_assignment(personas.patient)
    overdue = make_assignment(personas.patient, available_at=now - timedelta(days=5))
    make_assignment(personas.patient, available_at=now + timedelta(days=1))
    make_assignment(personas.patient, available_at=now - timedelta(days=20))  # missed
    done = make_assignment(personas.patient)
    services.submit_response(actor=personas.patient.user, assignment=done, answers=phq9(3))
    assert [a.state() for a in services.due_for(personas.patient)] == ["overdue", "due"]
    assert {a.pk for a in services.due_for(personas.patient)} == {due.pk, overdue.pk}
    assert services.due_for(personas.patient)[0].short_name == "PHQ-9"


# --- therapist -------------------------------------------------------------------------------


def test_the_therapist_sees_every_instruments_trajectory_with_a_table(personas, login):
    _history(personas.patient, [8, 11, 15])  # reliable deterioration at the end
    gad = make_assignment(personas.patient, "gad7")
    services.submit_response(
        actor=personas.patient.user, assignment=gad, answers=[1, 1, 1, 1, 1, 1, 1]
    )
    response = login(personas.therapist).get(
        reverse("patient_scores", args=[personas.patient.uuid])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('role="img"') == 2 and page.count("<table") == 2
    assert "reliable deterioration" in page
    assert 'hx-get="' in page and "<details" in page  # item answers on demand
    assert AuditEntry.objects.filter(
        action="assessments.scores.viewed", actor=personas.therapist
    ).exists()


def test_item_answers_on_demand(personas, login):
    response = _history(personas.patient, [6])[0]
    client = login(personas.supervisor)
    target = reverse("response_detail", args=[personas.patient.uuid, response.uuid])
    fragment = client.get(target, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "Little interest or pleasure" in fragment
    full = client.get(target).content.decode()
    assert "<html" in full and "Little interest or pleasure" in full
    assert AuditEntry.objects.filter(action="assessments.response.viewed").count() == 2
    other = _history(personas.other_patient, [3])[0]
    swapped = reverse("response_detail", args=[personas.patient.uuid, other.uuid])
    assert login(personas.therapist).get(swapped).status_code == 404


def test_the_therapist_sends_a_questionnaire_ad_hoc(personas, login):
    client = login(personas.therapist)
    target = reverse("assign_questionnaire", args=[personas.patient.uuid])
    assert "PHQ-9" in client.get(target).content.decode()
    response = client.post(target, {"instrument": "gad7", "due_in_days": "5"})
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.instrument == "gad7" and assignment.source == "adhoc"
    assert assignment.assigned_by == personas.therapist
    assert (assignment.due_at - assignment.available_at).days == 5
    assert Event.objects.filter(kind="questionnaire.assigned").exists()
    assert AuditEntry.objects.filter(action="assessments.assignment.created").exists()
    response = client.post(target, {"instrument": "nosuch", "due_in_days": "5"})
    assert response.status_code == 200 and Assignment.objects.count() == 1
    response = client.post(target, {"instrument": "gad7", "due_in_days": "999"})
    assert response.status_code == 200 and Assignment.objects.count() == 1


# --- charts (pure layout) --------------------------------------------------------------------


def test_chart_layout_bands_markers_and_description():
    definition = definitions.get("phq9")
    now = timezone.now()
    points = [
        charts.ChartInput(now - timedelta(days=21), 18, "moderately severe"),
        charts.ChartInput(now - timedelta(days=14), 14, "moderate", "no_reliable_change"),
        charts.ChartInput(now - timedelta(days=7), 9, "mild", "improved"),
        charts.ChartInput(now, 24, "severe", "deteriorated"),
    ]
    chart = charts.trajectory(definition, points, chart_id="c")
    assert chart is not None and len(chart.bands) == 5
    assert [m.shape for m in chart.markers] == ["circle", "circle", "down", "up"]
    assert chart.markers[0].y > chart.markers[3].y  # higher scores are drawn higher
    assert chart.markers[0].x < chart.markers[-1].x
    assert "reliable improvement" in chart.markers[2].label
    assert "PHQ-9: 4 scores" in chart.desc and "reliable deterioration" in chart.desc
    assert charts.trajectory(definition, []) is None
    single = charts.trajectory(definition, points[:1])
    assert "one score so far" in single.desc


def test_who5_chart_marks_improvement_upwards():
    definition = definitions.get("who5")
    now = timezone.now()
    chart = charts.trajectory(
        definition,
        [
            charts.ChartInput(now - timedelta(days=7), 28, "likely depression"),
            charts.ChartInput(now, 60, "adequate well-being", "improved"),
        ],
    )
    assert chart.markers[1].shape == "up"
    assert "better well-being" in chart.desc


def test_chart_coordinates_are_not_localised(personas, login):
    """Finnish decimal commas would break the SVG coordinates."""
    user = personas.patient.user
    user.language = "fi"
    user.save()
    responses = _history(personas.patient, [5, 6, 7])
    page = (
        login(user)
        .get(reverse("questionnaire_result", args=[responses[-1].assignment.uuid]))
        .content.decode()
    )
    svg = page[page.index("<svg") : page.index("</svg>")]
    for value in re.findall(r'(?:x|y|cx|cy|height|width)="([^"]*)"', svg):
        assert "," not in value, value


# --- the last screen: straight into the response, a draft only when it cannot be stored ------


def _all_at_once(value: str = "1") -> dict[str, str]:
    return {f"item_{n}": (value if n != 9 else "0") for n in range(1, 11)}


def test_the_last_screen_stores_the_response_without_a_draft(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)
    with CaptureQueriesContext(connection) as queries:
        response = post(client, assignment, 0, _all_at_once(), mode="page")
    assert response.status_code == 302
    assert Response.objects.get(assignment=assignment).total == 8
    assert not Draft.objects.exists()
    assert not any("assessments_draft" in q["sql"] and "INSERT" in q["sql"] for q in queries)


def _last_screen_failing_with(error, personas, login, monkeypatch, value):  # type: ignore[no-untyped-def]
    """Send every answer on the last screen while ``submit_response`` raises ``error``."""
    assignment = make_assignment(personas.patient)
    client = login(personas.patient.user)

    def failing(**kwargs):  # type: ignore[no-untyped-def]
        raise error

    monkeypatch.setattr(services, "submit_response", failing)
    response = post(client, assignment, 0, _all_at_once(value), mode="page")
    return client, assignment, response


def test_answers_are_kept_as_a_draft_when_saving_the_response_fails(personas, login, monkeypatch):
    client, assignment, response = _last_screen_failing_with(
        RuntimeError("database hiccup"), personas, login, monkeypatch, "2"
    )
    assert response.status_code == 200  # the "we could not save" page with crisis numbers
    assert not Response.objects.exists()
    draft = Draft.objects.get(assignment=assignment)
    assert draft.answers["1"] == 2 and draft.answers["9"] == 0
    page = client.get(url(assignment, mode="page")).content.decode()
    assert re.search(r'name="item_1" value="2"[^>]*checked', page)  # nothing lost


def test_a_refused_last_screen_keeps_the_answers(personas, login, monkeypatch):
    from tandem.assessments.errors import ScoringError

    _client, assignment, response = _last_screen_failing_with(
        ScoringError("out of range"), personas, login, monkeypatch, "3"
    )
    assert response.status_code == 302
    assert Draft.objects.get(assignment=assignment).answers["2"] == 3


# --- the last screen reads the baseline with the assignment ------------------------------------


def _through_the_view(client, patient, total_answers: str, enrollment=None):  # type: ignore[no-untyped-def]
    assignment = make_assignment(patient, enrollment=enrollment)
    response = post(
        client, assignment, 0, _all_at_once(total_answers), mode="page", token=uuid.uuid4().hex
    )
    assert response.status_code == 302
    return Response.objects.get(assignment=assignment)


def test_the_last_screen_measures_change_against_the_baseline(personas, login):
    client = login(personas.patient.user)
    baseline = _through_the_view(client, personas.patient, "2")  # 8 scored items × 2
    assert baseline.total == 16 and baseline.baseline_id is None
    better = _through_the_view(client, personas.patient, "1")
    assert better.baseline_id == baseline.pk and better.change == "improved"
    event = Event.objects.get(kind="score.reliable_change")
    assert event.data["baseline_total"] == 16 and event.data["total"] == 8


def test_the_baseline_belongs_to_the_assignment_s_enrollment(personas, login):
    from tests.messaging import factories

    client = login(personas.patient.user)
    first = factories.enroll(personas.patient, by=personas.therapist, status="completed")
    second = factories.enroll(personas.patient, by=personas.therapist)
    _through_the_view(client, personas.patient, "0", enrollment=first)  # first program: 0
    start = _through_the_view(client, personas.patient, "2", enrollment=second)
    assert start.baseline_id is None  # a new program starts its own baseline
    later = _through_the_view(client, personas.patient, "1", enrollment=second)
    assert later.baseline_id == start.pk and later.change == "improved"
    loose = _through_the_view(client, personas.patient, "3")  # no enrollment: any response
    assert loose.baseline.total == 0 and loose.change == "deteriorated"


def test_a_questionnaire_given_after_the_baseline_carries_it(personas, login):
    """``assign`` stores the baseline with the assignment: the last screen then reads no
    response at all before storing its own, and still measures the change."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tandem.assessments.models import AssignmentSource

    client = login(personas.patient.user)
    baseline = _through_the_view(client, personas.patient, "2")
    assignment = services.assign(
        actor=personas.therapist,
        patient=personas.patient,
        instrument="phq9",
        source=AssignmentSource.ADHOC,
    )
    assert (assignment.baseline_id, assignment.baseline_total) == (baseline.pk, 16)
    with CaptureQueriesContext(connection) as queries:
        post(client, assignment, 0, _all_at_once("1"), mode="page", token=uuid.uuid4().hex)
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if 'FROM "assessments_response"' in sql]
    stored = Response.objects.get(assignment=assignment)
    assert stored.baseline_id == baseline.pk and stored.change == "improved"


def test_the_baseline_is_looked_up_when_the_stored_one_is_gone(personas, login):
    from tandem.assessments.models import AssignmentSource

    client = login(personas.patient.user)
    first = _through_the_view(client, personas.patient, "2")
    second = _through_the_view(client, personas.patient, "3")
    assignment = services.assign(
        actor=personas.therapist,
        patient=personas.patient,
        instrument="phq9",
        source=AssignmentSource.ADHOC,
    )
    assert assignment.baseline_id == first.pk
    Assignment.objects.filter(pk=assignment.pk).update(baseline=None, baseline_total=None)
    Response.objects.filter(pk=first.pk).update(complete=False)  # no longer a baseline
    _ = post(client, assignment, 0, _all_at_once("1"), mode="page", token=uuid.uuid4().hex)
    stored = Response.objects.get(assignment=assignment)
    assert stored.baseline_id == second.pk and stored.change == "improved"


def test_the_stored_baseline_comes_from_the_same_enrollment(personas, login):
    from tandem.assessments.models import AssignmentSource
    from tests.messaging import factories

    client = login(personas.patient.user)
    old = factories.enroll(personas.patient, by=personas.therapist, status="completed")
    new = factories.enroll(personas.patient, by=personas.therapist)
    _through_the_view(client, personas.patient, "0", enrollment=old)

    def give():  # type: ignore[no-untyped-def]
        return services.assign(
            actor=None,
            patient=personas.patient,
            instrument="phq9",
            source=AssignmentSource.SCHEDULE,
            enrollment=new,
            schedule_key=f"weekly:{uuid.uuid4().hex[:6]}",
        )

    assert give().baseline_id is None  # the new program has no response yet
    start = _through_the_view(client, personas.patient, "2", enrollment=new)
    assert give().baseline_id == start.pk


def test_the_schedule_s_repeat_call_reads_no_baseline(personas):
    """The schedule job calls ``assign`` for every enrollment on every run: for a key
    that exists it returns the assignment without looking for a baseline."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tandem.assessments.models import AssignmentSource
    from tests.messaging import factories

    enrollment = factories.enroll(personas.patient, by=personas.therapist)

    def give():  # type: ignore[no-untyped-def]
        return services.assign(
            actor=None,
            patient=personas.patient,
            instrument="phq9",
            source=AssignmentSource.SCHEDULE,
            enrollment=enrollment,
            schedule_key="weekly:1",
        )

    first = give()
    with CaptureQueriesContext(connection) as queries:
        again = give()
    assert again.pk == first.pk
    assert not [q for q in queries if '"assessments_response"' in q["sql"]]
