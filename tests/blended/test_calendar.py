"""Calendar feeds and .ics downloads: parsed with ``icalendar``, and free of clinical text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tandem.blended import services
from tandem.blended.models import CalendarFeedToken
from tests.blended import factories

pytestmark = pytest.mark.django_db


def _events(body: bytes) -> list:  # type: ignore[type-arg]
    return list(Calendar.from_ical(body).walk("VEVENT"))


def _clinical_words(bl) -> list[str]:  # type: ignore[no-untyped-def]
    program = bl.enrollment.version.package.program
    words = [
        bl.patient.user.full_name,
        bl.patient.user.email,
        program.title.text("en"),
        program.condition.label.text("en"),
        *program.condition.icd10,
        *(m.title.text("en") for m in program.modules),
        "canary-note-4412",
        "Room 12",
        "https://video.example/secret",
    ]
    return [w for w in words if w]


def _with_clinical_detail(bl) -> None:  # type: ignore[no-untyped-def]
    services.save_note(
        actor=bl.therapist, appointment=bl.previous, sections={"main_work": "canary-note-4412"}
    )
    services.add_item(actor=bl.patient.user, appointment=bl.upcoming, text="canary-note-4412")
    bl.upcoming.location = "Room 12, https://video.example/secret"
    bl.upcoming.save()


def test_therapist_feed_has_times_and_initials_only(bl):
    _with_clinical_detail(bl)
    token = services.create_feed(actor=bl.therapist)
    response = Client().get(reverse("blended_feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    events = _events(response.content)
    by_uid = {str(e["UID"]): e for e in events}
    event = by_uid[f"{bl.upcoming.uuid}@tandem"]
    assert event.decoded("DTSTART") == bl.upcoming.starts_at.replace(microsecond=0)
    assert str(event["SUMMARY"]) == "Tandem session (face to face) · P.P."
    assert str(event["STATUS"]) == "CONFIRMED"
    text = response.content.decode()
    for word in _clinical_words(bl):
        assert word.lower() not in text.lower(), word
    for event in events:
        assert set(event.keys()) <= {
            "UID",
            "DTSTAMP",
            "DTSTART",
            "DTEND",
            "SEQUENCE",
            "SUMMARY",
            "STATUS",
            "DESCRIPTION",
            "URL",
            "TRANSP",
        }


def test_patient_feed_and_single_download_say_tandem_session_only(bl, login):
    _with_clinical_detail(bl)
    token = services.create_feed(actor=bl.patient.user)
    body = Client().get(reverse("blended_feed", args=[token])).content
    summaries = {str(e["SUMMARY"]) for e in _events(body)}
    assert summaries == {"Tandem session (face to face)"}
    response = login(bl.patient.user).get(reverse("blended_ics", args=[bl.upcoming.uuid]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    (event,) = _events(response.content)
    assert str(event["SUMMARY"]) == "Tandem session (face to face)"
    for word in _clinical_words(bl):
        assert word.lower() not in response.content.decode().lower(), word


def test_cancelled_and_moved_sessions_update_calendars(bl):
    token = services.create_feed(actor=bl.therapist)
    services.reschedule(
        actor=bl.therapist, appointment=bl.upcoming, starts_at=timezone.now() + timedelta(days=3)
    )
    later = factories.session(bl.enrollment, bl.therapist, timezone.now() + timedelta(days=10))
    services.cancel(actor=bl.therapist, appointment=later, reason="Therapist ill")
    events = {
        str(e["UID"]): e
        for e in _events(Client().get(reverse("blended_feed", args=[token])).content)
    }
    assert int(events[f"{bl.upcoming.uuid}@tandem"]["SEQUENCE"]) == 1
    assert str(events[f"{later.uuid}@tandem"]["STATUS"]) == "CANCELLED"
    assert "ill" not in Client().get(reverse("blended_feed", args=[token])).content.decode()


def test_revoked_guessed_and_malformed_tokens_are_404(bl, login):
    old = services.create_feed(actor=bl.therapist)
    new = services.create_feed(actor=bl.therapist)  # replaces the old one
    client = Client()
    assert client.get(reverse("blended_feed", args=[old])).status_code == 404
    assert client.get(reverse("blended_feed", args=[new])).status_code == 200
    assert client.get(reverse("blended_feed", args=["x" * 43])).status_code == 404
    assert client.get("/blended/calendar/%00%ff.ics").status_code == 404
    assert client.get(reverse("blended_feed", args=["a" * 500])).status_code == 404
    login(bl.therapist).post(reverse("blended_calendar"), {"action": "revoke"})
    assert client.get(reverse("blended_feed", args=[new])).status_code == 404
    # Only a digest is stored.
    assert not CalendarFeedToken.objects.filter(token_hash=new).exists()


def test_a_deactivated_user_or_a_former_care_team_loses_the_feed(bl):
    token = services.create_feed(actor=bl.therapist)
    from tandem.accounts.models import CareTeamMember

    CareTeamMember.objects.filter(patient=bl.patient, therapist=bl.therapist).update(
        ended_at=timezone.now() - timedelta(minutes=1)
    )
    events = _events(Client().get(reverse("blended_feed", args=[token])).content)
    assert events == []
    type(bl.therapist).objects.filter(pk=bl.therapist.pk).update(is_active=False)
    assert Client().get(reverse("blended_feed", args=[token])).status_code == 404


def test_calendar_page_shows_the_address_once(bl, login):
    client = login(bl.therapist)
    response = client.post(reverse("blended_calendar"), {"action": "create"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "/blended/calendar/" in html and ".ics" in html
    again = client.get(reverse("blended_calendar")).content.decode()
    assert ".ics" not in again and "is in use" in again
    assert login(bl.p.supervisor).get(reverse("blended_calendar")).status_code == 404


def test_ics_of_another_patients_session_is_404(bl, login):
    url = reverse("blended_ics", args=[bl.upcoming.uuid])
    assert login(bl.p.other_patient.user).get(url).status_code == 404
    assert login(bl.p.other_therapist).get(url).status_code == 404
    assert login(bl.p.therapist).get(url).status_code == 200


def test_place_and_video_link_are_encrypted_at_rest(bl):
    from django.db import connection

    _with_clinical_detail(bl)
    with connection.cursor() as cursor:
        cursor.execute("SELECT location, cancel_reason FROM blended_appointment")
        rows = cursor.fetchall()
    assert rows and all("video.example" not in (row[0] or "") for row in rows)
