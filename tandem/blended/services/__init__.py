"""Blended care use cases: one function per change, keyword-only arguments, an explicit
``actor``, one transaction each, with audit entries and events.

Who may do what: a therapist on the patient's active care team schedules and changes
sessions, prepares agendas, writes and signs notes, gives homework and keeps the plan;
the patient adds agenda topics to their coming sessions and ticks custom tasks done.
Anything else raises ``PermissionDenied`` (views answer 404); wrong but allowed input
raises ``ValidationError`` with a message for the form.

- ``appointments``: schedule, reschedule, cancel, attendance; upcoming sessions;
- ``digest``: what happened since the last session (read from the event stream);
- ``agenda``: a session's agenda items;
- ``notes``: session notes, signing, locking and addenda;
- ``homework``: homework between sessions, load checks, completion from events;
- ``describe``: task titles, the therapist's choices, the patient's task list;
- ``plan``: treatment plan, load limit, drift indicators;
- ``feed``: calendar feeds and ``.ics`` downloads.

For the care app (plain functions, no request needed): ``upcoming_without_agenda(now)``
and ``drift_indicators(enrollment, now)`` / ``drift_for_enrollments(enrollments, now)``.
"""

from tandem.blended.services.agenda import (
    Agenda,
    add_item,
    agenda_for,
    move,
    prepare,
    remove_item,
    set_done,
    upcoming_without_agenda,
)
from tandem.blended.services.appointments import (
    cancel,
    next_session,
    previous_session,
    record_attendance,
    reschedule,
    schedule,
    session_number,
    session_numbers,
    upcoming_for_patient,
    upcoming_for_therapist,
)
from tandem.blended.services.common import may_manage, zone_of
from tandem.blended.services.describe import patient_tasks
from tandem.blended.services.digest import Digest
from tandem.blended.services.digest import build as build_digest
from tandem.blended.services.feed import (
    appointment_ics,
    create_feed,
    feed_for,
    feed_owner,
    revoke_feeds,
)
from tandem.blended.services.homework import (
    assign,
    check_load,
    complete_from_event,
    load_limit_for,
    mark_reviewed,
    tick,
    withdraw,
)
from tandem.blended.services.notes import NoteLocked, add_addendum, save, sign
from tandem.blended.services.plan import (
    drift_for_enrollments,
    drift_indicators,
    online_minutes,
    plan_for,
    save_plan,
    set_load_limit,
)

# Aliases that read well from other apps.
assign_homework = assign
save_note = save
sign_note = sign

__all__ = [
    "Agenda",
    "Digest",
    "NoteLocked",
    "add_addendum",
    "add_item",
    "agenda_for",
    "appointment_ics",
    "assign",
    "assign_homework",
    "build_digest",
    "cancel",
    "check_load",
    "complete_from_event",
    "create_feed",
    "drift_for_enrollments",
    "drift_indicators",
    "feed_for",
    "feed_owner",
    "load_limit_for",
    "mark_reviewed",
    "may_manage",
    "move",
    "next_session",
    "online_minutes",
    "patient_tasks",
    "plan_for",
    "prepare",
    "previous_session",
    "record_attendance",
    "remove_item",
    "reschedule",
    "revoke_feeds",
    "save",
    "save_note",
    "save_plan",
    "schedule",
    "session_number",
    "session_numbers",
    "set_done",
    "set_load_limit",
    "sign",
    "sign_note",
    "tick",
    "upcoming_for_patient",
    "upcoming_for_therapist",
    "upcoming_without_agenda",
    "withdraw",
    "zone_of",
]
