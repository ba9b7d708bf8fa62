"""Enrolling, status, tailoring and the pace agreement: who may, what is checked, and the
audit entries, events and counters each change leaves behind."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tandem.audit.models import AuditEntry
from tandem.core.models import Event
from tandem.programs import services
from tandem.programs.models import Enrollment
from tests.programs.engine import EXTRAS, T0, enroll, fresh, load, states

DAY = timedelta(days=1)
pytestmark = pytest.mark.django_db


# --- enroll --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["therapist", "cover"])
def test_the_care_team_enrolls(personas, who):
    enrollment = enroll(personas, actor=getattr(personas, who))
    assert enrollment.status == "active"
    assert enrollment.pace_per_week == Decimal(1)
    event = Event.objects.get(kind="enrollment.created")
    assert event.patient == personas.patient
    assert event.ref_uuid == enrollment.uuid
    assert event.data["pacing_policy"] == "weekly"
    assert AuditEntry.objects.filter(
        action="programs.enrollment.created", patient_uuid=personas.patient.uuid
    ).exists()


@pytest.mark.parametrize(
    "who", ["other_therapist", "former_therapist", "supervisor", "admin", "researcher", "outsider"]
)
def test_nobody_else_enrolls(personas, who):
    with pytest.raises(PermissionDenied):
        enroll(personas, actor=personas.all_users()[who])
    with pytest.raises(PermissionDenied):
        enroll(personas, actor=personas.patient.user)
    assert not Enrollment.objects.exists()


def test_one_ongoing_enrollment_per_program_but_several_programs(personas):
    first = enroll(personas)
    with pytest.raises(ValidationError) as error:
        enroll(personas)
    assert "already enrolled" in str(error.value)
    enroll(personas, version=load(EXTRAS))  # another program at the same time is fine
    services.set_status(actor=personas.therapist, enrollment=first, status="paused")
    with pytest.raises(ValidationError):
        enroll(personas)  # paused is still ongoing
    services.set_status(
        actor=personas.therapist,
        enrollment=fresh(first),
        status="discontinued",
        reason="Chose a group programme instead.",
    )
    assert enroll(personas).pk != first.pk
    assert personas.patient.enrollments.count() == 3


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"guidance_mode": "telepathic"}, "guidance_mode"),
        ({"pacing_policy": "monthly"}, "pacing_policy"),
        ({"interval_days": 0}, "interval_days"),
        ({"interval_days": 400}, "interval_days"),
        ({"pace_min_per_week": "3", "pace_max_per_week": "1"}, "pace_max_per_week"),
        ({"pace_max_per_week": "0.7"}, "pace_max_per_week"),
        ({"pace_max_per_week": "nan"}, "pace_max_per_week"),
        ({"pace_max_per_week": "twelve"}, "pace_max_per_week"),
    ],
)
def test_enroll_rejects_bad_settings(personas, options, field):
    with pytest.raises(ValidationError) as error:
        enroll(personas, **options)
    assert field in error.value.error_dict


def test_only_a_current_version_is_offered(personas, tmp_path):
    from tests.programs.engine import copy_package

    old = load()
    package = copy_package(tmp_path)
    (package / "modules/02-activity/pages/main.en.md").write_text("## Changed\n")
    load(package)
    with pytest.raises(ValidationError):
        enroll(personas, version=old)


def test_enroll_view(personas, login):
    version = load()
    client = login(personas.therapist)
    url = reverse("enrollment_create", args=[personas.patient.uuid])
    page = client.get(url)
    assert page.status_code == 200
    assert "Steps (1.0.0)" in page.content.decode()
    response = client.post(
        url,
        {
            "version": version.uuid,
            "guidance_mode": "blended",
            "pacing_policy": "sequential",
            "interval_days": 7,
            "pace_min_per_week": "0.5",
            "pace_max_per_week": "2.0",
        },
    )
    enrollment = Enrollment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollment_detail", args=[enrollment.uuid])
    assert (enrollment.guidance_mode, enrollment.pacing_policy) == ("blended", "sequential")
    again = client.post(
        url,
        {
            "version": version.uuid,
            "guidance_mode": "guided",
            "pacing_policy": "weekly",
            "interval_days": 7,
            "pace_min_per_week": "0.5",
            "pace_max_per_week": "2.0",
        },
    )
    assert again.status_code == 200
    assert "already enrolled" in again.content.decode()


def test_enroll_view_shows_field_errors(personas, login):
    version = load()
    response = login(personas.therapist).post(
        reverse("enrollment_create", args=[personas.patient.uuid]),
        {
            "version": version.uuid,
            "guidance_mode": "guided",
            "pacing_policy": "weekly",
            "interval_days": 99,
            "pace_min_per_week": "3.0",
            "pace_max_per_week": "1.0",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "interval_days" in form.errors
    assert "pace_max_per_week" in form.errors
    assert not Enrollment.objects.exists()


def test_patient_detail_lists_enrollments(personas, login):
    enrollment = enroll(personas)
    page = login(personas.therapist).get(reverse("patient_detail", args=[personas.patient.uuid]))
    html = page.content.decode()
    assert reverse("enrollment_detail", args=[enrollment.uuid]) in html
    assert reverse("enrollment_create", args=[personas.patient.uuid]) in html
    supervisor = login(personas.supervisor).get(
        reverse("patient_detail", args=[personas.patient.uuid])
    )
    assert reverse("enrollment_create", args=[personas.patient.uuid]) not in (
        supervisor.content.decode()
    )


# --- status --------------------------------------------------------------------------------------


def test_discontinuing_needs_a_reason_kept_out_of_events(personas):
    enrollment = enroll(personas)
    with pytest.raises(ValidationError) as error:
        services.set_status(
            actor=personas.therapist, enrollment=enrollment, status="discontinued", reason="  "
        )
    assert "reason" in error.value.error_dict
    services.set_status(
        actor=personas.therapist,
        enrollment=fresh(enrollment),
        status="discontinued",
        reason="Private reason text",
    )
    enrollment = fresh(enrollment)
    assert enrollment.status == "discontinued"
    assert enrollment.ended_at is not None
    assert enrollment.status_reason == "Private reason text"
    event = Event.objects.get(kind="enrollment.status_changed")
    assert event.data["from"] == "active"
    assert event.data["to"] == "discontinued"
    assert "Private" not in str(event.data)


def test_ended_enrollments_stay_ended_and_repeats_change_nothing(personas):
    enrollment = enroll(personas)
    services.set_status(actor=personas.therapist, enrollment=enrollment, status="completed")
    services.set_status(actor=personas.therapist, enrollment=fresh(enrollment), status="completed")
    assert Event.objects.filter(kind="enrollment.status_changed").count() == 1
    with pytest.raises(ValidationError):
        services.set_status(actor=personas.therapist, enrollment=fresh(enrollment), status="active")
    with pytest.raises(ValidationError):
        services.set_status(actor=personas.therapist, enrollment=fresh(enrollment), status="bogus")


def test_only_the_care_team_changes_status(personas):
    enrollment = enroll(personas)
    for user in (personas.supervisor, personas.other_therapist, personas.patient.user):
        with pytest.raises(PermissionDenied):
            services.set_status(actor=user, enrollment=enrollment, status="paused")


def test_status_view(personas, login):
    enrollment = enroll(personas)
    client = login(personas.therapist)
    url = reverse("enrollment_status", args=[enrollment.uuid])
    client.post(url, {"status": "discontinued", "reason": ""})
    assert fresh(enrollment).status == "active"
    response = client.post(url, {"status": "paused"}, follow=True)
    assert fresh(enrollment).status == "paused"
    assert "Status changed to paused" in response.content.decode()


# --- tailoring -----------------------------------------------------------------------------------


def test_tailoring_views(personas, login):
    extras = load(EXTRAS)
    enrollment = enroll(personas)
    client = login(personas.cover)
    module_url = reverse("enrollment_module", args=[enrollment.uuid, "activity"])
    assert client.post(module_url, {"action": "hide"}).status_code == 302
    assert fresh(enrollment).hidden_modules == ["activity"]
    client.post(module_url, {"action": "hide"})  # twice: still once
    assert fresh(enrollment).hidden_modules == ["activity"]
    assert Event.objects.filter(kind="enrollment.tailored").count() == 1
    detail = client.get(reverse("enrollment_detail", args=[enrollment.uuid])).content.decode()
    assert "Hidden from the patient" in detail
    client.post(module_url, {"action": "show"})
    assert fresh(enrollment).hidden_modules == []
    client.post(
        reverse("enrollment_module", args=[enrollment.uuid, "thoughts"]), {"action": "unlock"}
    )
    assert states(enrollment, T0)["thoughts"] == "open"
    client.post(
        reverse("enrollment_add_module", args=[enrollment.uuid]), {"module": f"{extras.uuid}:sleep"}
    )
    assert fresh(enrollment).extra_modules == [{"version": str(extras.uuid), "module": "sleep"}]
    assert "extras.sleep" in states(enrollment, T0)
    # Unknown modules and actions are 404, never 500.
    assert (
        client.post(
            reverse("enrollment_module", args=[enrollment.uuid, "nope"]), {"action": "hide"}
        ).status_code
        == 404
    )
    assert client.post(module_url, {"action": "delete"}).status_code == 404


def test_add_module_refuses_own_program_and_unknown_modules(personas):
    version = load()
    extras = load(EXTRAS)
    enrollment = enroll(personas, version=version)
    with pytest.raises(ValidationError):
        services.add_module(
            actor=personas.therapist, enrollment=enrollment, version=version, module_id="intro"
        )
    with pytest.raises(ValidationError):
        services.add_module(
            actor=personas.therapist, enrollment=enrollment, version=extras, module_id="nope"
        )
    services.add_module(
        actor=personas.therapist, enrollment=enrollment, version=extras, module_id="sleep"
    )
    services.add_module(
        actor=personas.therapist, enrollment=fresh(enrollment), version=extras, module_id="sleep"
    )
    assert len(fresh(enrollment).extra_modules) == 1


def test_feedback_view_opens_the_next_module_under_after_feedback(personas, login):
    enrollment = enroll(personas, pacing_policy="after_feedback")
    with time_machine.travel(T0 + DAY, tick=False):
        services.complete_module(
            actor=personas.patient.user, enrollment=fresh(enrollment), module_key="intro"
        )
        client = login(personas.therapist)
        detail = client.get(reverse("enrollment_detail", args=[enrollment.uuid]))
        assert "Feedback given" in detail.content.decode()
        client.post(
            reverse("enrollment_module", args=[enrollment.uuid, "intro"]), {"action": "feedback"}
        )
        assert states(enrollment, T0 + DAY)["activity"] == "open"


def test_supervisor_sees_but_does_not_tailor(personas, login):
    enrollment = enroll(personas)
    client = login(personas.supervisor)
    page = client.get(reverse("enrollment_detail", args=[enrollment.uuid]))
    assert page.status_code == 200
    assert reverse("enrollment_status", args=[enrollment.uuid]) not in page.content.decode()
    response = client.post(
        reverse("enrollment_module", args=[enrollment.uuid, "intro"]), {"action": "hide"}
    )
    assert response.status_code == 404
    assert fresh(enrollment).hidden_modules == []
    assert AuditEntry.objects.filter(
        action="programs.enrollment.viewed", actor=personas.supervisor
    ).exists()


# --- pace agreement ------------------------------------------------------------------------------


def test_pace_within_bounds_is_saved_with_an_event(personas):
    enrollment = enroll(personas, pacing_policy="sequential", pace_max_per_week="3")
    services.agree_pace(
        actor=personas.patient.user,
        enrollment=enrollment,
        per_week="2.5",
        optional_order=["bonus", "extra"],
    )
    enrollment = fresh(enrollment)
    assert enrollment.pace_per_week == Decimal("2.5")
    assert enrollment.pace_agreed_at is not None
    assert Event.objects.get(kind="enrollment.pace_agreed").data["per_week"] == "2.5"
    # The optional modules take their positions in the chosen order.
    assert [s.key for s in services.slots(enrollment)] == [
        "intro",
        "activity",
        "bonus",
        "thoughts",
        "extra",
    ]


@pytest.mark.parametrize("pace", ["0", "2.5", "7", "-1", "1.25", "abc"])
def test_pace_outside_bounds_is_refused(personas, pace):
    enrollment = enroll(personas, pace_min_per_week="0.5", pace_max_per_week="2")
    with pytest.raises(ValidationError) as error:
        services.agree_pace(actor=personas.patient.user, enrollment=enrollment, per_week=pace)
    assert "per_week" in error.value.error_dict
    assert fresh(enrollment).pace_agreed_at is None


def test_pace_order_must_name_optional_modules_once(personas):
    enrollment = enroll(personas)
    for order in (["intro"], ["extra", "extra"], ["nope"]):
        with pytest.raises(ValidationError):
            services.agree_pace(
                actor=personas.patient.user,
                enrollment=enrollment,
                per_week="1",
                optional_order=order,
            )


def test_weekly_pacing_caps_the_pace_at_what_opens(personas):
    enrollment = enroll(personas, interval_days=7, pace_max_per_week="3")
    assert services.pace_bounds(enrollment) == (Decimal("0.5"), Decimal("1"))
    fast = enroll(personas, version=load(EXTRAS), interval_days=2, pace_max_per_week="3")
    assert services.pace_bounds(fast) == (Decimal("0.5"), Decimal("3"))


def test_only_the_patient_agrees_their_pace(personas):
    enrollment = enroll(personas)
    for user in (personas.therapist, personas.other_patient.user, personas.supervisor):
        with pytest.raises(PermissionDenied):
            services.agree_pace(actor=user, enrollment=enrollment, per_week="1")


def test_pace_view_out_of_range_is_a_clear_form_error(personas, login):
    enrollment = enroll(personas, pacing_policy="sequential", pace_max_per_week="2")
    client = login(personas.patient.user)
    url = reverse("journey_pace", args=[enrollment.uuid])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"per_week": "5.0", "order_1": "1", "order_2": "2"})
    assert response.status_code == 200
    assert response.context["form"].errors["per_week"] == [
        "Choose a pace between one module every two weeks and 2 modules a week."
    ]
    assert "Choose a pace between" in response.content.decode()
    clash = client.post(url, {"per_week": "1.0", "order_1": "1", "order_2": "1"})
    assert "different position" in clash.content.decode()
    done = client.post(url, {"per_week": "1.5", "order_1": "2", "order_2": "1"})
    assert done.status_code == 302
    enrollment = fresh(enrollment)
    assert enrollment.pace_per_week == Decimal("1.5")
    assert enrollment.optional_order == ["bonus", "extra"]
    detail = login(personas.therapist).get(reverse("enrollment_detail", args=[enrollment.uuid]))
    assert "The patient chose" in detail.content.decode()


# --- counters ------------------------------------------------------------------------------------


def test_counters_follow_progress(personas):
    enrollment = enroll(personas, pacing_policy="all_open")
    user = personas.patient.user
    services.view_page(
        actor=user,
        enrollment=fresh(enrollment),
        module_key="intro",
        page_id="welcome",
        now=T0 + DAY,
    )
    assert fresh(enrollment).last_activity_at == T0 + DAY
    services.complete_module(
        actor=user, enrollment=fresh(enrollment), module_key="intro", now=T0 + 2 * DAY
    )
    services.complete_module(
        actor=user, enrollment=fresh(enrollment), module_key="bonus", now=T0 + 3 * DAY
    )
    enrollment = fresh(enrollment)
    assert enrollment.modules_completed == 2
    assert enrollment.last_activity_at == T0 + 3 * DAY
    assert services.expected_completed(enrollment=enrollment, now=T0 + 14 * DAY) == 2
