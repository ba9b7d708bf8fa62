"""The one path to patient data: ``Patient.objects.for_user`` and the views built on it.

Care-team membership counts between its start and end; break-glass for 60 minutes;
supervisors see their own clinic; admins and researchers see no patient; anything else
is 404. Removal from the care team and a role change take effect on the next request.
"""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tandem.accounts import services
from tandem.accounts.models import BreakGlassGrant, CareTeamMember, Patient, Role, User
from tandem.audit.models import AuditEntry
from tests.personas import make_patient, make_user

pytestmark = pytest.mark.django_db

START = "2031-04-01 10:00:00+00:00"


def visible(user, **kwargs) -> set:
    return set(Patient.objects.for_user(user, **kwargs).values_list("pk", flat=True))


def detail(patient) -> str:
    return reverse("patient_detail", args=[patient.uuid])


# --- for_user --------------------------------------------------------------------------------


def test_therapists_see_their_care_team_patients_only(personas):
    p = personas
    assert visible(p.therapist) == {p.patient.pk}
    assert visible(p.cover) == {p.patient.pk}
    assert visible(p.other_therapist) == {p.other_patient.pk}
    assert visible(p.outsider) == {p.foreign_patient.pk}


def test_former_and_deactivated_members_see_nothing(personas):
    assert visible(personas.former_therapist) == set()
    assert visible(personas.deactivated_therapist) == set()


def test_patients_see_only_themselves(personas):
    assert visible(personas.patient.user) == {personas.patient.pk}
    User.objects.filter(pk=personas.patient.user.pk).update(is_active=False)
    personas.patient.user.refresh_from_db()
    assert visible(personas.patient.user) == set()


def test_supervisors_see_their_own_clinic(personas):
    p = personas
    assert visible(p.supervisor) == {p.patient.pk, p.other_patient.pk}
    assert visible(p.outsider_supervisor) == {p.foreign_patient.pk}


@pytest.mark.parametrize("who", ["admin", "researcher"])
def test_admins_and_researchers_see_no_patient(personas, who):
    assert visible(getattr(personas, who)) == set()


def test_anonymous_sees_nothing(personas):
    assert visible(AnonymousUser()) == set()


def test_membership_counts_only_between_start_and_end(personas):
    p = personas
    with time_machine.travel(START, tick=False) as traveller:
        now = timezone.now()
        member = CareTeamMember.objects.create(
            patient=p.other_patient,
            therapist=p.cover,
            team_role="cover",
            started_at=now + timedelta(hours=1),
            ended_at=now + timedelta(hours=3),
        )
        assert p.other_patient.pk not in visible(p.cover)
        traveller.shift(timedelta(hours=1))
        assert p.other_patient.pk in visible(p.cover)
        traveller.shift(timedelta(hours=2) - timedelta(seconds=1))
        assert p.other_patient.pk in visible(p.cover)
        traveller.shift(timedelta(seconds=1))
        assert p.other_patient.pk not in visible(p.cover)
        # ``at`` asks the same question for another moment.
        assert p.other_patient.pk in visible(p.cover, at=member.started_at)


def test_membership_across_clinics_grants_nothing(personas):
    # A care-team row pointing at another clinic's patient (bad data) opens nothing.
    CareTeamMember.objects.create(
        patient=personas.foreign_patient, therapist=personas.therapist, team_role="cover"
    )
    assert personas.foreign_patient.pk not in visible(personas.therapist)


def test_break_glass_opens_one_patient_for_60_minutes(personas):
    p = personas
    with time_machine.travel(START, tick=False) as traveller:
        services.break_glass(
            actor=p.therapist, patient=p.other_patient, reason="urgent alert while the team is away"
        )
        assert visible(p.therapist) == {p.patient.pk, p.other_patient.pk}
        traveller.shift(timedelta(minutes=59, seconds=59))
        assert p.other_patient.pk in visible(p.therapist)
        traveller.shift(timedelta(seconds=1))
        assert visible(p.therapist) == {p.patient.pk}


def test_an_ended_grant_opens_nothing(personas):
    grant = services.break_glass(
        actor=personas.therapist,
        patient=personas.other_patient,
        reason="urgent alert while the team is away",
    )
    BreakGlassGrant.objects.filter(pk=grant.pk).update(ended_at=timezone.now())
    assert personas.other_patient.pk not in visible(personas.therapist)


def test_a_grant_of_a_former_therapist_role_opens_nothing(personas):
    services.break_glass(
        actor=personas.therapist,
        patient=personas.other_patient,
        reason="urgent alert while the team is away",
    )
    services.change_role(actor=personas.admin, user=personas.therapist, role=Role.RESEARCHER)
    personas.therapist.refresh_from_db()
    assert visible(personas.therapist) == set()


# --- the patient page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("therapist", 200),
        ("cover", 200),
        ("supervisor", 200),
        ("other_therapist", 404),
        ("former_therapist", 404),
        ("outsider", 404),
        ("outsider_supervisor", 404),
        ("admin", 404),
        ("researcher", 404),
        ("patient", 404),
        ("other_patient", 404),
    ],
)
def test_patient_page_answers(personas, login, who, status):
    response = login(personas.all_users()[who]).get(detail(personas.patient))
    assert response.status_code == status


def test_forbidden_and_missing_patients_look_the_same(personas, login):
    client = login(personas.other_therapist)
    forbidden = client.get(detail(personas.patient))
    missing = client.get(reverse("patient_detail", args=[uuid.uuid4()]))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    assert personas.patient.name.encode() not in forbidden.content


def test_denials_are_audited(personas, login):
    login(personas.outsider).get(detail(personas.patient))
    entry = AuditEntry.objects.filter(action="accounts.patient.access_denied").latest("id")
    assert entry.actor == personas.outsider
    assert entry.outcome == "denied"
    assert entry.detail["patient_uuid"] == str(personas.patient.uuid)


def test_removal_from_care_team_cuts_access_on_the_next_request(personas, login):
    therapist = login(personas.cover)
    assert therapist.get(detail(personas.patient)).status_code == 200
    member = CareTeamMember.objects.active().get(patient=personas.patient, therapist=personas.cover)
    response = login(personas.supervisor).post(
        reverse("care_team_end", args=[personas.patient.uuid, member.uuid])
    )
    assert response.status_code == 302
    assert therapist.get(detail(personas.patient)).status_code == 404
    assert personas.patient.name not in therapist.get(reverse("patient_list")).content.decode()
    removed = AuditEntry.objects.get(action="accounts.care_team.removed")
    assert removed.actor == personas.supervisor and removed.patient_uuid == personas.patient.uuid


def test_adding_to_care_team_opens_access_on_the_next_request(personas, login):
    client = login(personas.other_therapist)
    assert client.get(detail(personas.patient)).status_code == 404
    response = login(personas.supervisor).post(
        reverse("care_team_add", args=[personas.patient.uuid]),
        {"therapist": personas.other_therapist.uuid, "team_role": "cover"},
    )
    assert response.status_code == 302
    assert client.get(detail(personas.patient)).status_code == 200


def test_care_team_rules_in_the_service(personas):
    p = personas
    with pytest.raises(PermissionDenied):  # only supervisors
        services.add_to_care_team(
            actor=p.therapist, patient=p.patient, therapist=p.other_therapist, team_role="cover"
        )
    with pytest.raises(PermissionDenied):  # of the patient's clinic
        services.add_to_care_team(
            actor=p.outsider_supervisor,
            patient=p.patient,
            therapist=p.other_therapist,
            team_role="cover",
        )
    with pytest.raises(ValidationError):  # therapists of the patient's clinic only
        services.add_to_care_team(
            actor=p.supervisor, patient=p.patient, therapist=p.outsider, team_role="cover"
        )
    with pytest.raises(ValidationError):  # not a deactivated one
        services.add_to_care_team(
            actor=p.supervisor,
            patient=p.patient,
            therapist=p.deactivated_therapist,
            team_role="cover",
        )
    with pytest.raises(ValidationError):  # not twice
        services.add_to_care_team(
            actor=p.supervisor, patient=p.patient, therapist=p.therapist, team_role="cover"
        )
    member = CareTeamMember.objects.active().get(patient=p.patient, therapist=p.cover)
    with pytest.raises(PermissionDenied):
        services.end_care_team_membership(actor=p.outsider_supervisor, member=member)


def test_swapped_ids_in_care_team_urls_are_404(personas, login):
    p = personas
    foreign_member = CareTeamMember.objects.get(patient=p.foreign_patient)
    other_member = CareTeamMember.objects.get(patient=p.other_patient)
    supervisor = login(p.supervisor)
    # A membership of another patient under this patient's URL …
    response = supervisor.post(reverse("care_team_end", args=[p.patient.uuid, other_member.uuid]))
    assert response.status_code == 404
    # … a patient of another clinic …
    response = supervisor.post(
        reverse("care_team_end", args=[p.foreign_patient.uuid, foreign_member.uuid])
    )
    assert response.status_code == 404
    # … a therapist of another clinic in the body.
    response = supervisor.post(
        reverse("care_team_add", args=[p.patient.uuid]),
        {"therapist": p.outsider.uuid, "team_role": "cover"},
    )
    assert response.status_code == 302
    assert not CareTeamMember.objects.filter(patient=p.patient, therapist=p.outsider).exists()
    assert CareTeamMember.objects.filter(pk=other_member.pk, ended_at=None).exists()
    assert CareTeamMember.objects.filter(pk=foreign_member.pk, ended_at=None).exists()


def test_role_change_takes_effect_on_the_next_request(personas, login):
    client = login(personas.supervisor)
    assert client.get(detail(personas.other_patient)).status_code == 200
    services.change_role(actor=personas.admin, user=personas.supervisor, role=Role.THERAPIST)
    assert client.get(detail(personas.other_patient)).status_code == 404
    assert client.get(reverse("break_glass_reviews")).status_code == 404

    therapist = login(personas.therapist)
    assert therapist.get(detail(personas.patient)).status_code == 200
    services.change_role(actor=personas.admin, user=personas.therapist, role=Role.RESEARCHER)
    assert therapist.get(detail(personas.patient)).status_code == 404
    assert therapist.get(reverse("patient_list")).status_code == 404
    # Leaving the therapist role ends their care-team memberships for good.
    assert not CareTeamMember.objects.active().filter(therapist=personas.therapist).exists()


# --- lists, search and counts ----------------------------------------------------------------


def _names(response) -> str:
    """The patient table of the list page (the search box echoes the query)."""
    html = response.content.decode()
    start = html.index('id="patients"')
    return html[start : html.index("</table>", start)]


def test_therapist_list_shows_only_care_team_patients(personas, login):
    page = _names(login(personas.therapist).get(reverse("patient_list")))
    assert personas.patient.name in page
    assert personas.other_patient.name not in page
    assert personas.foreign_patient.name not in page


def test_supervisor_list_shows_only_their_clinic(personas, login):
    page = _names(login(personas.supervisor).get(reverse("patient_list")))
    assert personas.patient.name in page and personas.other_patient.name in page
    assert personas.foreign_patient.name not in page
    foreign = _names(login(personas.outsider_supervisor).get(reverse("patient_list")))
    assert personas.foreign_patient.name in foreign and personas.patient.name not in foreign


@pytest.mark.parametrize("who", ["therapist", "supervisor", "outsider"])
def test_search_does_not_leak_other_patients(personas, login, who):
    client = login(getattr(personas, who))
    forbidden = {
        "therapist": [personas.other_patient, personas.foreign_patient],
        "supervisor": [personas.foreign_patient],
        "outsider": [personas.patient, personas.other_patient],
    }[who]
    for patient in forbidden:
        for q in (patient.name, patient.name.split()[0], patient.user.email):
            response = client.get(reverse("patient_list"), {"q": q})
            assert response.status_code == 200
            assert patient.name not in _names(response)
            assert "No patient matches your search." in _names(response)


def test_counts_and_pages_do_not_leak(personas, login):
    for n in range(55):
        make_patient(personas.clinic, personas.other_therapist, name=f"Hidden Person {n:02d}")
    client = login(personas.therapist)
    response = client.get(reverse("patient_list"))
    assert "Page 1 of" not in response.content.decode()
    assert response.context["page"].paginator.count == 1
    entry = AuditEntry.objects.filter(action="accounts.patient.listed").latest("id")
    assert entry.detail["count"] == 1
    beyond = client.get(reverse("patient_list"), {"page": 2})
    assert beyond.status_code == 200
    assert "Hidden Person" not in beyond.content.decode()
    # The supervisor sees them all, 50 a page.
    supervisor = login(personas.supervisor)
    assert supervisor.get(reverse("patient_list")).context["page"].paginator.count == 57


def test_query_string_and_body_ids_do_not_open_patients(personas, login):
    client = login(personas.other_therapist)
    response = client.get(reverse("break_glass"), {"patient": personas.foreign_patient.uuid})
    assert response.status_code == 200
    assert personas.foreign_patient.name not in response.content.decode()
    response = client.get(reverse("patient_list"), {"patient": personas.patient.uuid})
    assert personas.patient.name not in _names(response)


@pytest.mark.parametrize("bad", ["not-a-uuid", "1", "../../etc/passwd"])
def test_malformed_ids_are_404_not_500(personas, login, bad):
    client = login(personas.supervisor)
    assert client.get(f"/patients/{bad}/").status_code == 404


def test_anonymous_users_are_sent_to_sign_in(personas):
    response = Client().get(detail(personas.patient))
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_a_deactivated_supervisor_sees_nothing(personas):
    user = make_user(Role.SUPERVISOR, personas.clinic, active=False)
    assert visible(user) == set()
