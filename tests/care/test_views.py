"""The workspace pages: ranking, snoozing, bad input, audit, the htmx row swap, the
patient overview, time budget and the supervisor's reassignment."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditEntry
from tandem.care import periodic, services
from tandem.care import signals as sig
from tandem.care.kinds import SignalKind as K
from tandem.care.models import SignalState, TimeEntry
from tests.care import factories

pytestmark = pytest.mark.django_db


def _texts(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.text for row in response.context["rows"]]


def test_ranking_safety_first_then_priority_then_age(personas, login):
    p = personas.patient
    now = timezone.now()
    factories.signal(p, K.SILENCE, since=now - timedelta(days=30), key="a")
    factories.signal(p, K.EXERCISE_FEEDBACK, since=now - timedelta(days=2), key="b")
    factories.signal(p, K.EXERCISE_FEEDBACK, since=now - timedelta(days=4), key="c")
    # a message past the reply promise comes before an exercise, one within it after
    factories.signal(
        p,
        K.MESSAGE_WAITING,
        since=now - timedelta(hours=30),
        due_at=now - timedelta(hours=1),
        key="d",
    )
    factories.signal(
        p,
        K.MESSAGE_WAITING,
        since=now - timedelta(hours=2),
        due_at=now + timedelta(hours=9),
        key="e",
    )
    factories.signal(p, K.SAFETY_ALERT, since=now - timedelta(minutes=1), key="f")
    response = login(personas.therapist).get(reverse("care_triage"))
    assert response.status_code == 200
    keys = [row.signal.dedupe_key for row in response.context["rows"]]
    assert keys == ["f", "d", "e", "c", "b", "a"]
    assert _texts(response)[1] == "Message waiting longer than the reply promise"


def test_a_safety_alert_stays_first_whatever_a_rule_says(personas, login):
    services.save_rule(actor=personas.supervisor, kind=K.SILENCE, priority=1)
    sig.forget_rules()
    factories.signal(personas.patient, K.SILENCE, key="quiet")
    factories.signal(personas.patient, K.SAFETY_ALERT, key="alert")
    rows = login(personas.therapist).get(reverse("care_triage")).context["rows"]
    assert [r.signal.kind for r in rows] == [K.SAFETY_ALERT, K.SILENCE]


def test_each_view_of_the_list_is_audited_once(personas, login):
    factories.signal(personas.patient)
    before = AuditEntry.objects.filter(action="care.triage.viewed").count()
    login(personas.therapist).get(reverse("care_triage"))
    assert AuditEntry.objects.filter(action="care.triage.viewed").count() == before + 1


def test_snooze_needs_a_future_date(personas, login):
    signal = factories.signal(personas.patient)
    client = login(personas.therapist)
    url = reverse("care_signal_snooze", args=[signal.uuid])
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(url, {"until": yesterday}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Choose a date in the future." in response.content.decode()
    signal.refresh_from_db()
    assert signal.state == SignalState.OPEN
    response = client.post(url, {"until": "not a date"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    # a plain form post: back with a message, never a 500
    response = client.post(url, {"until": yesterday}, follow=True)
    assert response.status_code == 200
    assert "Choose a date in the future." in response.content.decode()


def test_snooze_hides_until_the_date_and_the_supervisor_sees_it(personas, login):
    signal = factories.signal(personas.patient, K.ALLIANCE_DIP)
    client = login(personas.therapist)
    in_three = timezone.localdate() + timedelta(days=3)
    response = client.post(
        reverse("care_signal_snooze", args=[signal.uuid]),
        {"until": in_three.isoformat(), "reason": "On holiday this week"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert str(signal.uuid) not in response.content.decode()  # the row is gone
    signal.refresh_from_db()
    assert signal.state == SignalState.SNOOZED and signal.snoozed_by == personas.therapist
    page = login(personas.supervisor).get(reverse("care_supervisor")).content.decode()
    assert "On holiday this week" in page and "Theo Therapist" in page
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        periodic.run()
        rows = login(personas.therapist).get(reverse("care_triage")).context["rows"]
        assert [r.signal.pk for r in rows] == [signal.pk]


def test_safety_alerts_cannot_be_snoozed_or_dismissed_here(personas, login):
    signal = factories.signal(personas.patient, K.SAFETY_ALERT)
    client = login(personas.therapist)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(
        reverse("care_signal_snooze", args=[signal.uuid]),
        {"until": tomorrow},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    response = client.post(
        reverse("care_signal_resolve", args=[signal.uuid]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    signal.refresh_from_db()
    assert signal.state == SignalState.OPEN


def test_resolving_a_row_swaps_the_rows_without_it(personas, login):
    keep = factories.signal(personas.patient, K.SILENCE, key="keep")
    gone = factories.signal(personas.patient, K.ALLIANCE_DIP, key="gone")
    client = login(personas.therapist)
    response = client.post(reverse("care_signal_resolve", args=[gone.uuid]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="triage-rows"')  # the fragment only
    assert str(keep.uuid) in body and str(gone.uuid) not in body
    gone.refresh_from_db()
    assert gone.state == SignalState.RESOLVED and gone.resolved_by == personas.therapist


def test_outreach_records_the_step_and_rests_the_signal(personas, login):
    signal = factories.signal(personas.patient, K.MISSED_QUESTIONNAIRE)
    client = login(personas.therapist)
    client.post(
        reverse("care_outreach", args=[signal.uuid]),
        {"step": "warm_message", "outcome": "pending"},
        HTTP_HX_REQUEST="true",
    )
    signal.refresh_from_db()
    assert signal.state == SignalState.SNOOZED
    step = signal.outreach.get()
    assert step.step == "warm_message" and step.outcome == "pending"
    response = client.post(
        reverse("care_outreach_outcome", args=[step.uuid]), {"outcome": "no_answer"}
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.outcome == "no_answer"
    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):
        periodic.run()
        rows = login(personas.therapist).get(reverse("care_triage")).context["rows"]
        assert rows[0].next_step == "phone_call"


def test_outreach_only_for_disengagement(personas, login):
    signal = factories.signal(personas.patient, K.EXERCISE_FEEDBACK)
    response = login(personas.therapist).post(
        reverse("care_outreach", args=[signal.uuid]),
        {"step": "warm_message", "outcome": "pending"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "drop table"},
        {"page": "999"},
        {"page": "-3"},
        {"page": "x"},
        {"risk": "extreme"},
        {"status": "zombie"},
        {"signal": "nope"},
        {"program": "nonexistent"},
        {"therapist": "not-a-uuid"},
        {"q": "%' OR 1=1 --"},
    ],
)
def test_bad_caseload_input_gives_a_message_not_a_500(personas, login, params):
    factories.caseload(personas.clinic, personas.therapist, 3)
    for who in (personas.therapist, personas.supervisor):
        response = login(who).get(reverse("care_caseload"), params)
        assert response.status_code == 200


@pytest.mark.parametrize("params", [{"kind": "bogus"}, {"page": "0"}, {"page": "77"}])
def test_bad_triage_input_gives_a_message_not_a_500(personas, login, params):
    factories.signal(personas.patient)
    response = login(personas.therapist).get(reverse("care_triage"), params, follow=True)
    assert response.status_code == 200
    assert response.context["problems"]


def test_caseload_sorts_filters_and_searches(personas, login):
    factories.caseload(personas.clinic, personas.therapist, 4)
    periodic.run()
    client = login(personas.therapist)
    names = lambda r: [x["patient"].user.full_name for x in r.context["rows"]]  # noqa: E731
    response = client.get(reverse("care_caseload"), {"sort": "name"})
    assert names(response) == sorted(names(response))
    assert "Pat Patient" in names(response)
    response = client.get(reverse("care_caseload"), {"q": "case 0001"})
    assert names(response) == ["Case 0001"]
    response = client.get(reverse("care_caseload"), {"signal": K.ALLIANCE_DIP})
    assert set(names(response)) == {f"Case {n:04d}" for n in range(1, 4)}
    response = client.get(reverse("care_caseload"), {"fragment": "table"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<div id="caseload-table">')


def test_patient_overview_is_audited_and_shows_the_timeline(personas, enrollment, login, commit):
    from tandem.exercises import services as exercises
    from tests.exercises import factories as ex

    with commit():
        ex.submitted(enrollment, "reflection", ex.REFLECTION_ANSWERS)
        exercises.report_hard(
            actor=personas.patient.user,
            enrollment=enrollment,
            ref=ex.ref(enrollment, "reflection"),
            distress=5,
            note="SECRET-NOTE-CANARY",
        )
    client = login(personas.therapist)
    before = AuditEntry.objects.filter(action="care.patient.viewed").count()
    response = client.get(reverse("care_patient", args=[personas.patient.uuid]))
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="care.patient.viewed").count() == before + 1
    body = response.content.decode()
    assert "Submitted the exercise" in body and "this is hard" in body
    assert "SECRET-NOTE-CANARY" not in body  # clinical text stays behind its own views
    assert 'data-heartbeat-url="/care/heartbeat/"' in body
    assert "Exercise awaiting feedback" in body


def test_heartbeats_merge_and_idle_time_is_excluded(personas, login):
    client = login(personas.therapist)
    url = reverse("care_heartbeat")
    start = timezone.now()
    for seconds in (0, 60, 120, 180):
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            assert client.post(url, {"patient": personas.patient.uuid}).status_code == 204
    entry = TimeEntry.objects.get(therapist=personas.therapist, patient=personas.patient)
    assert (entry.seconds, entry.minutes, entry.source) == (180, 3, "auto")
    # ten minutes idle: the next beat starts a new entry; the gap is not counted
    for seconds in (780, 840):
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            client.post(url, {"patient": personas.patient.uuid})
    entries = list(TimeEntry.objects.filter(patient=personas.patient).order_by("started_at"))
    assert [e.seconds for e in entries] == [180, 60]
    # another team's patient, or garbage: 404, nothing recorded
    assert client.post(url, {"patient": personas.other_patient.uuid}).status_code == 404
    assert client.post(url, {"patient": "x"}).status_code == 404
    assert TimeEntry.objects.count() == 2


def test_time_entries_manual_and_corrected(personas, login):
    client = login(personas.therapist)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        reverse("care_time_add", args=[personas.patient.uuid]),
        {"minutes": "20", "day": yesterday, "activity": "phone_call", "note": "Called"},
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get(source="manual")
    assert entry.minutes == 20 and entry.note == "Called"
    client.post(reverse("care_time_edit", args=[entry.uuid]), {"minutes": "15"})
    entry.refresh_from_db()
    assert entry.minutes == 15 and entry.edited_at is not None
    # the cover therapist cannot correct it
    response = login(personas.cover).post(
        reverse("care_time_edit", args=[entry.uuid]), {"minutes": "1"}
    )
    assert response.status_code == 404


def test_week_minutes_against_the_plan(personas, login):
    now = timezone.now()
    TimeEntry.objects.create(
        therapist=personas.therapist,
        patient=personas.patient,
        clinic=personas.clinic,
        started_at=now,
        minutes=25,
        seconds=1500,
    )
    services.set_planned_minutes(actor=personas.supervisor, minutes=20)
    response = login(personas.therapist).get(reverse("care_time"))
    assert response.context["per_patient"][0]["minutes"] == 25
    assert response.context["planned"] == 20
    response = login(personas.supervisor).get(reverse("care_time"))
    rows = {r["therapist"].pk: r for r in response.context["therapist_rows"]}
    assert rows[personas.therapist.pk]["minutes"] == 25
    assert rows[personas.therapist.pk]["budget"] == 20  # one patient × 20
    response = login(personas.supervisor).get(reverse("care_time"), {"week": "2026-W99"})
    assert response.status_code == 200


def test_supervisor_workload(personas, login):
    from tandem.care import caseload

    caseload.refresh_row(personas.patient.pk)
    factories.signal(personas.patient, K.SILENCE)
    factories.signal(
        personas.patient,
        K.MESSAGE_WAITING,
        key="late",
        due_at=timezone.now() - timedelta(hours=1),
    )
    response = login(personas.supervisor).get(reverse("care_supervisor"))
    rows = {w["therapist"].pk: w for w in response.context["workload"]}
    theo = rows[personas.therapist.pk]
    assert (theo["patients"], theo["open"], theo["overdue"]) == (1, 2, 1)
