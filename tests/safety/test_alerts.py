"""raise_alert, routing to the care team, de-duplication and acknowledgement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import CareTeamMember, User
from tandem.audit.models import AuditEntry
from tandem.core.models import Event
from tandem.safety import services
from tandem.safety.models import Alert
from tests.personas import make_patient, make_user

pytestmark = pytest.mark.django_db


def raise_(patient, **kwargs):  # type: ignore[no-untyped-def]
    fields = {"source": "assessment", "tier": "review", "reason": "phq9.item9", **kwargs}
    return services.raise_alert(patient=patient, **fields)


def test_an_alert_goes_to_the_primary_therapist_and_is_audited(personas):
    alert = raise_(personas.patient, actor=personas.patient.user, detail={"items": {"9": 1}})
    assert alert.assigned_to == personas.therapist
    assert alert.escalated_at is None and alert.is_open
    assert alert.clinic_id == personas.clinic.pk
    assert alert.due_at > alert.raised_at
    entry = AuditEntry.objects.get(action="safety.alert.raised")
    assert entry.patient_uuid == personas.patient.uuid and entry.target_uuid == alert.uuid
    event = Event.objects.get(kind="alert.raised")
    assert event.data == {"source": "assessment", "tier": "review", "reason": "phq9.item9"}
    assert event.ref_uuid == alert.uuid


def test_the_detail_is_encrypted_at_rest(personas):
    from django.db import connection

    raise_(personas.patient, detail={"items": {"9": 2}, "canary": "xyzzy-canary"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT detail FROM safety_alert")
        (raw,) = cursor.fetchone()
    assert "xyzzy-canary" not in raw


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", "sms"),
        ("tier", "medium"),
        ("reason", "Patient said something awful"),
        ("reason", "x" * 65),
        ("reason", ""),
    ],
)
def test_bad_arguments_are_refused(personas, field, value):
    with pytest.raises(ValueError):
        raise_(personas.patient, **{field: value})
    assert not Alert.objects.exists()


def test_an_identical_open_alert_is_updated_not_duplicated(personas):
    first = raise_(personas.patient, source="message", reason="message.risk_language")
    again = raise_(
        personas.patient, source="message", reason="message.risk_language", tier="urgent"
    )
    assert again.pk == first.pk and Alert.objects.count() == 1
    again.refresh_from_db()
    assert again.raise_count == 2 and again.tier == "urgent"
    assert again.due_at <= first.due_at  # urgent: the deadline can only come sooner
    # a lower tier never lowers it
    raise_(personas.patient, source="message", reason="message.risk_language", tier="review")
    again.refresh_from_db()
    assert again.tier == "urgent" and again.raise_count == 3
    # another cause is another alert
    raise_(personas.patient, source="checkin", reason="checkin.low_mood")
    assert Alert.objects.count() == 2


def test_after_acknowledgement_the_same_cause_opens_a_new_alert(personas):
    first = raise_(personas.patient)
    services.acknowledge(actor=personas.therapist, alert=first, note="Phoned, safe.")
    second = raise_(personas.patient)
    assert second.pk != first.pk and Alert.objects.count() == 2


def test_raise_alert_joins_the_callers_transaction(personas):
    with pytest.raises(RuntimeError), transaction.atomic():
        raise_(personas.patient)
        raise RuntimeError("the caller failed after raising")
    assert not Alert.objects.exists()
    assert not Event.objects.filter(kind="alert.raised").exists()


def test_an_inactive_primary_therapist_routes_to_cover(personas):
    User.objects.filter(pk=personas.therapist.pk).update(is_active=False)
    alert = raise_(personas.patient)
    # the deactivated cover (Dan) is skipped, the active cover (Cora) gets it
    assert alert.assigned_to == personas.cover


def test_a_removed_primary_therapist_routes_to_cover(personas):
    CareTeamMember.objects.filter(patient=personas.patient, therapist=personas.therapist).update(
        ended_at=timezone.now() - timedelta(minutes=1)
    )
    alert = raise_(personas.patient)
    assert alert.assigned_to == personas.cover


def test_with_nobody_on_the_care_team_the_supervisor_gets_it_at_once(personas):
    patient = make_patient(personas.clinic, name="Nobody's Patient")
    alert = raise_(patient, tier="urgent")
    assert alert.assigned_to is None
    assert alert.escalated_to == personas.supervisor and alert.escalated_at is not None
    assert alert.escalation_reason == "no_care_team"
    assert Event.objects.filter(kind="alert.escalated", ref_uuid=alert.uuid).exists()
    assert AuditEntry.objects.filter(action="safety.alert.escalated").exists()


def test_only_inactive_therapists_count_as_nobody(personas):
    patient = make_patient(personas.clinic, personas.deactivated_therapist, name="Lonely")
    alert = raise_(patient)
    assert alert.escalated_to == personas.supervisor


def test_a_clinic_without_supervisor_keeps_the_alert_visible_and_retries(personas):
    patient = make_patient(personas.other_clinic, name="Far Away")  # no care team
    User.objects.filter(pk=personas.outsider_supervisor.pk).update(is_active=False)
    alert = raise_(patient)
    assert alert.escalated_at is None and alert.unrouted_since is not None
    assert AuditEntry.objects.filter(action="safety.alert.unrouted", outcome="failed").exists()
    supervisor = make_user("supervisor", personas.other_clinic)
    services.escalate_due()
    alert.refresh_from_db()
    assert alert.escalated_to == supervisor and alert.unrouted_since is None


# --- acknowledgement ---------------------------------------------------------------------------


def test_acknowledging_requires_a_note(personas):
    alert = raise_(personas.patient)
    for note in ("", "   ", None):
        with pytest.raises(ValidationError) as info:
            services.acknowledge(actor=personas.therapist, alert=alert, note=note)
        assert "note" in info.value.message_dict
    alert.refresh_from_db()
    assert alert.is_open


def test_acknowledging_records_who_what_and_when(personas):
    alert = raise_(personas.patient)
    services.acknowledge(actor=personas.cover, alert=alert, note="Phoned the patient; safe.")
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.cover and alert.acknowledged_at is not None
    assert alert.acknowledgement_note == "Phoned the patient; safe."
    event = Event.objects.get(kind="alert.acknowledged")
    assert event.actor == personas.cover and "note" not in event.data  # no free text in events
    assert AuditEntry.objects.filter(
        action="safety.alert.acknowledged", actor=personas.cover
    ).exists()


def test_acknowledging_twice_gives_a_clear_message(personas):
    alert = raise_(personas.patient)
    services.acknowledge(actor=personas.therapist, alert=alert, note="Called.")
    stale = Alert.objects.get(pk=alert.pk)
    stale.acknowledged_at = None  # another tab still shows it open
    with pytest.raises(services.AlreadyAcknowledged) as info:
        services.acknowledge(actor=personas.supervisor, alert=stale, note="Me too.")
    assert "already acknowledged by Theo Therapist" in info.value.messages[0]
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.therapist and alert.acknowledgement_note == "Called."
    assert Event.objects.filter(kind="alert.acknowledged").count() == 1


@pytest.mark.parametrize(
    "who",
    [
        "other_therapist",
        "former_therapist",
        "outsider",
        "outsider_supervisor",
        "admin",
        "researcher",
    ],
)
def test_only_the_care_team_or_supervisor_may_acknowledge(personas, who):
    alert = raise_(personas.patient)
    with pytest.raises(PermissionDenied):
        services.acknowledge(actor=personas.all_users()[who], alert=alert, note="Not mine.")
    with pytest.raises(PermissionDenied):
        services.acknowledge(actor=personas.patient.user, alert=alert, note="Not mine.")
    alert.refresh_from_db()
    assert alert.is_open


def test_the_supervisor_may_acknowledge(personas):
    alert = raise_(personas.patient)
    services.acknowledge(actor=personas.supervisor, alert=alert, note="Called the patient.")
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.supervisor


def test_open_alerts_for_a_workspace_are_in_triage_order(personas):
    old_review = raise_(personas.patient, reason="phq9.item9")
    urgent = raise_(
        personas.patient, reason="message.risk_language", source="message", tier="urgent"
    )
    Alert.objects.filter(pk=urgent.pk).update(raised_at=timezone.now())
    Alert.objects.filter(pk=old_review.pk).update(raised_at=timezone.now() - timedelta(days=1))
    raise_(personas.other_patient, tier="urgent")  # not on this therapist's care team
    done = raise_(personas.patient, reason="gad7.reliable_deterioration")
    services.acknowledge(actor=personas.therapist, alert=done, note="Seen.")
    assert list(services.open_alerts_for(personas.therapist)) == [urgent, old_review]
    assert len(services.open_alerts_for(personas.supervisor)) == 3
    assert not services.open_alerts_for(personas.outsider).exists()
    assert not services.open_alerts_for(personas.patient.user).exists()


def test_an_absent_primary_therapist_routes_to_cover(personas):
    from tandem.safety import registry

    def away(user_ids, at):  # type: ignore[no-untyped-def]
        return {personas.therapist.pk} & set(user_ids)

    registry.register_unavailability(away)
    try:
        alert = raise_(personas.patient)
    finally:
        registry.unregister_unavailability(away)
    assert alert.assigned_to == personas.cover


def test_a_failing_availability_check_keeps_the_primary_therapist(personas):
    from tandem.safety import registry

    def broken(user_ids, at):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    registry.register_unavailability(broken)
    try:
        alert = raise_(personas.patient)
    finally:
        registry.unregister_unavailability(broken)
    assert alert.assigned_to == personas.therapist
