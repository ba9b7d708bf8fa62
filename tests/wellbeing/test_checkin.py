"""Check-ins: one screen, one tap per answer, notes encrypted, risk in notes alerts."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.urls import reverse

from tandem.core import crypto
from tandem.core.models import Event
from tandem.messaging import risk
from tandem.wellbeing import services
from tandem.wellbeing.models import CheckIn

pytestmark = pytest.mark.django_db


def data(**extra):  # type: ignore[no-untyped-def]
    return {
        "mood": "6",
        "client_token": uuid.uuid4(),
        "emotion_anxiety": "2",
        "emotion_calm": "0",
        **extra,
    }


def test_checkin_is_one_screen_with_big_targets(personas, login):
    html = login(personas.patient.user).get(reverse("wellbeing_checkin")).content.decode()
    assert html.count('name="mood"') == 11
    assert 'class="tap"' in html and 'class="chip"' in html
    assert "style=" not in html  # CSP: no inline styles


def test_a_checkin_is_stored_with_an_encrypted_note(personas, login):
    canary = "CANARY-" + uuid.uuid4().hex
    client = login(personas.patient.user)
    response = client.post(reverse("wellbeing_checkin"), data(note=f"Slept badly {canary}"))
    assert response.status_code == 302 and response["Location"] == reverse("wellbeing_trend")
    checkin = CheckIn.objects.get()
    assert checkin.mood == 6 and checkin.emotions == {"anxiety": 2}
    assert checkin.note.endswith(canary)
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM wellbeing_checkin")
        (raw,) = cursor.fetchone()
    assert raw.startswith(crypto.PREFIX) and canary not in raw
    event = Event.objects.get(kind="checkin.recorded")
    assert event.data["mood"] == 6 and canary not in str(event.data)
    trend = client.get(reverse("wellbeing_trend")).content.decode()
    assert "<svg" in trend and "6/10" in trend and "Anxiety (2/3)" in trend


def test_double_submit_stores_one_checkin(personas, login):
    client = login(personas.patient.user)
    payload = data()
    client.post(reverse("wellbeing_checkin"), payload)
    client.post(reverse("wellbeing_checkin"), payload)
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"mood": ""},
        {"mood": "11"},
        {"mood": "-1"},
        {"mood": "abc"},
        {"emotion_anxiety": "7"},
        {"note": "x" * 2001},
        {"client_token": "nope"},
    ],
)
def test_bad_input_gets_a_clear_message(personas, login, bad):
    response = login(personas.patient.user).post(reverse("wellbeing_checkin"), data(**bad))
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode() or "errors" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_risky_note_raises_an_alert_and_shows_help(personas, login):
    from tandem.safety.models import Alert

    client = login(personas.patient.user)
    response = client.post(reverse("wellbeing_checkin"), data(note="En jaksa enää elää", mood="1"))
    assert response["Location"].endswith("?crisis=1")
    alert = Alert.objects.get()
    assert (alert.source, alert.tier, alert.reason) == (
        "checkin",
        "review",
        "checkin.risk_language",
    )
    assert alert.ref_key == str(CheckIn.objects.get().uuid)
    assert "If you need help now" in client.get(response["Location"]).content.decode()


def test_a_failing_alert_stores_no_checkin(personas, monkeypatch):
    class Down:
        @staticmethod
        def raise_alert(**kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("down")

    monkeypatch.setattr(risk, "_safety_services", lambda: Down)
    with pytest.raises(RuntimeError):
        services.record_checkin(
            actor=personas.patient.user,
            patient=personas.patient,
            mood=2,
            emotions={},
            note="I want to die",
            client_token=uuid.uuid4(),
        )
    assert not CheckIn.objects.exists()


def test_only_the_patient_checks_in_for_themselves(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.record_checkin(
            actor=personas.therapist,
            patient=personas.patient,
            mood=5,
            emotions={},
            client_token=uuid.uuid4(),
        )


def test_the_care_team_sees_checkins(personas, login):
    services.record_checkin(
        actor=personas.patient.user,
        patient=personas.patient,
        mood=4,
        emotions={"sadness": 3},
        note="rough day",
        client_token=uuid.uuid4(),
    )
    url = reverse("wellbeing_patient", args=[personas.patient.uuid])
    html = login(personas.therapist).get(url).content.decode()
    assert "rough day" in html and "Sadness (3/3)" in html
    assert login(personas.other_therapist).get(url).status_code == 404
