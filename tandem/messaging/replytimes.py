"""Reply times, measured in working hours: the patient-facing expectation, the
therapist's and clinic's statistics, and conversations waiting beyond the promise.

The time to first reply of a care-team message is stored on the message when it is
sent (``reply_working_hours``): a patient message waited from ``answers_since`` until
the first care-team message after it. Time to feedback on exercises is read from the
event stream (submission → the first feedback event for the same exercise answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from tandem.accounts.models import CareTeamMember, Role, User
from tandem.core.models import Event
from tandem.core.workhours import WorkCalendar, median, working_days_for, working_hours_between
from tandem.messaging.gestures import EXERCISE_FEEDBACK, EXERCISE_SUBMITTED
from tandem.messaging.models import ClinicMessagingPolicy, Conversation, Message

WINDOW = timedelta(days=90)


def policy_for(clinic: Any) -> ClinicMessagingPolicy:
    """The clinic's policy, or an unsaved one with the defaults."""
    policy = ClinicMessagingPolicy.objects.filter(clinic=clinic).select_related("clinic").first()
    if policy is None:
        policy = ClinicMessagingPolicy(clinic=clinic)
    return policy


def calendar_for(clinic: Any) -> WorkCalendar:
    return policy_for(clinic).calendar()


@dataclass(frozen=True)
class Expectation:
    working_days: int
    hours: float
    measured: bool  # True: the median of real replies; False: the clinic's promise
    samples: int


def reply_expectation(*, patient: Any, now: datetime | None = None) -> Expectation:
    """What the patient is told: the median of the care team's real first-reply times in
    the last 90 days, or the clinic's promise while there are too few replies."""
    now = now or timezone.now()
    policy = policy_for(patient.clinic)
    calendar = policy.calendar()
    team = CareTeamMember.objects.active(now).filter(patient=patient).values("therapist_id")
    hours = list(
        Message.objects.filter(
            sender_id__in=team, reply_working_hours__isnull=False, sent_at__gte=now - WINDOW
        ).values_list("reply_working_hours", flat=True)
    )
    if len(hours) >= max(policy.min_samples, 1):
        value = median(hours) or 0.0
        return Expectation(working_days_for(value, calendar), value, True, len(hours))
    promise = float(policy.promise_hours)
    return Expectation(working_days_for(promise, calendar), promise, False, len(hours))


@dataclass(frozen=True)
class Stats:
    count: int
    median: float | None
    p90: float | None
    within_promise: int

    @property
    def within_share(self) -> int | None:
        return round(100 * self.within_promise / self.count) if self.count else None


def _stats(values: list[float], promise: float) -> Stats:
    if not values:
        return Stats(0, None, None, 0)
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return Stats(len(values), median(values), p90, sum(1 for v in values if v <= promise))


def first_reply_hours(
    *, therapist: User | None = None, clinic: Any = None, since: datetime, until: datetime
) -> list[float]:
    replies = Message.objects.filter(
        reply_working_hours__isnull=False, sent_at__gte=since, sent_at__lt=until
    )
    if therapist is not None:
        replies = replies.filter(sender=therapist)
    if clinic is not None:
        replies = replies.filter(conversation__clinic=clinic)
    return list(replies.values_list("reply_working_hours", flat=True))


def feedback_hours(
    *,
    calendar: WorkCalendar,
    therapist: User | None = None,
    clinic: Any = None,
    since: datetime,
    until: datetime,
) -> list[float]:
    """Working hours from each exercise submission to its first feedback (by the
    therapist, or anyone in the clinic), for feedback given in the window."""
    feedback = Event.objects.filter(
        kind__in=EXERCISE_FEEDBACK,
        occurred_at__gte=since,
        occurred_at__lt=until,
        ref_uuid__isnull=False,
    )
    if therapist is not None:
        feedback = feedback.filter(actor=therapist)
    if clinic is not None:
        feedback = feedback.filter(patient__clinic=clinic)
    given = list(feedback.order_by("occurred_at").values_list("ref_uuid", "occurred_at"))
    if not given:
        return []
    submitted: dict[Any, datetime] = {}
    for ref, at in (
        Event.objects.filter(kind__in=EXERCISE_SUBMITTED, ref_uuid__in={r for r, _ in given})
        .order_by("occurred_at")
        .values_list("ref_uuid", "occurred_at")
    ):
        submitted.setdefault(ref, at)
    hours: list[float] = []
    seen: set[Any] = set()
    for ref, at in given:
        if ref in seen or ref not in submitted:
            continue
        seen.add(ref)
        hours.append(working_hours_between(submitted[ref], at, calendar))
    return hours


@dataclass(frozen=True)
class TherapistStats:
    therapist: User
    replies: Stats
    feedback: Stats
    waiting: int


def therapist_stats(
    *, therapist: User, now: datetime | None = None, window: timedelta = WINDOW
) -> TherapistStats:
    now = now or timezone.now()
    policy = policy_for(therapist.clinic)
    calendar = policy.calendar()
    since = now - window
    promise = float(policy.promise_hours)
    waiting = (
        Conversation.objects.filter(
            awaiting_reply_since__isnull=False,
            patient__care_team__in=CareTeamMember.objects.active(now).filter(therapist=therapist),
        )
        .distinct()
        .count()
    )
    return TherapistStats(
        therapist,
        _stats(first_reply_hours(therapist=therapist, since=since, until=now), promise),
        _stats(
            feedback_hours(calendar=calendar, therapist=therapist, since=since, until=now), promise
        ),
        waiting,
    )


def clinic_stats(
    *, clinic: Any, now: datetime | None = None, window: timedelta = WINDOW
) -> tuple[Stats, Stats, list[TherapistStats]]:
    now = now or timezone.now()
    policy = policy_for(clinic)
    calendar = policy.calendar()
    since = now - window
    promise = float(policy.promise_hours)
    therapists = User.objects.filter(clinic=clinic, role=Role.THERAPIST, is_active=True)
    rows = [therapist_stats(therapist=t, now=now, window=window) for t in therapists]
    return (
        _stats(first_reply_hours(clinic=clinic, since=since, until=now), promise),
        _stats(feedback_hours(calendar=calendar, clinic=clinic, since=since, until=now), promise),
        rows,
    )


def overdue_conversations(clinic: Any, now: datetime | None = None) -> list[Conversation]:
    """Conversations whose oldest unanswered patient message has waited longer than the
    clinic's promise, in working hours; oldest first. For the therapist workspace."""
    now = now or timezone.now()
    policy = policy_for(clinic)
    calendar = policy.calendar()
    promise = float(policy.promise_hours)
    # Working hours never exceed wall-clock hours: a cheap pre-filter in SQL.
    candidates = (
        Conversation.objects.filter(
            clinic=clinic,
            awaiting_reply_since__isnull=False,
            awaiting_reply_since__lte=now - timedelta(hours=promise),
        )
        .select_related("patient__user", "enrollment")
        .order_by("awaiting_reply_since")
    )
    return [
        conversation
        for conversation in candidates
        if working_hours_between(conversation.awaiting_reply_since, now, calendar) > promise
    ]
