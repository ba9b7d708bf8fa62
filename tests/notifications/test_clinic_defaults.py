"""The clinic's reminder defaults: set by its supervisors and administrators, followed by
every patient who has not chosen, never over a patient's own choice; audited; bad input
answered with a message."""

from __future__ import annotations

import html
from datetime import time

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tandem.audit.models import AuditEntry
from tandem.notifications import services
from tandem.notifications.jobs import quiet_window, switched_on
from tandem.notifications.models import ClinicReminderDefaults, NotificationPreferences, Reason

pytestmark = pytest.mark.django_db

URL = reverse("notifications_clinic_defaults")
FORM = {
    "quiet_start": "22:00",
    "quiet_end": "07:30",
    "check_in_after_days": "10",
    "check_in_stop_after_days": "42",
    "remind_module_open": "on",
    "remind_questionnaire_due": "on",
    "remind_homework_due": "on",
    "remind_appointment": "on",
    "remind_check_in": "on",
    # remind_new_message left out: off
}


def test_a_supervisor_sets_the_defaults_that_patients_follow(personas, login):
    client = login(personas.supervisor)
    page = client.get(URL).content.decode()
    assert 'name="remind_new_message"' in page and "checked" in page  # on until changed
    assert client.post(URL, FORM).status_code == 302
    defaults = ClinicReminderDefaults.objects.get(clinic=personas.clinic)
    assert defaults.remind_new_message is False and defaults.remind_check_in is True
    assert (defaults.check_in_after_days, defaults.check_in_stop_after_days) == (10, 42)
    assert quiet_window(None, defaults) == (time(22, 0), time(7, 30))
    entry = AuditEntry.objects.get(action="notifications.clinic_defaults.changed")
    assert entry.actor_id == personas.supervisor.pk

    # A patient who has not chosen starts from the clinic's defaults …
    patient_page = login(personas.patient.user).get(reverse("notification_preferences"))
    form = patient_page.context["form"]
    assert form.fields["remind_new_message"].initial is False
    assert form.initial["quiet_start"] == time(22, 0)
    # … and one who has chosen keeps the choice.
    prefs = NotificationPreferences.objects.create(
        user=personas.other_patient.user, remind_new_message=True
    )
    assert switched_on(prefs, defaults, Reason.NEW_MESSAGE) is True
    assert switched_on(None, defaults, Reason.NEW_MESSAGE) is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quiet_end": "22:00"}, "Quiet hours must end at a different time"),
        ({"quiet_start": "late"}, "Enter a valid time"),
        ({"check_in_after_days": "0"}, "Choose between 1 and 60 days"),
        ({"check_in_stop_after_days": "1000"}, "Choose between 7 and 365 days"),
        ({"check_in_stop_after_days": "9"}, "Stop inviting later than the first invitation"),
        ({"check_in_after_days": "-3"}, "greater than or equal to 0"),
    ],
)
def test_bad_defaults_are_refused_with_a_message(personas, login, changes, message):
    response = login(personas.admin).post(URL, FORM | changes)
    assert response.status_code == 200
    assert html.escape(message) in response.content.decode()
    assert not ClinicReminderDefaults.objects.exists()


def test_saving_twice_records_one_change(personas, login):
    client = login(personas.admin)
    client.post(URL, FORM)
    client.post(URL, FORM)
    assert ClinicReminderDefaults.objects.count() == 1
    assert AuditEntry.objects.filter(action="notifications.clinic_defaults.changed").count() == 1


def test_another_clinic_s_supervisor_sets_only_their_own(personas, login):
    login(personas.outsider_supervisor).post(URL, FORM)
    assert not ClinicReminderDefaults.objects.filter(clinic=personas.clinic).exists()
    assert ClinicReminderDefaults.objects.filter(clinic=personas.other_clinic).exists()


def test_only_supervisors_and_administrators_of_the_clinic(personas):
    for actor in (personas.therapist, personas.patient.user, personas.outsider_supervisor):
        with pytest.raises(PermissionDenied):
            services.save_clinic_defaults(
                actor=actor, clinic=personas.clinic, values={"check_in_after_days": 5}
            )
    with pytest.raises(ValueError, match="not a reminder default"):
        services.save_clinic_defaults(
            actor=personas.admin, clinic=personas.clinic, values={"clinic": None}
        )
