"""The clinic's safety settings: crisis resources per language and the escalation of
unacknowledged alerts — edited by the clinic's supervisor or administrator, audited,
validated with clear messages, and seen at once by the clinic's patients only."""

from __future__ import annotations

import html
from datetime import UTC, datetime, time

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tandem.audit.models import AuditEntry
from tandem.safety import clinic_settings, services
from tandem.safety.models import CrisisResourceSet, EscalationPolicy

pytestmark = pytest.mark.django_db

CRISIS_FI = reverse("safety_crisis_edit", args=["fi"])
SETTINGS = reverse("safety_settings")


def _crisis(**extra: str) -> dict[str, str]:
    data = {
        "emergency_number": "112",
        "clinic_phone": "+358 9 123 4567",
        "clinic_hours": "ma–pe 8–16",
        "line_1_name": "Alueen kriisikeskus",
        "line_1_number": "040 123 4567",
        "line_1_hours": "joka päivä 9–21",
    }
    return data | extra


def _escalation(**extra: str) -> dict[str, str]:
    data = {
        "urgent_hours": "2",
        "review_hours": "6",
        "workday_start": "07:30",
        "workday_end": "15:30",
        "holiday_country": "FI",
    }
    return data | extra


def _patient_in(personas, language: str):  # type: ignore[no-untyped-def]
    user = personas.patient.user
    user.language = language
    user.save(update_fields=["language"])
    return user


def test_the_page_shows_what_patients_see_in_each_language(personas, login):
    page = login(personas.supervisor).get(SETTINGS).content.decode()
    assert "09 2525 0111" in page  # the built-in Finnish line until the clinic sets its own
    for code in ("en", "fi", "sv"):
        assert reverse("safety_crisis_edit", args=[code]) in page


def test_an_admin_sets_the_finnish_crisis_lines_and_finnish_patients_see_them(personas, login):
    client = login(personas.admin)
    form = client.get(CRISIS_FI).content.decode()
    assert 'value="09 2525 0111"' in form  # starts from what patients see now
    response = client.post(CRISIS_FI, _crisis())
    assert response.status_code == 302 and response["Location"] == SETTINGS
    row = CrisisResourceSet.objects.get(clinic=personas.clinic, language="fi")
    assert row.lines == [
        {"name": "Alueen kriisikeskus", "number": "040 123 4567", "hours": "joka päivä 9–21"}
    ]
    entry = AuditEntry.objects.get(action="safety.crisis_resources.changed")
    assert entry.actor_id == personas.admin.pk and entry.detail["language"] == "fi"
    assert entry.detail["lines"] == ["040 123 4567"]

    help_page = login(_patient_in(personas, "fi")).get(reverse("crisis_help")).content.decode()
    assert "Alueen kriisikeskus: 040 123 4567" in help_page
    assert 'href="tel:0401234567"' in help_page and 'href="tel:+35891234567"' in help_page
    # Another clinic's patients still see the defaults.
    foreign = personas.foreign_patient.user
    foreign.language = "fi"
    foreign.save(update_fields=["language"])
    other_page = login(foreign).get(reverse("crisis_help")).content.decode()
    assert "Alueen kriisikeskus" not in other_page and "09 2525 0111" in other_page


def test_leaving_every_line_empty_keeps_the_built_in_lines(personas, login):
    data = _crisis(line_1_name="", line_1_number="", line_1_hours="")
    assert login(personas.supervisor).post(CRISIS_FI, data).status_code == 302
    resources = services.crisis_resources(clinic=personas.clinic, language="fi")
    assert [line.number for line in resources.lines] == ["09 2525 0111"]
    assert resources.clinic_phone == "+358 9 123 4567"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("emergency_number", "call 112", "Enter a phone number"),
        ("emergency_number", "", "This field is required"),
        ("line_1_number", "0401234567; DROP", "Enter a phone number"),
        ("line_1_number", "", "Give the line's phone number"),
        ("line_1_name", "", "Give the line a name"),
        ("clinic_phone", "<script>", "Enter a phone number"),
    ],
)
def test_bad_crisis_input_is_refused_with_a_message(personas, login, field, value, message):
    response = login(personas.supervisor).post(CRISIS_FI, _crisis(**{field: value}))
    assert response.status_code == 200  # the form again, with the message
    assert html.escape(message) in response.content.decode()
    assert not CrisisResourceSet.objects.exists()
    assert not AuditEntry.objects.filter(action="safety.crisis_resources.changed").exists()


def test_an_unknown_language_is_not_found(personas, login):
    response = login(personas.supervisor).get(reverse("safety_crisis_edit", args=["de"]))
    assert response.status_code == 404


def test_saving_the_same_values_twice_changes_nothing_the_second_time(personas, login):
    client = login(personas.supervisor)
    client.post(CRISIS_FI, _crisis())
    client.post(CRISIS_FI, _crisis())
    assert CrisisResourceSet.objects.filter(clinic=personas.clinic).count() == 1
    assert AuditEntry.objects.filter(action="safety.crisis_resources.changed").count() == 1


def test_another_clinic_s_supervisor_changes_only_their_own_clinic(personas, login):
    login(personas.outsider_supervisor).post(CRISIS_FI, _crisis())
    login(personas.outsider_supervisor).post(SETTINGS, _escalation())
    assert not CrisisResourceSet.objects.filter(clinic=personas.clinic).exists()
    assert not EscalationPolicy.objects.filter(clinic=personas.clinic).exists()
    assert CrisisResourceSet.objects.filter(clinic=personas.other_clinic).exists()


def test_the_supervisor_sets_escalation_and_new_alerts_follow_it(personas, login):
    response = login(personas.supervisor).post(SETTINGS, _escalation())
    assert response.status_code == 302
    policy = EscalationPolicy.objects.get(clinic=personas.clinic)
    assert (policy.urgent_hours, policy.review_hours) == (2, 6)
    assert (policy.workday_start, policy.workday_end) == (time(7, 30), time(15, 30))
    entry = AuditEntry.objects.get(action="safety.escalation_policy.changed")
    assert entry.detail["urgent_hours"] == 2 and entry.detail["day"] == ["07:30:00", "15:30:00"]
    # Monday 2031-03-03 08:00 in Helsinki (06:00 UTC): two working hours later, 10:00.
    start = datetime(2031, 3, 3, 6, 0, tzinfo=UTC)
    due = services.due_at(clinic=personas.clinic, tier="urgent", start=start)
    assert due == datetime(2031, 3, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"urgent_hours": "8", "review_hours": "4"}, "no later than review alerts"),
        ({"review_hours": "0"}, "between 1 and 40"),
        ({"urgent_hours": "99"}, "between 1 and 40"),
        ({"urgent_hours": "soon"}, "Enter a whole number"),
        ({"workday_end": "07:00"}, "must end after it starts"),
        ({"holiday_country": "XX"}, "Unknown country code"),
    ],
)
def test_bad_escalation_input_is_refused_with_a_message(personas, login, changes, message):
    response = login(personas.admin).post(SETTINGS, _escalation(**changes))
    assert response.status_code == 200  # the form again, with the message
    assert message in response.content.decode()
    assert not EscalationPolicy.objects.exists()


def test_only_the_clinic_s_supervisors_and_administrators_may_change_them(personas):
    for actor in (personas.therapist, personas.patient.user, personas.outsider_supervisor):
        with pytest.raises(PermissionDenied):
            clinic_settings.save_crisis_resources(
                actor=actor, clinic=personas.clinic, language="fi", emergency_number="112", lines=[]
            )
        with pytest.raises(PermissionDenied):
            clinic_settings.save_escalation_policy(
                actor=actor,
                clinic=personas.clinic,
                urgent_hours=2,
                review_hours=4,
                workday_start=time(8),
                workday_end=time(16),
                holiday_country="FI",
            )
