"""Demo blended care for `make run`: Bea Blended (blended@example.org, demo-password-1),
a depression patient of therapist@example.org in blended care for six weeks.

Three sessions were held (one more was missed), each with a signed note; homework was
given at each, some done and some not; she did exercises, questionnaires and check-ins
in between; tomorrow at 10:00 (the therapist's time) there is a session whose agenda is
prepared, with a topic Bea added herself. Everything goes through the services with past
times where they take one, so events, audit entries and counters are real. Skipped when
the therapist or the depression program is missing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from tandem.accounts.models import CareTeamMember, Patient, Role, User
from tandem.blended import services
from tandem.blended.models import Appointment
from tandem.blended.services.common import record_event, zone_of
from tandem.core import events
from tandem.core.models import Event
from tandem.programs.models import Enrollment, Program

logger = logging.getLogger(__name__)

THERAPIST = "therapist@example.org"
EMAIL = "blended@example.org"
NAME = "Bea Blended"
GOALS = [
    "Get up before 9 on weekdays",
    "See a friend or my sister every week",
    "Catch “I am a failure” thoughts and answer them",
]
PLAN = {
    1: ["starting-out"],
    2: ["activity"],
    3: ["thoughts"],
    5: ["problem-solving"],
    7: ["staying-well"],
}
MOODS = [3, 4, 3, 4, 5, 4, 5, 5, 6, 5, 6]
PHQ9 = {
    "baseline": [2, 2, 2, 2, 1, 2, 1, 2, 0, 2],  # 14
    "week3": [1, 2, 1, 2, 1, 1, 1, 1, 0, 1],  # 10
    "week6": [1, 1, 1, 1, 1, 1, 0, 1, 0, 1],  # 7
}


def seed() -> None:
    therapist = User.objects.filter(email=THERAPIST, role=Role.THERAPIST).first()
    program = Program.objects.filter(code="depression").first()
    version = program.current_version if program else None
    if therapist is None or version is None:
        logger.warning("demo blended care skipped: therapist or depression program missing")
        return
    if User.objects.filter(email=EMAIL).exists():
        return
    now = timezone.now()
    day = timedelta(days=1)
    start = now - 42 * day
    patient = _patient(therapist, start)
    from tandem.programs import services as programs

    enrollment = programs.enroll(
        actor=therapist,
        patient=patient,
        version=version,
        guidance_mode="blended",
        pacing_policy="weekly",
        interval_days=7,
        started_at=start,
    )
    services.save_plan(
        actor=therapist,
        enrollment=enrollment,
        goals=GOALS,
        planned_sessions=8,
        session_modules=PLAN,
        now=start,
    )
    services.set_load_limit(
        actor=therapist, enrollment=enrollment, minutes_per_week=150, assignments_per_week=4
    )
    zone = zone_of(therapist)
    s1 = _held(enrollment, therapist, _at(now - 35 * day, zone, time(10)))
    s2 = _held(enrollment, therapist, _at(now - 21 * day, zone, time(10)))
    _held(enrollment, therapist, _at(now - 14 * day, zone, time(10)), attended=False)
    s3 = _held(enrollment, therapist, _at(now - 7 * day, zone, time(10)))
    bea = patient.user

    # Session 1: the start. Homework: module 1, the "hopes" reflection, getting up.
    _questionnaire(therapist, bea, enrollment, PHQ9["baseline"], s1.starts_at - day)
    h1 = [
        _give(therapist, enrollment, s1, "module", module_key="starting-out"),
        _give(
            therapist, enrollment, s1, "exercise", module_key="starting-out", exercise_key="hopes"
        ),
        _give(therapist, enrollment, s1, "custom", text="Get up at 8:30 on three weekdays"),
    ]
    _note(
        therapist,
        s1,
        review="First session: no homework yet.",
        main="Shared the CBT model of low mood; agreed goals.",
        new="Module 1, the hopes reflection, getting up at 8:30 three times.",
    )
    _read_module(bea, enrollment, "starting-out", s1.starts_at + 2 * day)
    _exercise(bea, enrollment, "starting-out", "hopes", s1.starts_at + 3 * day)
    services.tick(actor=bea, homework=h1[2], now=s1.starts_at + 6 * day)

    # Session 2: activity. Homework: module 2, an activity plan, a call (not done).
    for homework in h1:
        services.mark_reviewed(actor=therapist, homework=homework, appointment=s2, now=s2.starts_at)
    h2 = [
        _give(therapist, enrollment, s2, "module", module_key="activity"),
        _give(
            therapist,
            enrollment,
            s2,
            "exercise",
            module_key="activity",
            exercise_key="activity-plan",
        ),
        _give(therapist, enrollment, s2, "custom", text="Call Anna and plan a coffee"),
    ]
    _note(
        therapist,
        s2,
        review="All three done; got up early twice.",
        main="Activity and mood; chose small valued activities.",
        new="Module 2, activity plan, call Anna.",
    )
    _read_module(bea, enrollment, "activity", s2.starts_at + 2 * day)
    _exercise(bea, enrollment, "activity", "activity-plan", s2.starts_at + 4 * day)
    _questionnaire(therapist, bea, enrollment, PHQ9["week3"], s2.starts_at + 5 * day)

    # Session 3 (after one missed): thoughts. Homework: module 3, thought records,
    # the PHQ-9, a morning walk.
    for homework in h2:
        services.mark_reviewed(actor=therapist, homework=homework, appointment=s3, now=s3.starts_at)
    h3 = [
        _give(therapist, enrollment, s3, "module", module_key="thoughts"),
        _give(
            therapist,
            enrollment,
            s3,
            "exercise",
            module_key="thoughts",
            exercise_key="thought-record",
        ),
        _give(therapist, enrollment, s3, "questionnaire", instrument="phq9"),
        _give(
            therapist,
            enrollment,
            s3,
            "custom",
            text="Walk 15 minutes on three mornings",
            plan_goal=None,
            override=True,
            override_reason="Bea asked for the walks herself; they are short.",
        ),
    ]
    _note(
        therapist,
        s3,
        review="Module and plan done; the call to Anna did not happen "
        "(felt like a burden). Talked it through.",
        main="Thoughts and feelings; caught “I am a failure” after the missed session.",
        new="Module 3, two thought records, PHQ-9, morning walks.",
    )
    _exercise(bea, enrollment, "thoughts", "thought-record", s3.starts_at + 2 * day)
    _exercise(bea, enrollment, "thoughts", "thought-record", s3.starts_at + 4 * day, n=1)
    _questionnaire(
        therapist,
        bea,
        enrollment,
        PHQ9["week6"],
        s3.starts_at + 5 * day,
        assignment=h3[2].assessment,
    )
    _checkins(patient, now)
    from tandem.messaging import services as messaging

    messaging.send_message(
        actor=bea,
        enrollment=enrollment,
        body="Could we talk about my sister's visit on Thursday? I keep dreading it.",
        client_token=uuid.uuid4(),
    )

    # Tomorrow: the next session (and the one after), with a prepared agenda.
    tomorrow = _at(now + day, zone, time(10))
    upcoming = services.schedule(
        actor=therapist,
        enrollment=enrollment,
        starts_at=tomorrow,
        kind="in_person",
        location="Room 3, second floor",
        repeat="weekly",
        occurrences=2,
    )
    services.add_item(
        actor=bea, appointment=upcoming[0], text="My sister is visiting and I'm dreading it"
    )
    services.prepare(actor=therapist, appointment=upcoming[0], lang="en")


def _patient(therapist: User, start: datetime) -> Patient:
    from tandem.accounts.demo import _user

    user = _user(EMAIL, NAME, Role.PATIENT, therapist.clinic)
    patient = Patient.objects.create(user=user, clinic=therapist.clinic)
    CareTeamMember.objects.create(
        patient=patient,
        therapist=therapist,
        team_role=CareTeamMember.TeamRole.PRIMARY,
        started_at=start - timedelta(days=3),
    )
    events.record(
        patient=patient, kind="patient.activated", actor=user, ref=patient, occurred_at=start
    )
    return patient


def _at(when: datetime, zone: Any, at: time) -> datetime:
    return datetime.combine(when.astimezone(zone).date(), at, tzinfo=zone)


def _held(
    enrollment: Enrollment, therapist: User, starts_at: datetime, *, attended: bool = True
) -> Appointment:
    """A past session (the scheduling service refuses the past, so the row and its
    events are written here with their times)."""
    appointment = Appointment.objects.create(
        patient=enrollment.patient,
        enrollment=enrollment,
        therapist=therapist,
        kind="in_person",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        location="Room 3, second floor",
        scheduled_by=therapist,
        created_at=starts_at - timedelta(days=7),
    )
    record_event(
        patient=enrollment.patient,
        kind="appointment.scheduled",
        actor=therapist,
        ref=appointment,
        now=starts_at - timedelta(days=7),
        starts_at=starts_at.isoformat(),
        appointment_kind="in_person",
        therapist=str(therapist.uuid),
    )
    services.record_attendance(
        actor=therapist, appointment=appointment, attended=attended, now=starts_at
    )
    return appointment


def _give(therapist: User, enrollment: Enrollment, session: Appointment, kind: str, **task: Any):  # type: ignore[no-untyped-def]
    """Homework given at the end of ``session``, due the day before the next one (custom
    tasks serve the plan's second goal unless told otherwise)."""
    task.setdefault("plan_goal", 1 if kind == "custom" else None)
    return services.assign_homework(
        actor=therapist,
        enrollment=enrollment,
        kind=kind,
        due_at=session.starts_at + timedelta(days=6),
        appointment=session,
        now=session.ends_at,
        **task,
    )


def _note(therapist: User, session: Appointment, *, review: str, main: str, new: str) -> None:
    services.save_note(
        actor=therapist,
        appointment=session,
        sections={
            "agenda": "Homework review; mood and scores; main topic; new homework.",
            "homework_review": review,
            "main_work": main,
            "new_homework": new,
            "summary": "Engaged and hopeful; mood slowly lifting.",
            "risk_review": "PHQ-9 item 9 answered 0; no thoughts of self-harm reported.",
        },
        now=session.ends_at,
    )
    services.sign_note(actor=therapist, appointment=session, now=session.ends_at)


def _complete_from(kind: str, patient: Patient, at: datetime) -> None:
    """Complete homework now (the event handler would do it on commit; this makes the
    demo the same inside a test transaction)."""
    event = Event.objects.filter(patient=patient, kind=kind, occurred_at=at).last()
    if event is not None:
        services.complete_from_event(event)


def _read_module(user: User, enrollment: Enrollment, key: str, at: datetime) -> None:
    from tandem.programs import services as programs

    slot = next(s for s in programs.slots(enrollment) if s.key == key)
    for offset, page in enumerate(slot.module.pages):
        programs.view_page(
            actor=user,
            enrollment=enrollment,
            module_key=key,
            page_id=page.id,
            now=at + timedelta(minutes=5 * offset),
        )
    done = at + timedelta(hours=1)
    programs.complete_module(actor=user, enrollment=enrollment, module_key=key, now=done)
    _complete_from("module.completed", enrollment.patient, done)


def _exercise(
    user: User, enrollment: Enrollment, module: str, exercise: str, at: datetime, n: int = 0
) -> None:
    from tandem.exercises import services as exercises
    from tandem.exercises.content import resolve
    from tandem.exercises.demo import sample
    from tandem.exercises.types import worksheet_class

    ref = resolve(enrollment, module, exercise, now=at)
    if ref is None:
        logger.warning("demo blended: exercise %s/%s not found", module, exercise)
        return
    sheet = worksheet_class(ref.exercise.type)(ref.exercise, data=sample(ref.exercise, at, n))
    if not sheet.is_valid():
        logger.warning("demo blended: sample answers for %s do not validate", exercise)
        return
    exercises.submit(
        actor=user,
        enrollment=enrollment,
        ref=ref,
        answers=sheet.answers(),
        token=uuid.uuid4(),
        now=at,
    )
    _complete_from("exercise.submitted", enrollment.patient, at)


def _questionnaire(
    therapist: User,
    user: User,
    enrollment: Enrollment,
    answers: list[int],
    at: datetime,
    assignment: Any = None,
) -> None:
    from tandem.assessments import services as assessments

    if assignment is None:
        assignment = assessments.assign(
            actor=therapist,
            patient=enrollment.patient,
            instrument="phq9",
            source="adhoc",
            enrollment=enrollment,
            available_at=at - timedelta(days=1),
            due_at=at + timedelta(days=2),
        )
    assessments.submit_response(actor=user, assignment=assignment, answers=answers, now=at)
    _complete_from("questionnaire.completed", enrollment.patient, at)


def _checkins(patient: Patient, now: datetime) -> None:
    """Mood check-ins over five weeks, with past times (as the wellbeing demo does)."""
    from tandem.wellbeing.models import CheckIn

    for index, mood in enumerate(MOODS):
        at = now - timedelta(days=35 - index * 3.3, hours=(index % 3) * 4)
        emotions = {"tiredness": 2} if mood < 5 else {"calm": 2}
        checkin = CheckIn.objects.create(
            patient=patient,
            recorded_at=at,
            created_at=at,
            mood=mood,
            emotions=emotions,
            client_token=uuid.uuid4(),
        )
        events.record(
            patient=patient,
            kind="checkin.recorded",
            actor=patient.user,
            ref=checkin,
            occurred_at=at,
            data={"mood": mood, "emotions": emotions, "has_note": False},
        )
