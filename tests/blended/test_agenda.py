"""The session agenda built from the online work since the last session."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.assessments import services as assessments
from tandem.blended import services
from tandem.blended.models import AgendaItem, AgendaSource
from tandem.blended.services import digest as digests
from tandem.core.models import Event
from tandem.messaging import services as messaging
from tandem.programs import services as programs
from tandem.wellbeing import services as wellbeing
from tests.blended import factories
from tests.exercises import factories as ex

pytestmark = pytest.mark.django_db

THOUGHT = "I always mess things up at work when my manager watches me"


def _online_work(bl, *, checkins=(3, 5, 6)):  # type: ignore[no-untyped-def]
    """A week of online work: an exercise, a module, a questionnaire, check-ins and a
    message from the patient."""
    user = bl.patient.user
    entry = ex.submitted(
        bl.enrollment,
        "reflection",
        {"responses": {"matters": THOUGHT, "notice": "Slept better on Sunday night"}},
    )
    programs.complete_module(actor=user, enrollment=bl.enrollment, module_key=factories.MODULE)
    assignment = assessments.assign(
        actor=bl.therapist,
        patient=bl.patient,
        instrument="phq9",
        source="adhoc",
        enrollment=bl.enrollment,
    )
    assessments.submit_response(
        actor=user, assignment=assignment, answers=[1, 1, 1, 1, 1, 1, 1, 0, 0, 1]
    )
    for mood in checkins:
        wellbeing.record_checkin(
            actor=user, patient=bl.patient, mood=mood, emotions={}, client_token=uuid.uuid4()
        )
    messaging.send_message(
        actor=user, enrollment=bl.enrollment, body="See you on Thursday", client_token=uuid.uuid4()
    )
    return entry


def test_agenda_reports_the_online_work_since_the_last_session(bl):
    entry = _online_work(bl)
    factories.custom_homework(
        bl.enrollment,
        bl.therapist,
        text="Call my sister",
        due_in=timedelta(days=-1),
        assigned_at=bl.previous.starts_at + timedelta(hours=1),
    )
    agenda = services.agenda_for(bl.upcoming)
    digest = agenda.digest
    assert digest.previous == bl.previous
    assert [e.entry_uuid for e in digest.exercises] == [entry.uuid]
    assert THOUGHT in digest.exercises[0].excerpts
    assert [m.key for m in digest.modules] == [factories.MODULE]
    assert [s.code for s in digest.scores] == ["phq9"]
    assert digest.mood.count == 3 and digest.mood.first == 3 and digest.mood.last == 6
    assert digest.mood.direction == "up"
    assert digest.messages.from_patient == 1
    assert digest.messages.unanswered_since is not None
    assert [h.title for h in digest.homework_not_done] == ["Call my sister"]
    kinds = [s.ref_kind for s in agenda.suggested]
    assert kinds[0] == "homework" and "exercise" in kinds and "mood" in kinds
    assert kinds[-1] == "new_homework"


def test_work_before_the_last_session_is_not_on_the_agenda(bl):
    Event.objects.create(
        patient=bl.patient,
        kind="checkin.recorded",
        data={"mood": 2},
        occurred_at=bl.previous.starts_at - timedelta(days=1),
    )
    digest = services.agenda_for(bl.upcoming).digest
    assert digest.mood is None
    assert digest.is_quiet


def test_first_session_reports_since_the_enrollment_started(personas):
    enrollment = factories.blended(personas.patient, by=personas.therapist)
    first = factories.session(enrollment, personas.therapist, timezone.now() + timedelta(days=1))
    ex.submitted(enrollment, "reflection", {"responses": {"matters": THOUGHT, "notice": ""}})
    digest = services.agenda_for(first).digest
    assert digest.previous is None and digest.since == enrollment.started_at
    assert len(digest.exercises) == 1


def test_open_alerts_come_first(bl):
    from tandem.safety import services as safety

    safety.raise_alert(patient=bl.patient, source="assessment", tier="review", reason="phq9.item9")
    agenda = services.agenda_for(bl.upcoming)
    assert agenda.suggested[0].ref_kind == "alert"


def test_prepare_keeps_the_patients_topics_and_refreshes_suggestions(bl):
    _online_work(bl)
    topic = services.add_item(actor=bl.patient.user, appointment=bl.upcoming, text="My sister")
    items = services.prepare(actor=bl.therapist, appointment=bl.upcoming)
    bl.upcoming.refresh_from_db()
    assert bl.upcoming.agenda_prepared_at is not None
    assert topic.pk in [i.pk for i in items]
    assert items[-1].ref_kind == "new_homework"
    auto = [i for i in items if i.source == AgendaSource.AUTO]
    exercise_item = next(i for i in auto if i.ref_kind == "exercise")
    services.set_done(actor=bl.therapist, item=exercise_item, done=True)
    again = services.prepare(actor=bl.therapist, appointment=bl.upcoming)
    # The ticked item stays (once); unticked suggestions are rebuilt, topics kept.
    assert sum(1 for i in again if i.ref_kind == "exercise") == 1
    assert AgendaItem.objects.get(pk=exercise_item.pk).done
    assert topic.pk in [i.pk for i in again]
    # Agenda text is encrypted at rest.
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM blended_agendaitem")
        assert all("My sister" not in row[0] for row in cursor.fetchall())


def test_agenda_queries_do_not_grow_with_the_number_of_events(bl):
    def count() -> int:
        services.agenda_for(bl.upcoming)  # warm the content cache
        with CaptureQueriesContext(connection) as ctx:
            services.agenda_for(bl.upcoming)
        return len(ctx.captured_queries)

    _online_work(bl, checkins=(4,))
    small = count()
    for _ in range(3):
        _online_work(bl, checkins=(3, 4, 5, 6, 7))
    for n in range(5):
        ex.submitted(
            bl.enrollment,
            "thought-record",
            {
                "situation": f"Meeting {n} went badly and I thought about it all evening",
                "automatic_thoughts": "They think I am useless",
                "evidence_for": "",
                "evidence_against": "",
                "balanced_thought": "",
                "thinking_patterns": [],
                "emotions": [],
            },
        )
    assert Event.objects.filter(patient=bl.patient).count() > 30
    large = count()
    assert large == small, f"{small} queries for a few events, {large} for many"
    assert large <= 12


def test_patient_adds_topics_only_before_their_own_session(bl):
    services.add_item(actor=bl.patient.user, appointment=bl.upcoming, text="Sleep")
    with pytest.raises(Exception, match="started or is over"):
        services.add_item(actor=bl.patient.user, appointment=bl.previous, text="Too late")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.add_item(actor=bl.p.other_patient.user, appointment=bl.upcoming, text="Hi")


def test_work_view_ticks_items_with_htmx(bl, login):
    services.prepare(actor=bl.therapist, appointment=bl.upcoming)
    item = AgendaItem.objects.filter(appointment=bl.upcoming).first()
    client = login(bl.therapist)
    page = client.get(reverse("blended_agenda", args=[bl.upcoming.uuid]))
    assert page.status_code == 200
    assert "Since the last session" in page.content.decode()
    response = client.post(
        reverse("blended_agenda_item", args=[item.uuid]),
        {"action": "done"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "is-done" in response.content.decode()
    assert "<html" not in response.content.decode()
    item.refresh_from_db()
    assert item.done


def test_excerpts_take_free_text_only():
    answers = {
        "date": "2025-01-01",
        "code": "catastrophising",
        "rows": [{"situation": "A long walk with my dog in the rain", "rating": 5}],
        "long": "word " * 100,
    }
    found = digests.excerpts(answers)
    assert found[0] == "A long walk with my dog in the rain"
    assert found[1].endswith("…") and len(found[1]) <= digests.EXCERPT_CHARS
    assert "catastrophising" not in found and "2025-01-01" not in found


def test_the_digest_page_is_refused_to_outsiders(bl, login):
    url = reverse("blended_digest", args=[bl.enrollment.uuid])
    assert login(bl.therapist).get(url).status_code == 200
    assert login(bl.p.other_therapist).get(url).status_code == 404
    assert login(bl.p.outsider).get(url).status_code == 404
