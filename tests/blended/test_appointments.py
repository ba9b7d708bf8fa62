"""Scheduling sessions: time zones, overlaps, the past, series, moving, cancelling,
attendance — clear messages, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditEntry
from tandem.blended import services
from tandem.blended.models import Appointment, AppointmentStatus
from tandem.core.models import Event
from tests.blended import factories

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
YEAR = timezone.now().year + 1


def _form(day: str, at: str, **extra: str) -> dict[str, str]:
    return {
        "day": day,
        "at": at,
        "duration": "50",
        "kind": "video",
        "location": "",
        "repeat": "none",
        "occurrences": "1",
        **extra,
    }


def _zones(bl):  # type: ignore[no-untyped-def]
    bl.therapist.timezone = "Europe/Helsinki"
    bl.therapist.save(update_fields=["timezone"])
    bl.patient.user.timezone = "Europe/Stockholm"
    bl.patient.user.save(update_fields=["timezone"])


def test_helsinki_therapist_schedules_stockholm_patient_sees_local_time(bl, login):
    _zones(bl)
    client = login(bl.therapist)
    url = reverse("blended_appointment_new", args=[bl.enrollment.uuid])
    data = _form(f"{YEAR}-01-12", "10:00", therapist=str(bl.therapist.pk))
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    made = Appointment.objects.get(starts_at__year=YEAR)
    assert made.starts_at == datetime(YEAR, 1, 12, 8, 0, tzinfo=UTC)  # stored in UTC
    page = login(bl.patient.user).get(reverse("blended_my_sessions")).content.decode()
    assert "09:00" in page and "Europe/Stockholm" in page  # 10:00 in Helsinki
    staff_page = client.get(reverse("blended_appointment", args=[made.uuid])).content.decode()
    assert "10:00" in staff_page
    assert Event.objects.filter(kind="appointment.scheduled", ref_uuid=made.uuid).exists()
    assert AuditEntry.objects.filter(action="blended.appointment.scheduled").exists()


def test_overlapping_session_is_a_clear_form_error(bl, login):
    _zones(bl)
    client = login(bl.therapist)
    url = reverse("blended_appointment_new", args=[bl.enrollment.uuid])
    assert client.post(url, _form(f"{YEAR}-02-02", "10:00")).status_code == 302
    other = factories.blended(bl.p.other_patient, by=bl.p.other_therapist)
    from tandem.accounts.models import CareTeamMember

    CareTeamMember.objects.create(
        patient=bl.p.other_patient, therapist=bl.therapist, team_role="cover"
    )
    response = client.post(
        reverse("blended_appointment_new", args=[other.uuid]), _form(f"{YEAR}-02-02", "10:30")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "overlaps another session" in html and bl.therapist.full_name in html
    assert Appointment.objects.filter(starts_at__year=YEAR).count() == 1
    # Back to back is fine.
    assert client.post(url, _form(f"{YEAR}-02-02", "10:50")).status_code == 302


def test_a_session_in_the_past_is_refused(bl, login):
    client = login(bl.therapist)
    url = reverse("blended_appointment_new", args=[bl.enrollment.uuid])
    yesterday = (timezone.now() - timedelta(days=1)).astimezone(HELSINKI).date().isoformat()
    response = client.post(url, _form(yesterday, "10:00"))
    assert response.status_code == 400
    assert "in the past" in response.content.decode()
    with pytest.raises(ValidationError):
        services.reschedule(
            actor=bl.therapist,
            appointment=bl.upcoming,
            starts_at=timezone.now() - timedelta(hours=1),
        )


def test_weekly_series_keeps_local_time_across_daylight_saving(bl):
    _zones(bl)
    made = services.schedule(
        actor=bl.therapist,
        enrollment=bl.enrollment,
        starts_at=datetime(YEAR, 3, 16, 10, 0, tzinfo=HELSINKI),
        repeat="weekly",
        occurrences=4,
    )
    assert len(made) == 4 and len({a.series for a in made}) == 1
    local = [a.starts_at.astimezone(HELSINKI).strftime("%m-%d %H:%M") for a in made]
    assert local == ["03-16 10:00", "03-23 10:00", "03-30 10:00", "04-06 10:00"]
    assert made[0].starts_at.hour != made[-1].starts_at.hour  # UTC shifts with DST
    # One overlapping occurrence refuses the whole series.
    with pytest.raises(ValidationError):
        services.schedule(
            actor=bl.therapist,
            enrollment=bl.enrollment,
            starts_at=datetime(YEAR, 3, 9, 10, 20, tzinfo=HELSINKI),
            repeat="biweekly",
            occurrences=3,
        )
    assert Appointment.objects.filter(series=made[0].series).count() == 4


def test_reschedule_cancel_and_attendance(bl, login):
    client = login(bl.therapist)
    appointment = bl.upcoming
    moved = services.reschedule(
        actor=bl.therapist, appointment=appointment, starts_at=timezone.now() + timedelta(days=4)
    )
    assert moved.sequence == 1
    # A session that has not started cannot be marked attended.
    response = client.post(
        reverse("blended_attendance", args=[appointment.uuid]), {"attended": "1"}, follow=True
    )
    assert "has not started" in response.content.decode()
    # Cancel needs a reason.
    response = client.post(reverse("blended_cancel", args=[appointment.uuid]), {"reason": ""})
    assert response.status_code == 400
    response = client.post(
        reverse("blended_cancel", args=[appointment.uuid]), {"reason": "Patient has flu"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancel_reason == "Patient has flu"
    with pytest.raises(ValidationError):
        services.reschedule(
            actor=bl.therapist,
            appointment=appointment,
            starts_at=timezone.now() + timedelta(days=5),
        )
    # A past session: attended, then corrected the same day.
    past = factories.session(bl.enrollment, bl.therapist, timezone.now() - timedelta(hours=2))
    services.record_attendance(actor=bl.therapist, appointment=past, attended=True)
    services.record_attendance(actor=bl.therapist, appointment=past, attended=False)
    past.refresh_from_db()
    assert past.status == AppointmentStatus.DID_NOT_ATTEND


def test_only_the_care_team_schedules(bl, login):
    with pytest.raises(PermissionDenied):
        services.schedule(
            actor=bl.p.other_therapist,
            enrollment=bl.enrollment,
            starts_at=timezone.now() + timedelta(days=3),
        )
    url = reverse("blended_appointment_new", args=[bl.enrollment.uuid])
    assert login(bl.p.supervisor).get(url).status_code == 404
    assert login(bl.p.former_therapist).get(url).status_code == 404
    # The session's therapist must be on the care team.
    with pytest.raises(ValidationError):
        services.schedule(
            actor=bl.therapist,
            enrollment=bl.enrollment,
            therapist=bl.p.other_therapist,
            starts_at=timezone.now() + timedelta(days=3),
        )


def test_bad_form_input_never_fails(bl, login):
    client = login(bl.therapist)
    url = reverse("blended_appointment_new", args=[bl.enrollment.uuid])
    for data in (
        {},
        _form("not-a-date", "25:99"),
        _form(f"{YEAR}-01-01", "10:00", duration="7"),
        _form(f"{YEAR}-01-01", "10:00", repeat="daily"),
        _form(f"{YEAR}-01-01", "10:00", repeat="weekly", occurrences="999"),
        _form(f"{YEAR}-01-01", "10:00", therapist="999999"),
    ):
        assert client.post(url, data).status_code == 400, data
    assert client.get("/blended/sessions/not-a-uuid/").status_code == 404
    assert client.get(reverse("blended_appointment", args=[bl.p.admin.uuid])).status_code == 404


def test_the_therapists_schedule_lists_sessions_and_what_to_finish(bl, login):
    page = login(bl.therapist).get(reverse("blended_schedule")).content.decode()
    assert bl.patient.user.full_name in page
    assert reverse("blended_agenda", args=[bl.upcoming.uuid]) in page
    assert "sign the note" in page  # the attended session a week ago has no note
    assert (
        "Pat Patient"
        not in login(bl.p.other_therapist).get(reverse("blended_schedule")).content.decode()
    )
