"""The pure parts: time-based rules, adherence and dropout risk, the outreach ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tandem.care import adherence, ladder, rules
from tandem.care.kinds import SignalKind as K

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)


def facts(**kw):  # type: ignore[no-untyped-def]
    base = dict(
        status="active",
        started_at=NOW - timedelta(days=30),
        last_activity_at=NOW - timedelta(days=1),
        modules_completed=4,
        modules_total=8,
        pace_per_week=1.0,
        pacing_policy="weekly",
        guidance_mode="guided",
        program_code="depression",
    )
    base.update(kw)
    return rules.EnrollmentFacts(**base)


def kinds(found):  # type: ignore[no-untyped-def]
    return [w.kind for w in found]


def test_silence_threshold_depends_on_pacing_and_guidance():
    ten = facts(last_activity_at=NOW - timedelta(days=10))
    assert kinds(rules.time_signals(ten, NOW, {})) == [K.SILENCE]
    nine = facts(last_activity_at=NOW - timedelta(days=9, hours=23))
    assert K.SILENCE not in kinds(rules.time_signals(nine, NOW, {}))
    therapist_paced = facts(last_activity_at=NOW - timedelta(days=12), pacing_policy="therapist")
    assert K.SILENCE not in kinds(rules.time_signals(therapist_paced, NOW, {}))
    self_guided = facts(last_activity_at=NOW - timedelta(days=20), guidance_mode="self_guided")
    assert K.SILENCE not in kinds(rules.time_signals(self_guided, NOW, {}))


def test_clinic_and_program_rules_override_the_defaults():
    silent = facts(last_activity_at=NOW - timedelta(days=6))
    clinic = {("", K.SILENCE): rules.RuleConfig(True, 5, None)}
    assert K.SILENCE in kinds(rules.time_signals(silent, NOW, clinic))
    program = {**clinic, ("depression", K.SILENCE): rules.RuleConfig(True, 8, None)}
    assert K.SILENCE not in kinds(rules.time_signals(silent, NOW, program))
    off = {("", K.SILENCE): rules.RuleConfig(False, None, None)}
    long_silent = facts(last_activity_at=NOW - timedelta(days=30))
    assert K.SILENCE not in kinds(rules.time_signals(long_silent, NOW, off))


def test_not_started_fourteen_days_after_the_start():
    new = facts(last_activity_at=None, modules_completed=0, started_at=NOW - timedelta(days=13))
    assert rules.time_signals(new, NOW, {}) == []
    late = facts(last_activity_at=None, modules_completed=0, started_at=NOW - timedelta(days=14))
    found = rules.time_signals(late, NOW, {})
    assert kinds(found) == [K.NOT_STARTED]  # no module overdue on top of it
    assert found[0].since == late.started_at


def test_module_overdue_against_the_pace_agreement_with_grace():
    # 3 weeks at one module a week, grace 3 days: 2 expected (at now - 3 days), 1 done.
    behind = facts(started_at=NOW - timedelta(days=21), modules_completed=1)
    found = rules.time_signals(behind, NOW, {})
    assert kinds(found) == [K.MODULE_OVERDUE]
    assert found[0].params == {"completed": 1, "expected": 3}
    on_pace = facts(started_at=NOW - timedelta(days=21), modules_completed=2)
    assert rules.time_signals(on_pace, NOW, {}) == []
    # a faster agreed pace expects more
    fast = facts(started_at=NOW - timedelta(days=21), modules_completed=2, pace_per_week=2.0)
    assert kinds(rules.time_signals(fast, NOW, {})) == [K.MODULE_OVERDUE]


def test_enrollment_ending_and_paused_enrollments():
    ending = facts(ends_at=NOW + timedelta(days=6))
    assert K.ENROLLMENT_ENDING in kinds(rules.time_signals(ending, NOW, {}))
    later = facts(ends_at=NOW + timedelta(days=8))
    assert K.ENROLLMENT_ENDING not in kinds(rules.time_signals(later, NOW, {}))
    paused = facts(status="paused", last_activity_at=NOW - timedelta(days=40))
    assert rules.time_signals(paused, NOW, {}) == []


def test_dropout_risk_shows_its_reasons():
    result = adherence.assess(
        adherence.AdherenceInput(
            now=NOW,
            status="active",
            started_at=NOW - timedelta(days=28),
            last_activity_at=NOW - timedelta(days=12),
            modules_completed=1,
            modules_total=8,
            pace_per_week=1.0,
            exercises_submitted=2,
            questionnaires_due=4,
            questionnaires_done=3,
            active_days=5,
        )
    )
    assert result.modules_expected == 4
    assert result.status == "behind"
    assert result.risk == "high"  # silent 7–13 days (2) + 3 modules behind (2)
    assert result.score == 4
    assert adherence.reasons_text(result.reason_list) == (
        "no activity for 12 days; 1 of 4 expected modules"
    )


def test_risk_levels_and_statuses():
    steady = adherence.assess(
        adherence.AdherenceInput(
            now=NOW,
            status="active",
            started_at=NOW - timedelta(days=14),
            last_activity_at=NOW - timedelta(days=1),
            modules_completed=2,
            modules_total=8,
            exercises_submitted=3,
            active_days=9,
        )
    )
    assert (steady.status, steady.risk, steady.score) == ("on_track", "low", 0)
    never = adherence.assess(
        adherence.AdherenceInput(
            now=NOW, status="active", started_at=NOW - timedelta(days=9), modules_total=8
        )
    )
    assert never.status == "not_started" and never.risk == "high"
    assert adherence.reasons_text(never.reason_list).startswith("nothing opened 9 days")
    paused = adherence.assess(adherence.AdherenceInput(now=NOW, status="paused"))
    assert paused.status == "paused" and paused.risk == ""
    none = adherence.assess(adherence.AdherenceInput(now=NOW, status=""))
    assert none.status == "no_program"


def test_the_outreach_ladder():
    D = ladder.Done
    assert ladder.next_step([]) == ladder.Step.WARM_MESSAGE
    assert ladder.next_step([D("warm_message", "pending")]) == ladder.Step.PHONE_CALL
    assert ladder.next_step([D("warm_message", "no_answer")]) == ladder.Step.PHONE_CALL
    assert (
        ladder.next_step([D("warm_message", "no_answer"), D("phone_call", "no_answer")])
        == ladder.Step.CARE_REVIEW
    )
    assert ladder.next_step([D("warm_message", "re_engaged")]) is None
    assert (
        ladder.next_step(
            [D("warm_message", "no_answer"), D("phone_call", "declined"), D("care_review", "x")]
        )
        is None
    )
