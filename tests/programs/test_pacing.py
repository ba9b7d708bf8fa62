"""Each pacing policy opens modules exactly when it should: the pure rules, then the same
through the services and the player (time-frozen)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tandem.programs import pacing, services
from tests.programs.engine import T0, enroll, fresh, states

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
MODULES = [
    pacing.ModuleRef("a"),
    pacing.ModuleRef("b"),
    pacing.ModuleRef("c", optional=True),
    pacing.ModuleRef("d"),
]


def run(policy: str, now=T0, **kwargs):  # type: ignore[no-untyped-def]
    result = pacing.module_states(MODULES, policy=policy, started_at=T0, now=now, **kwargs)
    return {s.key: s for s in result}


def by_state(policy: str, now=T0, **kwargs) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: s.state for k, s in run(policy, now, **kwargs).items()}


# --- pure rules ----------------------------------------------------------------------------------


def test_all_open_opens_everything_at_once():
    assert by_state("all_open") == {"a": "open", "b": "open", "c": "open", "d": "open"}


def test_sequential_waits_for_every_earlier_required_module():
    assert by_state("sequential") == {"a": "open", "b": "locked", "c": "locked", "d": "locked"}
    assert run("sequential")["b"].waiting_for == "previous"
    assert by_state("sequential", completed={"a"}) == {
        "a": "done",
        "b": "open",
        "c": "locked",
        "d": "locked",
    }
    # The optional module does not hold back the next required one.
    assert by_state("sequential", completed={"a", "b"}) == {
        "a": "done",
        "b": "done",
        "c": "open",
        "d": "open",
    }


@pytest.mark.parametrize("interval", [1, 7, 14])
def test_weekly_opens_each_module_exactly_on_its_day(interval):
    for index, key in enumerate("abcd"):
        opens = T0 + timedelta(days=interval * index)
        before = run("weekly", opens - SECOND, interval_days=interval)[key]
        at = run("weekly", opens, interval_days=interval)[key]
        assert at.state == "open"
        if index:
            assert before.state == "locked"
            assert before.opens_at == opens
            assert before.waiting_for == "date"


def test_after_feedback_needs_completion_and_then_feedback():
    assert run("after_feedback")["b"].waiting_for == "previous"
    waiting = run("after_feedback", completed={"a"})["b"]
    assert (waiting.state, waiting.waiting_for) == ("locked", "feedback")
    assert run("after_feedback", completed={"a"}, feedback={"a"})["b"].state == "open"
    assert run("after_feedback", completed={"a"}, feedback={"a"})["c"].state == "locked"


def test_therapist_policy_opens_the_first_module_and_what_the_therapist_unlocks():
    assert by_state("therapist") == {"a": "open", "b": "locked", "c": "locked", "d": "locked"}
    assert run("therapist")["b"].waiting_for == "therapist"
    assert by_state("therapist", unlocked={"d"})["d"] == "open"


def test_a_therapist_unlock_opens_a_module_under_any_policy():
    for policy in ("sequential", "weekly", "after_feedback", "therapist"):
        assert run(policy, unlocked={"d"})["d"].state == "open"


def test_pause_freezes_unlocks_but_keeps_opened_and_done_modules():
    later = T0 + 30 * DAY
    paused = run("weekly", later, paused=True, completed={"a"}, opened={"b"})
    assert paused["a"].state == "done"
    assert paused["b"].state == "open"
    assert (paused["c"].state, paused["c"].waiting_for) == ("locked", "paused")
    assert paused["d"].state == "locked"


def test_done_modules_stay_open_for_revisiting():
    result = run("therapist", completed={"b"})
    assert result["b"].state == "done"
    assert result["b"].is_open


def test_unknown_policy_is_an_error():
    with pytest.raises(ValueError, match="unknown pacing policy"):
        pacing.module_states(MODULES, policy="monthly", started_at=T0, now=T0)


def test_expected_completed_follows_the_agreed_pace():
    assert pacing.expected_completed(started_at=T0, now=T0 + 21 * DAY, per_week=1, total=6) == 3
    assert pacing.expected_completed(started_at=T0, now=T0 + 21 * DAY, per_week=0.5, total=6) == 1
    assert pacing.expected_completed(started_at=T0, now=T0 + 99 * DAY, per_week=2, total=6) == 6
    assert pacing.expected_completed(started_at=T0, now=T0 - DAY, per_week=1, total=6) == 0


# --- through the services (tailored list, progress, pause) ---------------------------------------


@pytest.mark.django_db
def test_weekly_through_the_service(personas):
    enrollment = enroll(personas)
    assert states(enrollment, T0) == {
        "intro": "open",
        "activity": "locked",
        "extra": "locked",
        "thoughts": "locked",
        "bonus": "locked",
    }
    assert states(enrollment, T0 + 7 * DAY - SECOND)["activity"] == "locked"
    assert states(enrollment, T0 + 7 * DAY)["activity"] == "open"
    assert states(enrollment, T0 + 21 * DAY)["thoughts"] == "open"
    assert states(enrollment, T0 + 21 * DAY)["bonus"] == "locked"


@pytest.mark.django_db
def test_sequential_through_the_service(personas):
    enrollment = enroll(personas, pacing_policy="sequential")
    user = personas.patient.user
    with time_machine.travel(T0 + DAY, tick=False):
        assert states(enrollment, T0 + DAY)["activity"] == "locked"
        services.complete_module(actor=user, enrollment=fresh(enrollment), module_key="intro")
        assert states(enrollment, T0 + DAY)["activity"] == "open"
        with pytest.raises(PermissionDenied):
            services.complete_module(
                actor=user, enrollment=fresh(enrollment), module_key="thoughts"
            )


@pytest.mark.django_db
def test_after_feedback_through_the_services(personas):
    enrollment = enroll(personas, pacing_policy="after_feedback")
    with time_machine.travel(T0 + DAY, tick=False):
        services.complete_module(
            actor=personas.patient.user, enrollment=fresh(enrollment), module_key="intro"
        )
        assert states(enrollment, T0 + DAY)["activity"] == "locked"
        services.record_module_feedback(
            actor=personas.therapist, enrollment=fresh(enrollment), module_key="intro"
        )
        assert states(enrollment, T0 + DAY)["activity"] == "open"


@pytest.mark.django_db
def test_therapist_unlock_through_the_service(personas):
    enrollment = enroll(personas, pacing_policy="therapist")
    assert states(enrollment, T0 + 90 * DAY)["thoughts"] == "locked"
    services.unlock_module(
        actor=personas.cover, enrollment=fresh(enrollment), module_key="thoughts"
    )
    assert states(enrollment, T0)["thoughts"] == "open"
    with pytest.raises(PermissionDenied):
        services.unlock_module(
            actor=personas.other_therapist, enrollment=fresh(enrollment), module_key="bonus"
        )


@pytest.mark.django_db
def test_pause_freezes_the_weekly_clock(personas):
    enrollment = enroll(personas)
    therapist = personas.therapist
    services.set_status(
        actor=therapist, enrollment=fresh(enrollment), status="paused", now=T0 + 3 * DAY
    )
    # Twenty days later nothing new has opened.
    assert states(enrollment, T0 + 20 * DAY)["activity"] == "locked"
    services.set_status(
        actor=therapist, enrollment=fresh(enrollment), status="active", now=T0 + 20 * DAY
    )
    # 17 days paused: module 2 opens on day 7 + 17 = 24, not on day 7.
    assert states(enrollment, T0 + 24 * DAY - SECOND)["activity"] == "locked"
    assert states(enrollment, T0 + 24 * DAY)["activity"] == "open"


@pytest.mark.django_db
def test_hidden_modules_leave_the_schedule_and_added_ones_join_it(personas):
    from tests.programs.engine import EXTRAS, load

    extras = load(EXTRAS)
    enrollment = enroll(personas)
    services.hide_module(
        actor=personas.therapist, enrollment=fresh(enrollment), module_key="activity"
    )
    services.add_module(
        actor=personas.therapist, enrollment=fresh(enrollment), version=extras, module_id="sleep"
    )
    result = states(enrollment, T0 + 7 * DAY)
    assert "activity" not in result
    assert list(result) == ["intro", "extra", "thoughts", "bonus", "extras.sleep"]
    assert result["extra"] == "open"  # moved up into the week-2 slot
    assert states(enrollment, T0 + 28 * DAY - SECOND)["extras.sleep"] == "locked"
    assert states(enrollment, T0 + 28 * DAY)["extras.sleep"] == "open"


# --- through the player --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_player_opens_a_weekly_module_exactly_on_time(personas, login):
    enrollment = enroll(personas)
    url = reverse("module_page", args=[enrollment.uuid, "activity", "main"])
    with time_machine.travel(T0 + 7 * DAY - SECOND, tick=False):
        assert login(personas.patient.user).get(url).status_code == 404
    with time_machine.travel(T0 + 7 * DAY, tick=False):
        assert login(personas.patient.user).get(url).status_code == 200
