"""Nobody sees another team's patients in any list, count or search of the workspace;
another clinic's supervisor sees nothing; reassignment changes access on the next
request. (Roles × URLs for every view are in tests/access_matrix.py.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tandem.audit.models import AuditEntry
from tandem.care import caseload, periodic
from tandem.care.kinds import SignalKind as K
from tandem.care.models import TimeEntry
from tests.care import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):  # type: ignore[no-untyped-def]
    """Signals for the patient, another team's patient and another clinic's patient."""
    for patient in (personas.patient, personas.other_patient, personas.foreign_patient):
        factories.signal(patient, K.ALLIANCE_DIP, key=f"dip-{patient.pk}")
        factories.signal(patient, K.MISSED_QUESTIONNAIRE, key=f"missed-{patient.pk}")
    periodic.run()
    return personas


def names_in(response) -> set[str]:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    return {n for n in ("Pat Patient", "Olga Otherpatient", "Frida Foreign") if n in body}


def test_therapist_sees_only_their_team_in_triage_counts_and_caseload(world, login):
    client = login(world.therapist)
    triage = client.get(reverse("care_triage"))
    assert names_in(triage) == {"Pat Patient"}
    assert triage.context["available"] == 2
    assert {r.patient.pk for r in triage.context["rows"]} == {world.patient.pk}
    for kind in (K.ALLIANCE_DIP, K.MISSED_QUESTIONNAIRE):
        filtered = client.get(reverse("care_triage"), {"kind": kind})
        assert filtered.context["available"] == 1
    listed = client.get(reverse("care_caseload"))
    assert names_in(listed) == {"Pat Patient"}
    assert listed.context["page"].paginator.count == 1
    for q in ("Olga", "Frida", "a"):
        found = client.get(reverse("care_caseload"), {"q": q})
        assert "Olga Otherpatient" not in found.content.decode()
        assert "Frida Foreign" not in found.content.decode()
    for kind in (K.ALLIANCE_DIP, K.MISSED_QUESTIONNAIRE):
        found = client.get(reverse("care_caseload"), {"signal": kind})
        assert found.context["page"].paginator.count == 1


def test_cover_therapist_sees_the_patient_other_therapist_does_not(world, login):
    assert names_in(login(world.cover).get(reverse("care_triage"))) == {"Pat Patient"}
    other = login(world.other_therapist)
    assert names_in(other.get(reverse("care_triage"))) == {"Olga Otherpatient"}
    assert names_in(other.get(reverse("care_caseload"))) == {"Olga Otherpatient"}
    former = login(world.former_therapist)
    assert names_in(former.get(reverse("care_triage"))) == set()
    assert former.get(reverse("care_caseload")).context["page"].paginator.count == 0


def test_supervisors_see_their_clinic_only(world, login):
    mine = login(world.supervisor)
    assert names_in(mine.get(reverse("care_triage"))) == {"Pat Patient", "Olga Otherpatient"}
    assert names_in(mine.get(reverse("care_caseload"))) == {"Pat Patient", "Olga Otherpatient"}
    outsider = login(world.outsider_supervisor)
    for name in ("care_triage", "care_caseload", "care_supervisor"):
        assert "Pat Patient" not in outsider.get(reverse(name)).content.decode()
        assert "Olga Otherpatient" not in outsider.get(reverse(name)).content.decode()
    assert outsider.get(reverse("care_triage")).context["available"] == 2
    response = outsider.get(reverse("care_patient", args=[world.patient.uuid]))
    assert response.status_code == 404


def test_actions_on_a_patient_outside_the_caseload_are_404(world, login):
    from tandem.care.models import Signal

    olga = Signal.objects.get(dedupe_key=f"dip-{world.other_patient.pk}")
    client = login(world.therapist)
    tomorrow = factories.tomorrow()
    for name, data in (
        ("care_signal_snooze", {"until": tomorrow}),
        ("care_signal_resolve", {}),
        ("care_outreach", {"step": "warm_message", "outcome": "pending"}),
    ):
        assert client.post(reverse(name, args=[olga.uuid]), data).status_code == 404
    olga.refresh_from_db()
    assert olga.state == "open"
    assert AuditEntry.objects.filter(action="care.signal.access_denied").count() == 3
    response = client.post(
        reverse("care_time_add", args=[world.other_patient.uuid]),
        {"minutes": "5", "day": factories.yesterday(), "activity": "phone_call"},
    )
    assert response.status_code == 404
    assert not TimeEntry.objects.exists()


def test_reassignment_changes_access_on_the_next_request(world, login):
    theo = login(world.therapist)
    otto = login(world.other_therapist)
    url = reverse("care_patient", args=[world.patient.uuid])
    assert theo.get(url).status_code == 200
    assert otto.get(url).status_code == 404
    response = login(world.supervisor).post(
        reverse("care_reassign"),
        {"patient": [world.patient.uuid], "to": world.other_therapist.uuid},
    )
    assert response.status_code == 302
    assert theo.get(url).status_code == 404
    assert otto.get(url).status_code == 200
    assert names_in(theo.get(reverse("care_triage"))) == set()
    assert names_in(otto.get(reverse("care_triage"))) == {"Pat Patient", "Olga Otherpatient"}
    # the cover therapist keeps access; the row follows the new primary
    assert login(world.cover).get(url).status_code == 200
    from tandem.care.models import CaseloadRow

    assert CaseloadRow.objects.get(patient=world.patient).primary_therapist == world.other_therapist
    entry = AuditEntry.objects.filter(action="care.patient.reassigned").get()
    assert entry.patient_uuid == world.patient.uuid


def test_reassigning_another_clinics_patient_is_404(world, login):
    response = login(world.supervisor).post(
        reverse("care_reassign"),
        {"patient": [world.foreign_patient.uuid], "to": world.other_therapist.uuid},
    )
    assert response.status_code == 404
    response = login(world.supervisor).post(
        reverse("care_reassign"),
        {"patient": [world.patient.uuid], "to": world.outsider.uuid},
    )
    assert response.status_code == 302  # refused with a message: not a therapist of the clinic
    caseload.refresh_row(world.patient.pk)
    from tandem.care.models import CaseloadRow

    assert CaseloadRow.objects.get(patient=world.patient).primary_therapist == world.therapist
