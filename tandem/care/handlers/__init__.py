"""The care app's reactions to other apps' events (run on commit, by event id).

One dispatcher per event kind loads the event once and runs its reactions:

===========================  =====================================================
event                        reaction
===========================  =====================================================
alert.raised / .repeated     open *safety_alert* (the alert)
alert.acknowledged           resolve it
message.sent (patient)       open *message_waiting* (the conversation), due at the
                             clinic's reply promise in working hours
message.sent (care team)     resolve *message_waiting*; a gesture answering a
                             disengagement signal records the ladder's warm message
exercise.submitted           open *exercise_feedback* (guided and blended programs)
exercise.feedback_given      resolve it (or move it to a submission still waiting)
exercise.hard_reported       open *hard_moment*, due the day the team promised
exercise.hard_seen           resolve it
score.reliable_change        deteriorated: open *reliable_deterioration*;
                             improved: resolve it
questionnaire.completed      scores on the caseload row; resolve *missed_questionnaire*
                             and (no deterioration) *reliable_deterioration* of that code
questionnaire.missed         open *missed_questionnaire*
alliance.dip                 open *alliance_dip*; alliance.answered resolves an older one
enrollment.created           build the caseload row
enrollment.status_changed    paused or ended: resolve the enrollment's signals; row
module.completed             the row; resolve *module_overdue* once back on pace
care_team.changed            the row's primary therapist
patient.activated            build the caseload row
appointment.(re)scheduled    open *session_without_agenda* inside the agenda lead time
agenda.prepared, a session   resolve it
cancelled / held / missed
any event by the patient     activity: resolve *silence* / *not_started*, mark pending
                             outreach re-engaged, refresh active days and risk
===========================  =====================================================

Handlers read other apps' models lazily inside functions and skip quietly what is not
installed. A failing handler is logged by ``core.events`` and does not undo the event;
the periodic ``care_signals`` job catches up whatever a handler missed.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q

from tandem.care import caseload, ladder
from tandem.care import signals as sig
from tandem.care.handlers.clinical import (
    on_alert,
    on_alert_acknowledged,
    on_alliance_answered,
    on_alliance_dip,
    on_exercise_submitted,
    on_feedback_given,
    on_hard_reported,
    on_hard_seen,
    on_message,
    on_questionnaire_completed,
    on_questionnaire_missed,
    on_reliable_change,
)
from tandem.care.handlers.common import Reaction, _enrollment
from tandem.care.kinds import ANSWERED_BY_ACTIVITY, PER_ENROLLMENT
from tandem.care.kinds import SignalKind as K
from tandem.care.models import OutreachStep
from tandem.core import events
from tandem.core.models import Event

logger = logging.getLogger(__name__)


# --- programs and accounts ------------------------------------------------------------------


def on_structure(event: Event) -> None:
    caseload.refresh_row(event.patient_id)


def on_status_changed(event: Event) -> None:
    to = (event.data or {}).get("to")
    if to != "active" and event.ref_uuid is not None:
        from tandem.programs.models import Enrollment

        enrollment_id = (
            Enrollment.objects.filter(uuid=event.ref_uuid).values_list("id", flat=True).first()
        )
        if enrollment_id is not None:
            sig.resolve(
                Q(enrollment_id=enrollment_id, kind__in=PER_ENROLLMENT)
                & ~Q(kind=K.MESSAGE_WAITING),
                patient_id=event.patient_id,
                resolution="ended" if to in ("completed", "discontinued") else "paused",
                now=event.occurred_at,
                recount_row=False,
            )
            OutreachStep.objects.filter(
                enrollment_id=enrollment_id, outcome=ladder.Outcome.PENDING
            ).update(
                outcome=ladder.Outcome.PAUSED if to == "paused" else ladder.Outcome.ENDED,
                outcome_at=event.occurred_at,
            )
    caseload.refresh_row(event.patient_id)


def on_module_completed(event: Event) -> None:
    from tandem.care.models import CaseloadRow

    row = CaseloadRow.objects.filter(patient_id=event.patient_id).only("open_kinds").first()
    if row is None or K.MODULE_OVERDUE not in (row.open_kinds or []):
        return
    from tandem.care import periodic

    enrollment = _enrollment(event.ref_uuid)
    if enrollment is not None:
        periodic.reevaluate_enrollment(enrollment.pk)


def on_care_team_changed(event: Event) -> None:
    caseload.set_primary(event.patient_id)


def on_appointment_done(event: Event) -> None:
    """Blended sessions: a prepared agenda, or the session cancelled, held or missed,
    answers *session without agenda*."""
    if event.ref_uuid is not None:
        sig.resolve_key(
            sig.key(K.SESSION_WITHOUT_AGENDA, event.ref_uuid),
            patient_id=event.patient_id,
            now=event.occurred_at,
        )


# --- patient activity -----------------------------------------------------------------------


def on_appointment_scheduled(event: Event) -> None:
    """A session scheduled or moved into the agenda lead time without an agenda."""
    if event.ref_uuid is not None:
        from tandem.care import periodic

        periodic.reevaluate_session(event.ref_uuid)


def on_activity(event: Event) -> None:
    """Anything the patient does: silence and not-started signals are answered, pending
    outreach is marked re-engaged, and the caseload row is touched."""
    row = caseload.touch(event.patient_id, event.occurred_at)
    open_kinds = set(row.open_kinds or []) if row is not None else set()
    if open_kinds & ANSWERED_BY_ACTIVITY or row is None:
        count = sig.resolve(
            Q(kind__in=ANSWERED_BY_ACTIVITY),
            patient_id=event.patient_id,
            resolution="re_engaged",
            now=event.occurred_at,
        )
        if count:
            OutreachStep.objects.filter(
                patient_id=event.patient_id, outcome=ladder.Outcome.PENDING
            ).update(outcome=ladder.Outcome.RE_ENGAGED, outcome_at=event.occurred_at)


REACTIONS: dict[str, list[Reaction]] = {
    "alert.raised": [on_alert],
    "alert.repeated": [on_alert],
    "alert.acknowledged": [on_alert_acknowledged],
    "message.sent": [on_message],
    "message.read": [],
    "exercise.submitted": [on_exercise_submitted],
    "exercise.feedback_given": [on_feedback_given],
    "exercise.hard_reported": [on_hard_reported],
    "exercise.hard_seen": [on_hard_seen],
    "exercise.draft_saved": [],
    "exercise.skipped": [],
    "exercise.feedback_seen": [],
    "score.reliable_change": [on_reliable_change],
    "questionnaire.completed": [on_questionnaire_completed],
    "questionnaire.missed": [on_questionnaire_missed],
    "alliance.dip": [on_alliance_dip],
    "alliance.answered": [on_alliance_answered],
    "enrollment.created": [on_structure],
    "enrollment.status_changed": [on_status_changed],
    "enrollment.pace_agreed": [],
    "enrollment.tailored": [on_structure],
    "enrollment.version_changed": [on_structure],
    "module.opened": [],
    "module.page_viewed": [],
    "module.completed": [on_module_completed],
    "care_team.changed": [on_care_team_changed],
    "patient.activated": [on_structure],
    "checkin.recorded": [],
    "safety_plan.updated": [],
    "appointment.scheduled": [on_appointment_scheduled],
    "appointment.rescheduled": [on_appointment_scheduled],
    "agenda.prepared": [on_appointment_done],
    "appointment.cancelled": [on_appointment_done],
    "appointment.attended": [on_appointment_done],
    "appointment.did_not_attend": [on_appointment_done],
}


def dispatch(event_id: int) -> None:
    event = (
        Event.objects.select_related("patient", "actor")
        .only(
            "id",
            "kind",
            "occurred_at",
            "ref_type",
            "ref_uuid",
            "data",
            "patient__id",
            "patient__uuid",
            "patient__user_id",
            "patient__clinic_id",
            "actor",
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return
    with transaction.atomic():
        for reaction in REACTIONS.get(event.kind, []):
            reaction(event)
        if event.actor_id is not None and event.actor_id == event.patient.user_id:
            on_activity(event)


def register() -> None:
    for kind in REACTIONS:
        events.register(kind, dispatch)
