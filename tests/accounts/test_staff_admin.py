"""Admins manage the staff of their own clinic — invite, change role, deactivate — and see
no clinical content. Every change is audited and applies from the next request."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from tandem.accounts import services
from tandem.accounts.models import CareTeamMember, Invitation, Role, User
from tandem.audit.models import AuditEntry
from tests.accounts.flows import is_signed_in, sign_in

pytestmark = pytest.mark.django_db


def staff_url(user):
    return reverse("staff_detail", args=[user.uuid])


def test_staff_list_shows_own_clinic_staff_only(personas, login):
    page = login(personas.admin).get(reverse("staff_list")).content.decode()
    for user in (personas.therapist, personas.supervisor, personas.researcher):
        assert user.full_name in page
    for user in (personas.outsider, personas.outsider_supervisor, personas.patient.user):
        assert user.full_name not in page


@pytest.mark.parametrize(
    "who", ["therapist", "supervisor", "researcher", "patient", "outsider_supervisor"]
)
def test_staff_pages_are_for_admins(personas, login, who):
    client = login(personas.all_users()[who])
    assert client.get(reverse("staff_list")).status_code == 404
    assert client.get(reverse("invite_staff")).status_code == 404
    assert client.get(staff_url(personas.researcher)).status_code == 404
    assert client.post(staff_url(personas.researcher), {"role": "admin"}).status_code == 404
    personas.researcher.refresh_from_db()
    assert personas.researcher.role == Role.RESEARCHER


def test_admin_sees_no_clinical_data(personas, login):
    client = login(personas.admin)
    assert client.get(reverse("patient_list")).status_code == 404
    assert client.get(reverse("patient_detail", args=[personas.patient.uuid])).status_code == 404
    assert client.get(staff_url(personas.patient.user)).status_code == 404


def test_admin_invites_staff(personas, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(personas.admin).post(
            reverse("invite_staff"),
            {"full_name": "Sam Staff", "email": "sam@test.example", "role": "therapist"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.role == Role.THERAPIST and invitation.clinic == personas.clinic
    assert AuditEntry.objects.filter(
        action="accounts.invitation.sent", actor=personas.admin
    ).exists()


def test_staff_invitation_cannot_be_for_a_patient(personas, login):
    response = login(personas.admin).post(
        reverse("invite_staff"),
        {"full_name": "Pat", "email": "pat@test.example", "role": "patient"},
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_admin_changes_a_role(personas, login):
    client = login(personas.admin)
    response = client.post(staff_url(personas.researcher), {"role": "supervisor"})
    assert response.status_code == 302
    personas.researcher.refresh_from_db()
    assert personas.researcher.role == Role.SUPERVISOR
    entry = AuditEntry.objects.get(action="accounts.user.role_changed")
    assert entry.actor == personas.admin
    assert entry.target_uuid == personas.researcher.uuid
    assert entry.detail == {"from": "researcher", "to": "supervisor"}


def test_role_change_applies_to_the_users_next_request(personas, login):
    researcher = login(personas.researcher)
    assert researcher.get(reverse("patient_list")).status_code == 404
    login(personas.admin).post(staff_url(personas.researcher), {"role": "supervisor"})
    assert researcher.get(reverse("patient_list")).status_code == 200


def test_therapist_leaving_the_role_leaves_care_teams(personas):
    services.change_role(actor=personas.admin, user=personas.cover, role=Role.SUPERVISOR)
    assert not CareTeamMember.objects.active().filter(therapist=personas.cover).exists()
    # Supervisors see the clinic anyway; the point is the care-team record is closed.
    assert CareTeamMember.objects.filter(therapist=personas.cover).exists()


def test_role_change_rules(personas):
    p = personas
    with pytest.raises(PermissionDenied):  # not their own role
        services.change_role(actor=p.admin, user=p.admin, role=Role.THERAPIST)
    with pytest.raises(PermissionDenied):  # not another clinic's staff
        services.change_role(actor=p.admin, user=p.outsider, role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):  # only admins
        services.change_role(actor=p.supervisor, user=p.therapist, role=Role.ADMIN)
    with pytest.raises(ValidationError):  # staff roles only
        services.change_role(actor=p.admin, user=p.therapist, role=Role.PATIENT)
    with pytest.raises(ValidationError):
        services.change_role(actor=p.admin, user=p.therapist, role="superuser")
    with pytest.raises(ValidationError):  # patients never become staff
        services.change_role(actor=p.admin, user=p.patient.user, role=Role.THERAPIST)
    p.therapist.refresh_from_db()
    assert p.therapist.role == Role.THERAPIST
    assert not AuditEntry.objects.filter(action="accounts.user.role_changed").exists()


def test_admin_cannot_change_their_own_account_through_the_page(personas, login):
    client = login(personas.admin)
    response = client.post(staff_url(personas.admin), {"role": "therapist"})
    assert response.status_code == 200
    assert "You cannot change your own account here." in response.content.decode()
    response = client.post(staff_url(personas.admin), {"deactivate": "1"})
    personas.admin.refresh_from_db()
    assert personas.admin.role == Role.ADMIN and personas.admin.is_active


def test_other_clinics_staff_are_404(personas, login):
    client = login(personas.admin)
    assert client.get(staff_url(personas.outsider)).status_code == 404
    assert client.post(staff_url(personas.outsider), {"deactivate": "1"}).status_code == 404
    personas.outsider.refresh_from_db()
    assert personas.outsider.is_active


def test_deactivation_signs_out_and_blocks_sign_in(personas, login):
    victim = Client()
    sign_in(victim, personas.supervisor)
    assert is_signed_in(victim)
    response = login(personas.admin).post(staff_url(personas.supervisor), {"deactivate": "1"})
    assert response.status_code == 302
    user = User.objects.get(pk=personas.supervisor.pk)
    assert not user.is_active and user.deactivated_at is not None
    assert AuditEntry.objects.filter(action="accounts.user.deactivated").exists()
    assert victim.get(reverse("patient_list")).status_code == 302
    assert not is_signed_in(victim)
    again = Client()
    sign_in(again, personas.supervisor)
    assert not is_signed_in(again)

    login(personas.admin).post(staff_url(personas.supervisor), {"activate": "1"})
    user.refresh_from_db()
    assert user.is_active and user.deactivated_at is None


def test_admins_do_not_deactivate_patients(personas):
    with pytest.raises(PermissionDenied):
        services.set_active(actor=personas.admin, user=personas.patient.user, active=False)
    with pytest.raises(PermissionDenied):
        services.set_active(actor=personas.supervisor, user=personas.therapist, active=False)
