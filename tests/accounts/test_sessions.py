"""Sessions (SECURITY.md): server-side; staff idle 15 min, patients idle 30 min, absolute
12 h whatever the activity; logout and password change end the user's other sessions;
users can see and end their sessions; logout clears the browser's site data."""

from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.auth_events import SESSION_AUTH_AT, SESSION_LAST_SEEN
from tandem.audit.models import AuditEntry
from tests.accounts.flows import is_signed_in, sign_in
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db

START = "2031-09-01 07:00:00+00:00"
NEW_PASSWORD = "amber fields under snow"
PAGE = "/preferences/"  # a page every signed-in user may open


def expired(response, path: str | None = None) -> bool:
    if response.status_code != 302:
        return False
    location = response["Location"]
    if path is not None:
        return location == f"/account/login/?next={path.replace('/', '%2F')}"
    return location.startswith("/account/login/")


# --- timestamps ------------------------------------------------------------------------------


def test_sign_in_stores_session_timestamps(personas):
    with time_machine.travel(START, tick=False):
        client = Client()
        sign_in(client, personas.therapist)
        session = client.session
        assert session[SESSION_AUTH_AT] == session[SESSION_LAST_SEEN]
        assert session[SESSION_AUTH_AT] == timezone.now().timestamp()


def test_sessions_are_server_side_and_end_with_the_browser(personas):
    client = Client()
    sign_in(client, personas.patient.user)
    cookie = client.cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]
    assert cookie["httponly"]
    assert Session.objects.filter(session_key=cookie.value).exists()


# --- idle and absolute timeouts --------------------------------------------------------------


def test_staff_idle_for_15_minutes_are_signed_out(personas):
    url = reverse("patient_list")
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        sign_in(client, personas.therapist)
        traveller.shift(timedelta(minutes=14, seconds=59))
        assert client.get(url).status_code == 200
        traveller.shift(timedelta(minutes=15, seconds=1))
        response = client.get(url)
        assert expired(response, url)
        assert not is_signed_in(client)
        entry = AuditEntry.objects.get(action="accounts.session.expired_idle")
        assert entry.actor == personas.therapist
        page = client.get(response["Location"])
        assert "Your session ended for your security" in page.content.decode()
        assert "saved as a draft" in page.content.decode()


def test_patients_may_be_idle_for_30_minutes(personas):
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        sign_in(client, personas.patient.user)
        traveller.shift(timedelta(minutes=29, seconds=59))
        assert client.get(PAGE).status_code == 200
        traveller.shift(timedelta(minutes=29, seconds=59))
        assert client.get(PAGE).status_code == 200
        traveller.shift(timedelta(minutes=30, seconds=1))
        assert expired(client.get(PAGE), PAGE)
        assert not is_signed_in(client)


@pytest.mark.parametrize("who", ["therapist", "patient"])
def test_absolute_lifetime_is_12_hours_whatever_the_activity(personas, who):
    user = personas.patient.user if who == "patient" else personas.therapist
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        sign_in(client, user)
        for _ in range(12 * 6 - 1):  # a request every 10 minutes for 11 h 50 min
            traveller.shift(timedelta(minutes=10))
            assert client.get(PAGE).status_code == 200
            assert is_signed_in(client)
        traveller.shift(timedelta(minutes=10, seconds=1))
        assert expired(client.get(PAGE))
        assert not is_signed_in(client)
        assert AuditEntry.objects.filter(action="accounts.session.expired_absolute").exists()


def test_expired_htmx_request_redirects_the_page(personas):
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        sign_in(client, personas.therapist)
        traveller.shift(timedelta(minutes=16))
        response = client.get(reverse("patient_list"), HTTP_HX_REQUEST="true")
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith("/account/login/")


def test_expired_post_does_not_run(personas):
    with time_machine.travel(START, tick=False) as traveller:
        client = Client()
        sign_in(client, personas.patient.user)
        traveller.shift(timedelta(minutes=31))
        response = client.post(
            reverse("preferences"), {"language": "sv", "timezone": "Europe/Stockholm"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/account/login/"
    personas.patient.user.refresh_from_db()
    assert personas.patient.user.language == "en"


def test_session_without_timestamps_gets_them_on_first_request(personas, login):
    client = login(personas.therapist)
    session = client.session
    for key in (SESSION_AUTH_AT, SESSION_LAST_SEEN):
        session.pop(key, None)
    session.save()
    assert client.get(PAGE).status_code == 200
    assert SESSION_AUTH_AT in client.session and SESSION_LAST_SEEN in client.session


# --- ending sessions -------------------------------------------------------------------------


def test_logout_ends_the_users_other_sessions_and_clears_site_data(personas):
    user = personas.patient.user
    laptop, phone, other_user = Client(), Client(), Client()
    for client in (laptop, phone):
        sign_in(client, user)
        assert client.get(PAGE).status_code == 200
    sign_in(other_user, personas.other_patient.user)
    assert other_user.get(PAGE).status_code == 200
    assert UserSession.objects.filter(user=user).count() == 2

    response = laptop.post("/account/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not is_signed_in(laptop)
    assert expired(phone.get(PAGE))
    assert UserSession.objects.purge_and_list(user) == []
    # Someone else's session is untouched.
    assert other_user.get(PAGE).status_code == 200
    assert AuditEntry.objects.filter(action="accounts.logout", actor=user).exists()


def test_logout_needs_a_post(personas):
    client = Client()
    sign_in(client, personas.patient.user)
    client.get("/account/logout/")
    assert is_signed_in(client)


def test_password_change_ends_other_sessions_but_keeps_this_one(personas):
    user = personas.patient.user
    here, elsewhere = Client(), Client()
    sign_in(here, user)
    sign_in(elsewhere, user)
    response = here.post(
        "/account/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert here.get(PAGE).status_code == 200
    assert expired(elsewhere.get(PAGE))


def test_password_change_needs_the_old_password(personas):
    user = personas.patient.user
    client = Client()
    sign_in(client, user)
    response = client.post(
        "/account/password/change/",
        {"oldpassword": "not my password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_users_see_and_end_their_other_sessions(personas, login):
    user = personas.therapist
    here = Client()
    sign_in(here, user)
    elsewhere = login(user)
    assert elsewhere.get(reverse("patient_list")).status_code == 200
    page = here.get("/account/sessions/")
    assert page.status_code == 200
    assert page.context["session_count"] == 2
    assert here.post("/account/sessions/").status_code == 302
    assert here.get(reverse("patient_list")).status_code == 200
    assert expired(elsewhere.get(reverse("patient_list")))


def test_deactivation_ends_all_sessions(personas):
    from tandem.accounts import services

    client = Client()
    sign_in(client, personas.researcher)
    services.set_active(actor=personas.admin, user=personas.researcher, active=False)
    assert not UserSession.objects.filter(user=personas.researcher).exists()
    assert expired(client.get(PAGE))


# --- the session list without a write per request -------------------------------------------


def test_session_activity_is_written_at_most_once_a_minute(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = personas.patient.user
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(user)  # Django's own login: the first request creates the row
        assert client.get(PAGE).status_code == 200
        row = UserSession.objects.get(user=user)
        first_seen = row.last_seen_at
        clock.shift(timedelta(seconds=30))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        writes = [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
        assert not any("usersession" in sql or "django_session" in sql for sql in writes)
        assert UserSession.objects.get(pk=row.pk).last_seen_at == first_seen
        clock.shift(timedelta(seconds=40))
        assert client.get(PAGE).status_code == 200
        assert UserSession.objects.get(pk=row.pk).last_seen_at > first_seen


def test_a_new_address_or_browser_is_recorded_at_once(personas):
    user = personas.patient.user
    client = Client()
    with time_machine.travel(START, tick=False):
        client.force_login(user)
        assert client.get(PAGE, HTTP_USER_AGENT="Phone browser").status_code == 200
        assert UserSession.objects.get(user=user).user_agent == "Phone browser"
        assert client.get(PAGE, HTTP_USER_AGENT="Laptop browser").status_code == 200
        assert UserSession.objects.get(user=user).user_agent == "Laptop browser"
        assert client.get(PAGE, REMOTE_ADDR="192.0.2.7").status_code == 200
        assert UserSession.objects.get(user=user).ip == "192.0.2.7"
