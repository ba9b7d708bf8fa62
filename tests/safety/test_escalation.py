"""Escalation deadlines in working time (weekends, Finnish holidays), cover routing and the
periodic job. Time is frozen with time_machine."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from tandem.accounts.models import CareTeamMember, User
from tandem.audit.models import AuditEntry
from tandem.core.models import Event
from tandem.core.workhours import WorkCalendar
from tandem.safety import services
from tandem.safety.models import Alert, EscalationPolicy

HEL = ZoneInfo("Europe/Helsinki")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=HEL)


CAL = WorkCalendar(tz=HEL)


# --- the calendar (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2025, 3, 4, 10), 8, at(2025, 3, 5, 10)),  # Tue → Wed, same time
        (at(2025, 3, 4, 10), 4, at(2025, 3, 4, 14)),  # urgent: the same working day
        (at(2025, 3, 4, 14), 4, at(2025, 3, 5, 10)),  # late afternoon: next morning
        (at(2025, 3, 4, 6), 4, at(2025, 3, 4, 12)),  # before opening: counts from 8:00
        (at(2025, 3, 4, 19), 8, at(2025, 3, 5, 16)),  # evening: all of the next day
        (at(2025, 3, 7, 15), 8, at(2025, 3, 10, 15)),  # Friday → Monday (weekend skipped)
        (at(2025, 3, 8, 11), 8, at(2025, 3, 10, 16)),  # Saturday → end of Monday
        (at(2025, 3, 8, 11), 4, at(2025, 3, 10, 12)),  # Saturday, urgent → Monday noon
        (at(2025, 12, 23, 15), 8, at(2025, 12, 29, 15)),  # Christmas Eve to Boxing Day + weekend
        (at(2025, 4, 17, 15), 8, at(2025, 4, 22, 15)),  # Good Friday and Easter Monday
        (at(2025, 6, 19, 12), 8, at(2025, 6, 23, 12)),  # Midsummer Eve (Friday)
        (at(2025, 12, 5, 12), 8, at(2025, 12, 8, 12)),  # Independence Day is a Saturday
        (at(2026, 1, 5, 12), 8, at(2026, 1, 7, 12)),  # Epiphany, Tuesday 6 January
    ],
)
def test_working_hours_skip_evenings_weekends_and_finnish_holidays(start, hours, due):
    assert CAL.add_working_hours(start, hours) == due


def test_working_hours_between_is_the_inverse():
    start = at(2025, 12, 23, 15)
    assert CAL.working_hours_between(start, at(2025, 12, 29, 15)) == pytest.approx(8)
    assert CAL.working_hours_between(start, start) == 0


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError):
        CAL.add_working_hours(datetime(2025, 3, 4, 10), 8)


def test_an_unknown_country_falls_back_to_weekends_only():
    calendar = WorkCalendar(tz=HEL, holiday_country="ZZ")
    assert calendar.add_working_hours(at(2025, 12, 24, 10), 8) == at(2025, 12, 25, 10)


# --- deadlines and the periodic job --------------------------------------------------------------


@pytest.fixture
def personas(personas):  # type: ignore[no-untyped-def]
    """The personas' care teams, started long before the frozen dates used here."""
    CareTeamMember.objects.filter(ended_at__isnull=True).update(started_at=at(2020, 1, 1))
    CareTeamMember.objects.filter(ended_at__isnull=False).update(
        started_at=at(2020, 1, 1), ended_at=at(2021, 1, 1)
    )
    return personas


def _raise(patient, tier="review", reason="phq9.item9"):  # type: ignore[no-untyped-def]
    return services.raise_alert(patient=patient, source="assessment", tier=tier, reason=reason)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raised", "tier", "due"),
    [
        (at(2025, 3, 7, 15), "review", at(2025, 3, 10, 15)),
        (at(2025, 3, 10, 9), "urgent", at(2025, 3, 10, 13)),
        (at(2025, 12, 23, 15), "review", at(2025, 12, 29, 15)),
        (at(2025, 12, 24, 9), "urgent", at(2025, 12, 29, 12)),
    ],
)
def test_escalation_happens_exactly_at_the_deadline(personas, raised, tier, due):
    with time_machine.travel(raised, tick=False):
        alert = _raise(personas.patient, tier)
    assert alert.due_at == due
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert services.escalate_due() == []
    with time_machine.travel(due, tick=False):
        escalated = services.escalate_due()
    assert [a.pk for a in escalated] == [alert.pk]
    alert.refresh_from_db()
    assert alert.escalated_to == personas.supervisor and alert.escalation_reason == "overdue"
    assert alert.escalated_at == due
    event = Event.objects.get(kind="alert.escalated")
    assert event.data["why"] == "overdue" and event.data["tier"] == tier
    assert (
        AuditEntry.objects.filter(action="safety.alert.escalated", target_uuid=alert.uuid).count()
        == 1
    )


@pytest.mark.django_db
def test_the_job_is_idempotent(personas):
    with time_machine.travel(at(2025, 3, 3, 9), tick=False):
        alert = _raise(personas.patient)
    with time_machine.travel(at(2025, 3, 6, 9), tick=False):
        assert len(services.escalate_due()) == 1
        assert services.escalate_due() == []
        out = StringIO()
        call_command("safety_escalate", stdout=out)
        assert "0 alert(s) escalated" in out.getvalue()
    assert Event.objects.filter(kind="alert.escalated", ref_uuid=alert.uuid).count() == 1


@pytest.mark.django_db
def test_acknowledged_alerts_never_escalate(personas):
    with time_machine.travel(at(2025, 3, 3, 9), tick=False):
        alert = _raise(personas.patient)
        services.acknowledge(actor=personas.therapist, alert=alert, note="Called.")
    with time_machine.travel(at(2025, 3, 10, 9), tick=False):
        assert services.escalate_due() == []


@pytest.mark.django_db
def test_the_clinic_configures_the_delay_and_working_hours(personas):
    EscalationPolicy.objects.create(
        clinic=personas.clinic,
        review_hours=16,
        urgent_hours=2,
        workday_start=time(9, 0),
        workday_end=time(17, 0),
    )
    with time_machine.travel(at(2025, 3, 4, 10), tick=False):
        review = _raise(personas.patient)
        urgent = _raise(personas.patient, "urgent", reason="message.risk_language")
    assert review.due_at == at(2025, 3, 6, 10)
    assert urgent.due_at == at(2025, 3, 4, 12)


@pytest.mark.django_db
def test_an_alert_moves_to_cover_when_the_primary_therapist_is_deactivated(personas):
    with time_machine.travel(at(2025, 3, 4, 10), tick=False):
        alert = _raise(personas.patient)
    assert alert.assigned_to == personas.therapist
    User.objects.filter(pk=personas.therapist.pk).update(is_active=False)
    with time_machine.travel(at(2025, 3, 4, 11), tick=False):
        assert services.escalate_due() == []  # not due yet: rerouted, not escalated
    alert.refresh_from_db()
    assert alert.assigned_to == personas.cover and alert.escalated_at is None
    assert Event.objects.filter(kind="alert.reassigned", ref_uuid=alert.uuid).exists()
    assert AuditEntry.objects.filter(action="safety.alert.reassigned").exists()


@pytest.mark.django_db
def test_an_alert_moves_to_cover_when_the_primary_therapist_leaves_the_team(personas):
    with time_machine.travel(at(2025, 3, 4, 10), tick=False):
        alert = _raise(personas.patient)
    CareTeamMember.objects.filter(patient=personas.patient, therapist=personas.therapist).update(
        ended_at=at(2025, 3, 4, 10, 30)
    )
    with time_machine.travel(at(2025, 3, 4, 11), tick=False):
        services.escalate_due()
    alert.refresh_from_db()
    assert alert.assigned_to == personas.cover


@pytest.mark.django_db
def test_when_the_whole_team_is_gone_the_supervisor_gets_it_at_once(personas):
    with time_machine.travel(at(2025, 3, 4, 10), tick=False):
        alert = _raise(personas.patient)
    CareTeamMember.objects.filter(patient=personas.patient).update(ended_at=at(2025, 3, 4, 10, 30))
    with time_machine.travel(at(2025, 3, 4, 11), tick=False):
        escalated = services.escalate_due()
    assert [a.pk for a in escalated] == [alert.pk]
    alert.refresh_from_db()
    assert alert.escalated_to == personas.supervisor
    assert alert.escalation_reason == "no_care_team"
    assert alert.escalated_at == at(2025, 3, 4, 11)  # long before the deadline


@pytest.mark.django_db
def test_never_to_nobody(personas):
    """Whatever happens to the team, an open alert always has someone responsible."""
    with time_machine.travel(at(2025, 3, 4, 10), tick=False):
        alerts = [_raise(personas.patient, reason=f"phq9.item{n}") for n in range(1, 4)]
    User.objects.filter(pk__in=[personas.therapist.pk, personas.cover.pk]).update(is_active=False)
    with time_machine.travel(at(2025, 3, 4, 11), tick=False):
        services.escalate_due()
    for alert in Alert.objects.filter(pk__in=[a.pk for a in alerts]):
        assert alert.escalated_to == personas.supervisor
    assert timezone.now()  # (time restored)
