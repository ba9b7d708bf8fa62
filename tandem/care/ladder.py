"""The outreach ladder for disengagement signals — pure, no ORM.

Each disengagement signal (silence, not started, module overdue, missed questionnaire)
proposes the next step: a warm message first, then a scheduled phone call (the step
that kept more patients in HUS's trial of telephone support for those at risk of
dropping out), then a care review. What was done and what came of it is recorded as an
``OutreachStep``, so the clinic can see which outreach works.

After a step the signal rests (is snoozed) for ``WAIT_DAYS`` to give the patient time to
answer; if the patient becomes active meanwhile the signal resolves and the pending
steps are marked *re-engaged*. If not, the signal comes back proposing the next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Step(models.TextChoices):
    WARM_MESSAGE = "warm_message", _("Warm message")
    PHONE_CALL = "phone_call", _("Scheduled phone call")
    CARE_REVIEW = "care_review", _("Care review")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    RE_ENGAGED = "re_engaged", _("Re-engaged")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    DECLINED = "declined", _("Declined")
    PLAN_AGREED = "plan_agreed", _("Agreed a new plan")
    PAUSED = "paused", _("Program paused")
    ENDED = "ended", _("Program ended")


ORDER: tuple[str, ...] = (Step.WARM_MESSAGE, Step.PHONE_CALL, Step.CARE_REVIEW)
WAIT_DAYS = {Step.WARM_MESSAGE: 4, Step.PHONE_CALL: 3, Step.CARE_REVIEW: 7}
# Outcomes that close the ladder: nothing more to propose for this signal.
CLOSING = frozenset({Outcome.RE_ENGAGED, Outcome.PLAN_AGREED, Outcome.PAUSED, Outcome.ENDED})


@dataclass(frozen=True)
class Done:
    step: str
    outcome: str


def next_step(done: Sequence[Done]) -> str | None:
    """The step to propose after ``done`` (oldest first), or None when the ladder is
    closed (a closing outcome, or the care review has been held)."""
    if not done:
        return ORDER[0]
    last = done[-1]
    if last.outcome in CLOSING:
        return None
    highest = max(ORDER.index(d.step) for d in done if d.step in ORDER)
    if highest + 1 < len(ORDER):
        return ORDER[highest + 1]
    return None


def wait_days(step: str) -> int:
    return WAIT_DAYS.get(step, 3)
