"""Scoring vectors written from the manuals (PHQ/GAD-7 instruction manual, WHO AUDIT
manual, Mundt 2002, Topp 2015) and the Tandem safety protocol (clinical brief §4.3).

Pure tests: no database, no Django settings needed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.assessments import definitions
from tandem.assessments.scoring import (
    AnswerOutOfRange,
    InvalidAnswer,
    InvalidFollowup,
    InvalidTotal,
    ScoreResult,
    ScoringError,
    UnknownInstrument,
    WrongItemCount,
    clinically_significant,
    reliable_change,
    score,
)


def spread(total: int, n: int, item_max: int) -> list[int]:
    """n answers (each 0..item_max) summing to total, filled from the first item."""
    assert 0 <= total <= n * item_max
    answers = []
    for _ in range(n):
        value = min(item_max, total)
        answers.append(value)
        total -= value
    return answers


# --- PHQ-9 ----------------------------------------------------------------------------------


def phq9_for(total: int) -> list[int]:
    """PHQ-9 answers with the given total, keeping item 9 at 0 while possible."""
    first_eight = spread(min(total, 24), 8, 3)
    return [*first_eight, total - sum(first_eight)]


@pytest.mark.parametrize(
    ("total", "band", "index"),
    [
        (0, "minimal", 0),
        (4, "minimal", 0),
        (5, "mild", 1),
        (9, "mild", 1),
        (10, "moderate", 2),
        (14, "moderate", 2),
        (15, "moderately severe", 3),
        (19, "moderately severe", 3),
        (20, "severe", 4),
        (24, "severe", 4),
        (27, "severe", 4),
    ],
)
def test_phq9_band_boundaries(total: int, band: str, index: int) -> None:
    result = score("phq9", phq9_for(total))
    assert (result.total, result.raw_total, result.band, result.band_index) == (
        total,
        total,
        band,
        index,
    )
    assert result.complete and not result.prorated and result.missing == ()
    assert result.max_total == 27


def test_phq9_manual_example() -> None:
    # Sum of items 1-9; item 10 (difficulty) is recorded but not added.
    result = score("phq9", [1, 2, 0, 3, 1, 0, 2, 1, 0, 2])
    assert result.total == 10
    assert result.band == "moderate"
    assert result.item_scores[10] == 2
    assert result.answered == tuple(range(1, 11))
    assert not result.critical


def test_phq9_item10_optional_and_unscored() -> None:
    nine = score("phq9", [0] * 9)
    ten = score("phq9", [0] * 9 + [3])
    assert nine.total == ten.total == 0
    assert nine.complete and ten.complete
    assert nine.skipped == (10,)
    assert score("phq9", [0] * 9 + [None]).complete


@pytest.mark.parametrize(
    ("item9", "critical", "tier"),
    [(0, False, None), (1, True, "review"), (2, True, "urgent"), (3, True, "urgent")],
)
def test_phq9_item9_tiers(item9: int, critical: bool, tier: str | None) -> None:
    result = score("phq9", [0] * 8 + [item9])
    assert result.critical is critical
    assert result.critical_tier == tier
    assert result.critical_items == ((9,) if critical else ())
    if critical:
        (hit,) = result.critical_hits
        assert (hit.item, hit.tier, hit.kind, hit.value) == (9, tier, "suicide_risk", item9)


def test_phq9_critical_is_independent_of_total() -> None:
    # Clinical brief vector PHQ-9-09: total 2, urgent.
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2])
    assert result.total == 2 and result.band == "minimal"
    assert result.critical_tier == "urgent"


def test_phq9_critical_fires_even_when_incomplete() -> None:
    result = score("phq9", [None, 0, 0, 0, 0, 0, 0, 0, 1])
    assert not result.complete
    assert result.total is None and result.band is None
    assert result.critical_tier == "review"


@pytest.mark.parametrize(
    ("followup", "tier", "positive"),
    [
        (None, "review", ()),
        ({}, "review", ()),
        ({"thoughts": False, "plan": False, "intent": False}, "review", ()),
        ({"thoughts": None, "plan": None, "intent": None}, "review", ()),
        ({"thoughts": True, "plan": False, "intent": False}, "urgent", ("thoughts",)),
        ({"thoughts": False, "plan": True}, "urgent", ("plan",)),
        ({"intent": True}, "urgent", ("intent",)),
        (
            {"thoughts": True, "plan": True, "intent": True},
            "urgent",
            ("thoughts", "plan", "intent"),
        ),
    ],
)
def test_phq9_followup_yes_raises_to_urgent(
    followup: dict[str, bool] | None, tier: str, positive: tuple[str, ...]
) -> None:
    result = score("phq9", [0] * 8 + [1], followup=followup)
    assert result.critical_tier == tier
    assert result.followup_positive == positive
    assert result.critical_items == (9,)
    assert {h.followup for h in result.critical_hits} == {"", *positive}


def test_phq9_followup_yes_is_never_dropped() -> None:
    # A "yes" counts even if the trigger item reads 0 (e.g. the patient changed it).
    result = score("phq9", [0] * 9, followup={"plan": True})
    assert result.critical and result.critical_tier == "urgent"
    assert result.critical_items == (9,)


@pytest.mark.parametrize(
    ("code", "followup", "match"),
    [
        ("phq9", {"suicide": True}, "unknown follow-up question 'suicide'"),
        ("phq9", {"plan": "yes"}, "must be true or false"),
        ("phq9", {"plan": 1}, "must be true or false"),
        ("phq9", [("plan", True)], "mapping"),
        ("gad7", {"plan": True}, "known: none"),
    ],
)
def test_invalid_followup(code: str, followup: Any, match: str) -> None:
    answers = [0] * definitions.get(code).n_items
    with pytest.raises(InvalidFollowup, match=match):
        score(code, answers, followup=followup)


def test_phq9_missing_item_is_incomplete() -> None:
    # The PHQ-9 is forced-response: no prorating; item 9 is never imputed.
    result = score("phq9", [1, 1, 1, None, 1, 1, 1, 1, 0])
    assert not result.complete and not result.prorated
    assert result.total is None and result.raw_total is None
    assert result.band is None and result.band_index is None
    assert result.missing == (4,)
    assert result.answered == (1, 2, 3, 5, 6, 7, 8, 9)


def test_mapping_answers_equal_list_answers() -> None:
    answers = [2, 1, 0, 3, 1, 2, 0, 1, 0]
    as_mapping = score("phq9", {i + 1: v for i, v in enumerate(answers)})
    assert as_mapping == score("phq9", answers)
    assert score("phq9", tuple(answers)) == score("phq9", answers)
    partial = score("phq9", {1: 3, 9: 2})
    assert not partial.complete
    assert partial.missing == (2, 3, 4, 5, 6, 7, 8)
    assert partial.critical_tier == "urgent"


def test_result_is_frozen() -> None:
    result = score("phq9", [0] * 9)
    assert isinstance(result, ScoreResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.subscales["x"] = 1  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "answers", "error", "match"),
    [
        ("phq9", [0] * 8, WrongItemCount, "expected 9 to 10 answers, got 8"),
        ("phq9", [0] * 11, WrongItemCount, "got 11"),
        ("phq9", [], WrongItemCount, "got 0"),
        ("gad7", [0] * 6, WrongItemCount, "expected 7 answers, got 6"),
        ("wsas", [2, 2, 2, 2], WrongItemCount, "expected 5 answers"),
        ("phq9", {0: 1}, WrongItemCount, "no item 0"),
        ("phq9", {11: 1}, WrongItemCount, "no item 11"),
        ("phq9", {"1": 1}, WrongItemCount, "item numbers"),
        ("phq9", [0] * 8 + [4], AnswerOutOfRange, "item 9: 4 is not an allowed value"),
        ("phq9", [-1] + [0] * 8, AnswerOutOfRange, "item 1: -1"),
        ("gad7", [0, 0, 0, 0, 0, 0, 7], AnswerOutOfRange, "item 7"),
        ("who5", [6, 0, 0, 0, 0], AnswerOutOfRange, "item 1: 6"),
        ("wsas", [9, 0, 0, 0, 0], AnswerOutOfRange, "item 1: 9"),
        (
            "audit",
            [0] * 8 + [1, 0],
            AnswerOutOfRange,
            r"item 9: 1 is not an allowed value \(0, 2, 4\)",
        ),
        ("audit", [0] * 9 + [3], AnswerOutOfRange, "item 10: 3"),
        ("phq9", [True] + [0] * 8, InvalidAnswer, "must be an int"),
        ("phq9", [1.0] + [0] * 8, InvalidAnswer, "must be an int"),
        ("phq9", ["1"] + [0] * 8, InvalidAnswer, "must be an int"),
        ("phq9", "000000000", InvalidAnswer, "list or a mapping"),
        ("phq9", 9, InvalidAnswer, "list or a mapping"),
    ],
)
def test_invalid_answers_raise(code: str, answers: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        score(code, answers)
    assert isinstance(info.value, ScoringError)
    assert isinstance(info.value, ValueError)


def test_unknown_code() -> None:
    with pytest.raises(UnknownInstrument, match="unknown instrument 'phq10'"):
        score("phq10", [0] * 9)
    with pytest.raises(UnknownInstrument):
        score(None, [0] * 9)  # type: ignore[arg-type]
    with pytest.raises(UnknownInstrument):
        reliable_change("phq10", 10, 5)


@given(
    st.lists(st.integers(0, 3), min_size=9, max_size=9),
    st.one_of(st.none(), st.integers(0, 3)),
)
def test_phq9_property_any_complete_answer_list(items: list[int], item10: int | None) -> None:
    answers: list[int | None] = [*items, item10] if item10 is not None else list(items)
    result = score("phq9", answers)
    definition = definitions.get("phq9")
    assert result.complete
    assert result.total == sum(items)
    assert 0 <= result.total <= 27
    containing = [i for i, band in enumerate(definition.bands) if band.contains(result.total)]
    assert containing == [result.band_index]
    assert result.band == definition.bands[result.band_index].label
    assert result.critical is (items[8] > 0)
    assert result.critical_tier == {0: None, 1: "review"}.get(items[8], "urgent")


# --- GAD-7 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_boundaries(total: int, band: str) -> None:
    result = score("gad7", spread(total, 7, 3))
    assert (result.total, result.band) == (total, band)
    assert not result.critical


def test_gad7_has_no_critical_item() -> None:
    result = score("gad7", [3] * 7)
    assert result.total == 21
    assert not result.critical and result.critical_tier is None and result.critical_items == ()


@pytest.mark.parametrize(
    ("baseline", "current", "change", "significant"),
    [
        (12, 8, "improved", False),  # 8 is still caseness (>= 8)
        (12, 7, "improved", True),
        (10, 5, "improved", True),
        (12, 9, "no_reliable_change", False),
        (9, 12, "no_reliable_change", False),
        (8, 12, "deteriorated", False),
        (6, 2, "improved", False),  # started below caseness
    ],
)
def test_gad7_reliable_and_clinically_significant_change(
    baseline: int, current: int, change: str, significant: bool
) -> None:
    assert reliable_change("gad7", baseline, current) == change
    assert clinically_significant("gad7", baseline, current) is significant


# --- PHQ-9 change -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "change", "significant"),
    [
        (15, 9, "improved", True),
        (16, 10, "improved", False),  # 10 is still caseness
        (20, 12, "improved", False),
        (15, 10, "no_reliable_change", False),
        (15, 20, "no_reliable_change", False),
        (9, 15, "deteriorated", False),
        (9, 3, "improved", False),  # not a case at baseline
        (27, 0, "improved", True),
    ],
)
def test_phq9_reliable_and_clinically_significant_change(
    baseline: int, current: int, change: str, significant: bool
) -> None:
    assert reliable_change("phq9", baseline, current) == change
    assert clinically_significant("phq9", baseline, current) is significant


@pytest.mark.parametrize(
    ("baseline", "current", "match"),
    [
        (28, 10, "outside 0..27"),
        (10, -1, "outside"),
        ("10", 5, "must be a number"),
        (10, True, "number"),
    ],
)
def test_change_rejects_invalid_totals(baseline: Any, current: Any, match: str) -> None:
    with pytest.raises(InvalidTotal, match=match):
        reliable_change("phq9", baseline, current)
    with pytest.raises(InvalidTotal):
        clinically_significant("phq9", baseline, current)


def test_change_with_incomplete_totals_is_none() -> None:
    assert reliable_change("phq9", None, 5) is None
    assert reliable_change("phq9", 15, None) is None
    assert clinically_significant("phq9", None, 5) is None
