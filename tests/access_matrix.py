"""The access matrix: every URL pattern × every persona → expected status.

A URL pattern without a row here fails ``test_every_url_has_a_rule``. Add a ``Rule`` for
every new view. ``ok`` lists the personas that get ``ok_status``; every other signed-in
persona must get ``denied_status`` (404 by default: no leak that the object exists);
anonymous users are sent to sign in unless ``public``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.personas import Personas

PERSONAS = (
    "patient",
    "other_patient",
    "therapist",
    "cover",
    "other_therapist",
    "former_therapist",
    "supervisor",
    "admin",
    "researcher",
    "outsider",
    "outsider_supervisor",
)
STAFF = (
    "therapist",
    "cover",
    "other_therapist",
    "former_therapist",
    "supervisor",
    "admin",
    "researcher",
    "outsider",
    "outsider_supervisor",
)
CARE_TEAM = ("therapist", "cover")
EVERYONE = PERSONAS


@dataclass(frozen=True)
class Rule:
    ok: tuple[str, ...]
    method: str = "get"
    kwargs: Callable[[Personas], dict[str, Any]] = lambda p: {}
    data: Callable[[Personas], dict[str, Any]] = lambda p: {}
    ok_status: tuple[int, ...] = (200,)
    denied_status: tuple[int, ...] = (404,)
    public: bool = False
    setup: Callable[[Personas], Any] | None = None
    note: str = ""


def _patient(p: Personas) -> dict[str, Any]:
    return {"patient": p.patient.uuid}


def _member(p: Personas) -> dict[str, Any]:
    from tandem.accounts.models import CareTeamMember

    member = CareTeamMember.objects.filter(
        patient=p.patient, therapist=p.cover, ended_at=None
    ).first() or CareTeamMember.objects.create(
        patient=p.patient, therapist=p.cover, team_role="cover"
    )
    return {"patient": p.patient.uuid, "member": member.uuid}


def _grant(p: Personas) -> dict[str, Any]:
    from tandem.accounts import services

    grant = services.break_glass(
        actor=p.other_therapist, patient=p.patient, reason="urgent alert while the team is away"
    )
    return {"grant": grant.uuid}


def _staff_user(p: Personas) -> dict[str, Any]:
    return {"user": p.researcher.uuid}


def _invitation(p: Personas) -> dict[str, Any]:
    from tandem.accounts import services

    inv = services.invite(
        actor=p.admin, email="new-staff@test.example", full_name="New Staff", role="therapist"
    )
    return {"invitation": inv.uuid}


ENGINE_FIXTURES = Path(__file__).parent / "programs" / "fixtures" / "engine"


def _enrollment_obj(p: Personas):  # type: ignore[no-untyped-def]
    """The patient's enrollment in the engine fixture program (created once per test)."""
    from tandem.programs import catalog
    from tandem.programs.models import Enrollment, ProgramVersion

    for code in ("steps", "extras"):
        catalog.load(ENGINE_FIXTURES / code)
    version = ProgramVersion.objects.get(program__code="steps", is_current=True)
    return Enrollment.objects.filter(patient=p.patient, version=version).first() or (
        Enrollment.objects.create(
            patient=p.patient,
            version=version,
            guidance_mode="guided",
            pacing_policy="weekly",
            enrolled_by=p.therapist,
        )
    )


def _enrollment(p: Personas) -> dict[str, Any]:
    return {"enrollment": _enrollment_obj(p).uuid}


def _enrolled_module(p: Personas) -> dict[str, Any]:
    return {"enrollment": _enrollment_obj(p).uuid, "module": "intro"}


def _enrolled_page(p: Personas) -> dict[str, Any]:
    return {"enrollment": _enrollment_obj(p).uuid, "module": "intro", "page": "welcome"}


def _media(p: Personas) -> dict[str, Any]:
    return {"version": _enrollment_obj(p).version.uuid, "path": "lake.png"}


def _extras_module(p: Personas) -> dict[str, Any]:
    from tandem.programs.models import ProgramVersion

    _enrollment_obj(p)
    version = ProgramVersion.objects.get(program__code="extras", is_current=True)
    return {"module": f"{version.uuid}:sleep"}


# --- messaging & wellbeing ---------------------------------------------------------------
THERAPISTS_AND_SUPERVISORS = (
    "therapist",
    "cover",
    "other_therapist",
    "former_therapist",
    "supervisor",
    "outsider",
    "outsider_supervisor",
)


def _message_data(p: Personas) -> dict[str, Any]:
    import uuid

    return {"body": "Hello from the access matrix", "client_token": uuid.uuid4()}


def _pulse(p: Personas) -> dict[str, Any]:
    from tandem.messaging.models import AlliancePulse
    from tandem.messaging.services import conversation_for

    conversation = conversation_for(_enrollment_obj(p))
    pulse = AlliancePulse.objects.create(
        conversation=conversation, patient=p.patient, therapist=p.therapist, trigger="reply"
    )
    return {"pulse": pulse.uuid}


def _own_template(p: Personas) -> dict[str, Any]:
    from tandem.messaging.models import MessageTemplate

    template = MessageTemplate.objects.filter(owner=p.therapist).first() or (
        MessageTemplate.objects.create(
            clinic=p.clinic,
            owner=p.therapist,
            context="silent_week",
            language="en",
            title="Check-in",
            body="Hi {first_name}",
            created_by=p.therapist,
        )
    )
    return {"template": template.uuid}


def _absence(p: Personas) -> dict[str, Any]:
    from django.utils import timezone

    from tandem.messaging import cover
    from tandem.messaging.models import Absence

    absence = Absence.objects.filter(therapist=p.therapist, cancelled_at=None).first()
    if absence is None:
        today = timezone.localdate()
        absence = cover.mark_absence(
            actor=p.therapist, therapist=p.therapist, cover=p.cover, starts_on=today, ends_on=today
        )
    return {"absence": absence.uuid}


# --- safety & assessments --------------------------------------------------------------
CARE_TEAM_AND_SUPERVISOR = ("therapist", "cover", "supervisor")


def _alert(p: Personas) -> dict[str, Any]:
    from tandem.safety import services

    alert = services.raise_alert(
        patient=p.patient, source="assessment", tier="review", reason="phq9.item9"
    )
    return {"alert": alert.uuid}


def _assignment_obj(p: Personas):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from tandem.assessments.models import Assignment

    now = timezone.now()
    return Assignment.objects.create(
        patient=p.patient,
        instrument="phq9",
        source="adhoc",
        available_at=now,
        due_at=now + timedelta(days=3),
        expires_at=now + timedelta(days=14),
    )


def _assignment(p: Personas) -> dict[str, Any]:
    return {"assignment": _assignment_obj(p).uuid}


def _response_obj(p: Personas):  # type: ignore[no-untyped-def]
    from tandem.assessments import services

    assignment = _assignment_obj(p)
    return services.submit_response(
        actor=p.patient.user, assignment=assignment, answers=[1, 1, 1, 1, 1, 1, 1, 0, 0, 1]
    )


def _answered(p: Personas) -> dict[str, Any]:
    return {"assignment": _response_obj(p).assignment.uuid}


def _patient_response(p: Personas) -> dict[str, Any]:
    return {"patient": p.patient.uuid, "response": _response_obj(p).uuid}


def _fhir_response(p: Personas) -> dict[str, Any]:
    return {"response": str(_response_obj(p).uuid)}


def _ex():  # type: ignore[no-untyped-def]
    from tests.exercises import factories

    return factories


# --- notifications -------------------------------------------------------------------------


def _unsubscribe_token(p: Personas) -> dict[str, Any]:
    from tandem.notifications.tokens import make_unsubscribe_token

    return {"token": make_unsubscribe_token(p.patient.user)}


def _failed_notification(p: Personas) -> dict[str, Any]:
    import uuid

    from tandem.notifications.models import Notification

    n = Notification.objects.create(
        recipient=p.patient.user,
        kind="patient_reminder",
        channel="email",
        dedupe_key=f"matrix:{uuid.uuid4()}",
        state="failed",
        needs_review=True,
        next_attempt_at=None,
    )
    return {"notification": n.uuid}


# --- blended (helpers in tests/blended/factories.py) ----------------------------------------------
def _bl():  # type: ignore[no-untyped-def]
    from tests.blended import factories

    return factories


_THERAPISTS = ("therapist", "cover", "other_therapist", "former_therapist", "outsider")


def _bl_enrollment(p: Personas) -> dict[str, Any]:
    return _bl().matrix_enrollment(p)


def _bl_session(p: Personas) -> dict[str, Any]:
    return _bl().matrix_appointment(p)


def _bl_homework(p: Personas) -> dict[str, Any]:
    return _bl().matrix_homework(p)


BLENDED: dict[str, Rule] = {
    "blended_schedule": Rule(ok=_THERAPISTS),
    "blended_enrollment": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_bl_enrollment),
    "blended_digest": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_bl_enrollment),
    "blended_appointment_new": Rule(ok=CARE_TEAM, kwargs=_bl_enrollment),
    "blended_plan": Rule(ok=CARE_TEAM, kwargs=_bl_enrollment),
    "blended_load_limit": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_bl_enrollment,
        data=lambda p: {"minutes_per_week": "90", "assignments_per_week": "3"},
        ok_status=(302,),
    ),
    "blended_homework_new": Rule(ok=CARE_TEAM, kwargs=_bl_enrollment),
    "blended_appointment": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_bl_session),
    "blended_reschedule": Rule(ok=CARE_TEAM, kwargs=_bl_session),
    "blended_cancel": Rule(ok=CARE_TEAM, kwargs=_bl_session),
    "blended_attendance": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_bl_session,
        data=lambda p: {"attended": "1"},
        ok_status=(302,),
        note="a future session: refused with a message",
    ),
    "blended_agenda": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_bl_session),
    "blended_agenda_prepare": Rule(
        ok=CARE_TEAM, method="post", kwargs=_bl_session, ok_status=(302,)
    ),
    "blended_agenda_add": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_bl_session,
        data=lambda p: {"text": "Sleep"},
        ok_status=(302,),
    ),
    "blended_agenda_item": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=lambda p: _bl().matrix_item(p),
        data=lambda p: {"action": "done"},
        ok_status=(302,),
    ),
    "blended_note": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_bl_session),
    "blended_note_sign": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_bl_session,
        ok_status=(302,),
        note="no note yet: refused with a message",
    ),
    "blended_note_addendum": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_bl_session,
        data=lambda p: {"text": "Correction"},
        ok_status=(302,),
    ),
    "blended_homework_review": Rule(
        ok=CARE_TEAM, method="post", kwargs=_bl_homework, ok_status=(302,)
    ),
    "blended_homework_withdraw": Rule(
        ok=CARE_TEAM, method="post", kwargs=_bl_homework, ok_status=(302,)
    ),
    "blended_my_sessions": Rule(ok=("patient", "other_patient")),
    "blended_topic_add": Rule(
        ok=("patient",),
        method="post",
        kwargs=_bl_session,
        data=lambda p: {"text": "My sister"},
        ok_status=(302,),
    ),
    "blended_topic_remove": Rule(
        ok=("patient",), method="post", kwargs=lambda p: _bl().matrix_topic(p), ok_status=(302,)
    ),
    "blended_homework_tick": Rule(
        ok=("patient",), method="post", kwargs=_bl_homework, ok_status=(302,)
    ),
    "blended_ics": Rule(ok=("patient", *CARE_TEAM), kwargs=_bl_session),
    "blended_calendar": Rule(ok=("patient", "other_patient", *_THERAPISTS)),
    "blended_feed": Rule(
        ok=EVERYONE,
        kwargs=lambda p: _bl().matrix_feed(p),
        public=True,
        note="the token is the key: no sign-in, same answer for everyone",
    ),
}


# --- care workspace (helpers in tests/care/factories.py) ---------------------------------------
def _care():  # type: ignore[no-untyped-def]
    from tests.care import factories

    return factories


_CLINICAL = (*CARE_TEAM, "supervisor")
CARE: dict[str, Rule] = {
    "care_triage": Rule(ok=THERAPISTS_AND_SUPERVISORS),
    "care_caseload": Rule(ok=THERAPISTS_AND_SUPERVISORS),
    "care_patient": Rule(ok=_CLINICAL, kwargs=_patient),
    "care_time_add": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_patient,
        data=lambda p: {"minutes": "10", "day": _care().yesterday(), "activity": "phone_call"},
        ok_status=(302,),
    ),
    "care_signal_snooze": Rule(
        ok=_CLINICAL,
        method="post",
        kwargs=lambda p: _care().matrix_signal(p),
        data=lambda p: {"until": _care().tomorrow()},
        ok_status=(302,),
    ),
    "care_signal_resolve": Rule(
        ok=_CLINICAL, method="post", kwargs=lambda p: _care().matrix_signal(p), ok_status=(302,)
    ),
    "care_outreach": Rule(
        ok=_CLINICAL,
        method="post",
        kwargs=lambda p: _care().matrix_signal(p),
        data=lambda p: {"step": "warm_message", "outcome": "pending"},
        ok_status=(302,),
    ),
    "care_outreach_outcome": Rule(
        ok=_CLINICAL,
        method="post",
        kwargs=lambda p: _care().matrix_step(p),
        data=lambda p: {"outcome": "no_answer"},
        ok_status=(302,),
    ),
    "care_heartbeat": Rule(
        ok=CARE_TEAM,
        method="post",
        data=lambda p: {"patient": p.patient.uuid},
        ok_status=(204,),
        note="the patient's id is in the body",
    ),
    "care_time": Rule(ok=THERAPISTS_AND_SUPERVISORS),
    "care_planned_minutes": Rule(
        ok=("supervisor", "outsider_supervisor"),
        method="post",
        data=lambda p: {"minutes": "20"},
        ok_status=(302,),
    ),
    "care_time_edit": Rule(
        ok=("therapist",),
        method="post",
        kwargs=lambda p: _care().matrix_entry(p),
        data=lambda p: {"minutes": "7"},
        ok_status=(302,),
    ),
    "care_supervisor": Rule(ok=("supervisor", "outsider_supervisor")),
    "care_reassign": Rule(
        ok=("supervisor",),
        method="post",
        data=lambda p: {"patient": p.patient.uuid, "to": p.therapist.uuid},
        ok_status=(302,),
        note="to the current primary: nothing moves",
    ),
    "care_rules": Rule(ok=("supervisor", "outsider_supervisor")),
}


MATRIX: dict[str, Rule] = {
    # core
    "healthz": Rule(ok=EVERYONE, public=True),
    "set_language": Rule(
        ok=EVERYONE, method="post", data=lambda p: {"language": "fi"}, ok_status=(302,), public=True
    ),
    # accounts
    "home": Rule(ok=EVERYONE, ok_status=(200, 302)),
    "patient_list": Rule(
        ok=(
            "therapist",
            "cover",
            "other_therapist",
            "former_therapist",
            "supervisor",
            "outsider",
            "outsider_supervisor",
        )
    ),
    "invite_patient": Rule(
        ok=("therapist", "cover", "other_therapist", "former_therapist", "outsider")
    ),
    "patient_detail": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_patient),
    "care_team_add": Rule(
        ok=("supervisor",),
        method="post",
        kwargs=_patient,
        data=lambda p: {"therapist": p.other_therapist.uuid, "team_role": "cover"},
        ok_status=(302,),
    ),
    "care_team_end": Rule(ok=("supervisor",), method="post", kwargs=_member, ok_status=(302,)),
    "break_glass": Rule(
        ok=("therapist", "cover", "other_therapist", "former_therapist", "outsider")
    ),
    "break_glass_reviews": Rule(ok=("supervisor", "outsider_supervisor")),
    "break_glass_review": Rule(
        ok=("supervisor",),
        method="post",
        kwargs=_grant,
        data=lambda p: {"note": "checked with the team"},
        ok_status=(302,),
    ),
    "clinic_audit_log": Rule(ok=("supervisor", "admin", "outsider_supervisor")),
    "my_access_log": Rule(ok=("patient", "other_patient")),
    "staff_list": Rule(ok=("admin",)),
    "invite_staff": Rule(ok=("admin",)),
    "staff_detail": Rule(ok=("admin",), kwargs=_staff_user),
    "revoke_invitation": Rule(ok=("admin",), method="post", kwargs=_invitation, ok_status=(302,)),
    "accept_invitation": Rule(
        ok=(),
        kwargs=lambda p: {"token": "not-a-real-token"},
        public=True,
        denied_status=(302,),
        note="signed-in users are sent home; anonymous gets 404 page",
    ),
    "preferences": Rule(ok=EVERYONE),
    # notifications
    "notifications_inbox": Rule(ok=EVERYONE),
    "notifications_mark_read": Rule(ok=EVERYONE, method="post", ok_status=(302,)),
    "notification_preferences": Rule(ok=EVERYONE),
    "notifications_unsubscribe": Rule(
        ok=EVERYONE,
        kwargs=_unsubscribe_token,
        public=True,
        note="the signed token decides, not the session; GET only shows a confirm button",
    ),
    "notifications_delivery_log": Rule(ok=("supervisor", "admin", "outsider_supervisor")),
    "notifications_resend": Rule(
        ok=("supervisor", "admin"),
        method="post",
        kwargs=_failed_notification,
        ok_status=(302,),
    ),
    # programs (therapist side, media)
    "enrollment_create": Rule(ok=CARE_TEAM, kwargs=_patient),
    "enrollment_detail": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_enrollment),
    "enrollment_status": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_enrollment,
        data=lambda p: {"status": "paused"},
        ok_status=(302,),
    ),
    "enrollment_module": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=lambda p: {**_enrollment(p), "module": "thoughts"},
        data=lambda p: {"action": "unlock"},
        ok_status=(302,),
    ),
    "enrollment_add_module": Rule(
        ok=CARE_TEAM, method="post", kwargs=_enrollment, data=_extras_module, ok_status=(302,)
    ),
    "enrollment_move": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_enrollment,
        data=lambda p: {"version": _enrollment_obj(p).version.uuid},
        ok_status=(302,),
        note="already current: redirect with a message",
    ),
    "program_media": Rule(
        ok=("patient", *CARE_TEAM, "supervisor"),
        kwargs=_media,
        note="patients enrolled in the version; staff who see such an enrollment",
    ),
    # journey (the patient's side)
    "journey_home": Rule(ok=("patient", "other_patient")),
    "journey_program": Rule(ok=("patient",), kwargs=_enrollment),
    "journey_pace": Rule(ok=("patient",), kwargs=_enrollment),
    "module_start": Rule(ok=("patient",), kwargs=_enrolled_module, ok_status=(302,)),
    "module_page": Rule(ok=("patient",), kwargs=_enrolled_page),
    "module_complete": Rule(
        ok=("patient",), method="post", kwargs=_enrolled_module, ok_status=(302,)
    ),
    # messaging
    "messaging_inbox": Rule(
        ok=("patient", "other_patient", *THERAPISTS_AND_SUPERVISORS), ok_status=(200, 302)
    ),
    "messaging_conversation": Rule(ok=(*CARE_TEAM, "patient", "supervisor"), kwargs=_enrollment),
    "messaging_send": Rule(
        ok=(*CARE_TEAM, "patient"),
        method="post",
        kwargs=_enrollment,
        data=_message_data,
        ok_status=(302,),
    ),
    "messaging_draft": Rule(
        ok=(*CARE_TEAM, "patient"),
        method="post",
        kwargs=_enrollment,
        data=lambda p: {"body": "a draft"},
    ),
    "messaging_moves": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=_enrollment,
        data=lambda p: {"body": "Hi Pat, this is hard"},
    ),
    "messaging_mark_read": Rule(
        ok=(*CARE_TEAM, "patient"), method="post", kwargs=_enrollment, ok_status=(302,)
    ),
    "messaging_pulse": Rule(
        ok=("patient",),
        method="post",
        kwargs=_pulse,
        data=lambda p: {"understood": "4"},
        ok_status=(302,),
    ),
    "messaging_templates": Rule(ok=THERAPISTS_AND_SUPERVISORS),
    "messaging_template_new": Rule(ok=THERAPISTS_AND_SUPERVISORS),
    "messaging_template_edit": Rule(ok=("therapist",), kwargs=_own_template),
    "messaging_policy": Rule(ok=("supervisor", "admin", "outsider_supervisor")),
    "messaging_stats": Rule(ok=THERAPISTS_AND_SUPERVISORS),
    "messaging_stats_therapist": Rule(
        ok=("therapist", "supervisor"), kwargs=lambda p: {"user": p.therapist.uuid}
    ),
    "messaging_absences": Rule(ok=THERAPISTS_AND_SUPERVISORS),
    "messaging_absence_end": Rule(
        ok=("therapist", "supervisor"), method="post", kwargs=_absence, ok_status=(302,)
    ),
    # wellbeing
    "wellbeing_home": Rule(ok=("patient", "other_patient")),
    "wellbeing_checkin": Rule(ok=("patient", "other_patient")),
    "wellbeing_trend": Rule(ok=("patient", "other_patient")),
    "wellbeing_tools": Rule(ok=EVERYONE),
    "wellbeing_tool": Rule(ok=EVERYONE, kwargs=lambda p: {"tool": "breathing"}),
    "wellbeing_safety_plan": Rule(ok=("patient", "other_patient")),
    "wellbeing_patient": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_patient),
    "wellbeing_patient_safety_plan": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_patient),
    # safety
    "alert_list": Rule(ok=THERAPISTS_AND_SUPERVISORS),
    "alert_detail": Rule(ok=CARE_TEAM_AND_SUPERVISOR, kwargs=_alert),
    "alert_acknowledge": Rule(
        ok=CARE_TEAM_AND_SUPERVISOR,
        method="post",
        kwargs=_alert,
        data=lambda p: {"note": "Phoned the patient."},
        ok_status=(302,),
    ),
    "crisis_help": Rule(ok=EVERYONE),
    "notifications_clinic_defaults": Rule(ok=("supervisor", "admin", "outsider_supervisor")),
    "safety_settings": Rule(ok=("supervisor", "admin", "outsider_supervisor")),
    "safety_crisis_edit": Rule(
        ok=("supervisor", "admin", "outsider_supervisor"), kwargs=lambda p: {"language": "fi"}
    ),
    # assessments
    "questionnaire_list": Rule(ok=("patient", "other_patient")),
    "questionnaire_fill": Rule(ok=("patient",), kwargs=_assignment),
    "questionnaire_result": Rule(ok=("patient",), kwargs=_answered),
    "patient_scores": Rule(ok=CARE_TEAM_AND_SUPERVISOR, kwargs=_patient),
    "response_detail": Rule(ok=CARE_TEAM_AND_SUPERVISOR, kwargs=_patient_response),
    "assign_questionnaire": Rule(ok=CARE_TEAM, kwargs=_patient),
    "fhir_questionnaire": Rule(ok=THERAPISTS_AND_SUPERVISORS, kwargs=lambda p: {"code": "phq9"}),
    "fhir_questionnaire_response": Rule(ok=CARE_TEAM_AND_SUPERVISOR, kwargs=_fhir_response),
    "fhir_observation": Rule(ok=CARE_TEAM_AND_SUPERVISOR, kwargs=_fhir_response),
    # exercises (helpers in tests/exercises/factories.py; the fixture package)
    "exercise_fill": Rule(ok=("patient",), kwargs=lambda p: _ex().matrix_exercise(p)),
    "exercise_autosave": Rule(
        ok=("patient",),
        method="post",
        kwargs=lambda p: _ex().matrix_exercise(p),
        data=lambda p: {"ws-matters": "draft text", "token": ""},
    ),
    "exercise_skip": Rule(
        ok=("patient",),
        method="post",
        kwargs=lambda p: _ex().matrix_exercise(p, "checklist"),
        data=lambda p: {"reason_code": "no_time"},
        ok_status=(302,),
    ),
    "exercise_hard": Rule(
        ok=("patient",),
        method="post",
        kwargs=lambda p: _ex().matrix_exercise(p),
        data=lambda p: {"distress": "6", "note": "stuck"},
        ok_status=(302,),
    ),
    "exercise_entry": Rule(
        ok=("patient", *CARE_TEAM, "supervisor"), kwargs=lambda p: _ex().matrix_entry(p)
    ),
    "exercise_feedback": Rule(
        ok=CARE_TEAM,
        method="post",
        kwargs=lambda p: _ex().matrix_entry(p),
        data=lambda p: {"text": "Thank you for this."},
        ok_status=(302,),
    ),
    "exercise_feedback_seen": Rule(
        ok=("patient",), method="post", kwargs=lambda p: _ex().matrix_entry(p), ok_status=(204,)
    ),
    "exercise_hard_seen": Rule(
        ok=CARE_TEAM, method="post", kwargs=lambda p: _ex().matrix_moment(p), ok_status=(302,)
    ),
    "patient_exercises": Rule(ok=(*CARE_TEAM, "supervisor"), kwargs=_patient),
    **BLENDED,
    **CARE,
}

# allauth's own views: exercised for anonymous and signed-in users; they must never 500.
ALLAUTH_PREFIX = "/account/"
