"""Demo conversations: messages both ways over several weeks, gestures of each support
function, measured reply times, an alliance pulse trend and one unanswered message.
Skips quietly when no enrollment exists (programs not seeded)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from tandem.accounts.models import CareTeamMember
from tandem.core import events
from tandem.core.workhours import working_hours_between
from tandem.messaging import gestures, replytimes
from tandem.messaging.models import (
    AlliancePulse,
    Conversation,
    Direction,
    Message,
    PulseStatus,
)
from tandem.messaging.services import conversation_for

# (days ago, hour, who, text, functions, context, template)
SCRIPT = [
    (
        34,
        10,
        "patient",
        "Hi, I started the first module. It was more to read than I thought, "
        "but the part about low mood and doing less made sense to me.",
        (),
        "",
        "",
    ),
    (33, 9, "team", "", ("alliance", "autonomy"), "module_completed", "default:module-done"),
    (
        27,
        20,
        "patient",
        "This week was hard. I stayed in bed most of Sunday and felt guilty "
        "about it. I did write the activity diary though.",
        (),
        "",
        "",
    ),
    (
        26,
        11,
        "team",
        "",
        ("emotion_regulation", "alliance"),
        "exercise_submitted",
        "default:exercise-feelings",
    ),
    (
        19,
        14,
        "patient",
        "Thank you. The breathing exercise helped a bit on Thursday. "
        "Can I do the next module slower?",
        (),
        "",
        "",
    ),
    (
        18,
        13,
        "team",
        "Of course, {first_name}. You choose the pace: one module every two weeks "
        "is fine, or we can look at it together after the next questionnaire. Would you "
        "like that?",
        ("autonomy",),
        "",
        "",
    ),
    (
        10,
        9,
        "team",
        "",
        ("alliance", "autonomy", "emotion_regulation"),
        "silent_week",
        "default:silent-week",
    ),
    (
        9,
        18,
        "patient",
        "Sorry for the silence. Work was busy. I'd like to continue with the "
        "thoughts module next week. Here is the article I mentioned: "
        "https://example.org/sleep-and-mood",
        (),
        "",
        "",
    ),
    (8, 10, "team", "", ("alliance",), "score_improved", "default:score-better"),
    (
        1,
        19,
        "patient",
        "I tried the thought record but I am not sure I did it right. Could "
        "you have a look when you have time?",
        (),
        "",
        "",
    ),
]


def _at(now: datetime, days: int, hour: int) -> datetime:
    local = timezone.localtime(now - timedelta(days=days))
    return local.replace(hour=hour, minute=15, second=0, microsecond=0)


# What each demo gesture was about (the values a real context would resolve to).
DEMO_CONTEXT = {
    "default:module-done": {"work": "the first module"},
    "default:exercise-feelings": {"work": "your activity diary", "quote": "felt guilty about it"},
    "default:silent-week": {"change": "9 days"},
    "default:score-better": {"change": "PHQ-9 from 15 to 10"},
}


def _text(raw: str, *, template_key: str, patient_name: str, therapist_name: str) -> str:
    if raw:
        return raw.replace("{first_name}", gestures.first_name(patient_name))
    template = gestures.find_template(user=None, key=template_key, language="en")
    if template is None:
        raise LookupError(f"demo template {template_key} is missing")
    context = gestures.Context("demo", **DEMO_CONTEXT.get(template_key, {}))
    return gestures.suggest(
        context=context, template=template, patient_name=patient_name, therapist_name=therapist_name
    )


def _play(conversation: Conversation, therapist, now: datetime) -> None:  # type: ignore[no-untyped-def]
    patient = conversation.patient
    calendar = replytimes.calendar_for(conversation.clinic)
    waiting: datetime | None = None
    last = None
    for days, hour, who, raw, functions, context, template in SCRIPT:
        at = _at(now, days, hour)
        team = who == "team"
        sender = therapist if team else patient.user
        message = Message(
            conversation=conversation,
            sender=sender,
            direction=Direction.TEAM_TO_PATIENT if team else Direction.PATIENT_TO_TEAM,
            body=_text(
                raw,
                template_key=template,
                patient_name=patient.user.full_name,
                therapist_name=therapist.full_name,
            ),
            client_token=uuid.uuid4(),
            sent_at=at,
            created_at=at,
            context_kind=context,
            template_key=template,
            **{f"fn_{f}": True for f in functions},
        )
        if team and waiting is not None:
            message.answers_since = waiting
            message.reply_working_hours = round(working_hours_between(waiting, at, calendar), 3)
            waiting = None
        elif not team and waiting is None:
            waiting = at
        if days > 1:
            message.read_at = at + timedelta(hours=3)
            message.read_by = patient.user if team else therapist
        message.save()
        events.record(
            patient=patient,
            kind="message.sent",
            actor=sender,
            ref=message,
            occurred_at=at,
            data={
                "direction": message.direction,
                "functions": message.functions,
                "conversation": str(conversation.uuid),
                "context": context,
            },
        )
        last = at
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=last, awaiting_reply_since=waiting, message_count=len(SCRIPT)
    )
    for days, understood, helps in ((30, 4, 4), (23, 4, 5), (16, 5, 4), (7, 4, 4)):
        at = _at(now, days, 12)
        AlliancePulse.objects.create(
            conversation=conversation,
            patient=patient,
            therapist=therapist,
            trigger="reply",
            status=PulseStatus.ANSWERED,
            understood=understood,
            helps=helps,
            answered_at=at,
            created_at=at,
        )


def seed() -> None:
    from tandem.programs.models import Enrollment

    now = timezone.now()
    enrollments = (
        Enrollment.objects.filter(
            patient__user__email__in=[
                "patient@example.org",
                "patient3@example.org",
                "patient4@example.org",
            ]
        )
        .select_related("patient__user", "patient__clinic")
        .order_by("patient__user__email", "-started_at")
    )
    seen: set[int] = set()
    for enrollment in enrollments:
        if enrollment.patient_id in seen:
            continue
        seen.add(enrollment.patient_id)
        member = (
            CareTeamMember.objects.active()
            .filter(patient=enrollment.patient, team_role=CareTeamMember.TeamRole.PRIMARY)
            .select_related("therapist")
            .first()
        )
        if member is None:
            continue
        conversation = conversation_for(enrollment)
        if conversation.messages.exists():
            continue
        _play(conversation, member.therapist, now)
