"""Scoring vectors for WHO-5, WSAS, AUDIT and AUDIT-C (WHO AUDIT manual, Mundt 2002,
Topp 2015), plus prorating and reverse scoring on an in-test definition.

Pure tests: no database, no Django settings needed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tandem.assessments import definitions
from tandem.assessments.definitions import parse_definition
from tandem.assessments.scoring import (
    AnswerOutOfRange,
    InvalidAnswer,
    InvalidTotal,
    clinically_significant,
    reliable_change,
    score,
    score_definition,
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


# --- WHO-5 (higher is better; raw x 4) -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "total", "band", "flags"),
    [
        (0, 0, "likely depression", ("poor_wellbeing", "likely_depression")),
        (7, 28, "likely depression", ("poor_wellbeing", "likely_depression")),
        (8, 32, "poor well-being", ("poor_wellbeing",)),
        (12, 48, "poor well-being", ("poor_wellbeing",)),
        (13, 52, "adequate well-being", ()),
        (25, 100, "adequate well-being", ()),
    ],
)
def test_who5_percentage_bands_and_flags(
    raw: int, total: int, band: str, flags: tuple[str, ...]
) -> None:
    result = score("who5", spread(raw, 5, 5))
    assert (result.raw_total, result.total, result.band) == (raw, total, band)
    assert result.max_total == 100
    assert result.flag_codes == flags
    assert not result.critical  # flags are not safety alerts


def test_who5_flag_tiers() -> None:
    result = score("who5", [1, 1, 1, 1, 1])
    assert {f.code: f.tier for f in result.flags} == {
        "poor_wellbeing": "info",
        "likely_depression": "review",
    }


@pytest.mark.parametrize(
    ("baseline", "current", "change", "significant"),
    [
        (40, 52, "improved", True),
        (40, 48, "no_reliable_change", False),  # 8 points < 10
        (28, 40, "improved", False),  # still <= 50
        (52, 40, "deteriorated", False),
        (60, 52, "no_reliable_change", False),
        (52, 64, "improved", False),  # not poor at baseline
        (0, 100, "improved", True),
    ],
)
def test_who5_change_respects_direction(
    baseline: int, current: int, change: str, significant: bool
) -> None:
    assert reliable_change("who5", baseline, current) == change
    assert clinically_significant("who5", baseline, current) is significant


def test_who5_change_is_on_the_percentage_scale() -> None:
    with pytest.raises(InvalidTotal, match=r"outside 0\.\.100"):
        reliable_change("who5", 101, 50)


# --- WSAS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "subclinical"),
        (9, "subclinical"),
        (10, "significant impairment"),
        (20, "significant impairment"),
        (21, "moderately severe or worse"),
        (40, "moderately severe or worse"),
    ],
)
def test_wsas_band_boundaries(total: int, band: str) -> None:
    result = score("wsas", spread(total, 5, 8))
    assert (result.total, result.band) == (total, band)
    assert result.max_total == 40


def test_wsas_intermediate_values_are_allowed() -> None:
    result = score("wsas", [1, 3, 5, 7, 0])
    assert result.total == 16 and result.band == "significant impairment"


def test_wsas_work_item_not_applicable() -> None:
    result = score("wsas", [None, 2, 4, 6, 8])
    assert result.complete
    assert result.total == 20 and result.max_total == 32
    assert result.band == "significant impairment"
    assert result.skipped == (1,) and result.missing == ()
    assert score("wsas", {2: 8, 3: 8, 4: 8, 5: 8}).total == 32


def test_wsas_other_items_are_required() -> None:
    result = score("wsas", [4, None, 4, 4, 4])
    assert not result.complete and result.missing == (2,)


def test_wsas_has_no_reliable_change_index() -> None:
    assert reliable_change("wsas", 30, 5) is None
    assert clinically_significant("wsas", 30, 5) is None


# --- AUDIT -----------------------------------------------------------------------------------


def audit_for(total: int) -> list[int]:
    """Full AUDIT answers (no skips) with the given total; items 9-10 use 0/2/4."""
    first_eight = spread(min(total, 32), 8, 4)
    rest = total - sum(first_eight)
    return [*first_eight, *spread(rest, 2, 4)]


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "low risk"),
        (7, "low risk"),
        (8, "hazardous"),
        (15, "hazardous"),
        (16, "harmful"),
        (19, "harmful"),
        (20, "possible dependence"),
        (40, "possible dependence"),
    ],
)
def test_audit_zone_boundaries(total: int, band: str) -> None:
    answers = audit_for(total)
    result = score("audit", answers)
    assert (result.total, result.band) == (total, band)
    assert not result.critical  # the AUDIT has no critical items


def test_audit_possible_dependence_flag_at_20() -> None:
    assert "possible_dependence" in score("audit", [4, 4, 4, 4, 4, 0, 0, 0, 0, 0]).flag_codes
    assert "possible_dependence" not in score("audit", [4, 4, 4, 4, 3, 0, 0, 0, 0, 0]).flag_codes


@pytest.mark.parametrize(
    ("answers", "next_zone"),
    [
        ([2, 1, 1, 2, 0, 0, 0, 0, 0, 0], True),  # item 4 >= 2
        ([2, 1, 1, 0, 0, 2, 0, 0, 0, 0], True),  # item 6 >= 2
        ([2, 1, 1, 1, 1, 1, 0, 0, 0, 0], False),
        ([2, 1, 1, 0, 0, 0, 0, 0, 4, 0], True),  # item 9 = 4
        ([2, 1, 1, 0, 0, 0, 0, 0, 0, 4], True),  # item 10 = 4
        ([2, 1, 1, 0, 0, 0, 0, 0, 2, 2], False),  # "not in the last year"
    ],
)
def test_audit_who_escalation_rule(answers: list[int], next_zone: bool) -> None:
    assert ("next_zone" in score("audit", answers).flag_codes) is next_zone


def test_audit_items_9_10_take_0_2_4() -> None:
    assert score("audit", [1, 0, 1, 0, 0, 0, 0, 0, 2, 4]).total == 8
    for bad in (1, 3, 5):
        with pytest.raises(AnswerOutOfRange):
            score("audit", [1, 0, 1, 0, 0, 0, 0, 0, bad, 0])


def test_audit_skip_never_drinks() -> None:
    # Item 1 = Never: skip to items 9-10; skipped items score 0.
    result = score("audit", [0, None, None, None, None, None, None, None, 2, 0])
    assert result.complete and result.total == 2
    assert result.skipped == (2, 3, 4, 5, 6, 7, 8)
    assert result.missing == ()
    assert result.subscales == {"consumption": 0, "dependence": 0, "harm": 2}
    # Skipped items may also be sent as 0.
    assert score("audit", [0] * 8 + [2, 0]).total == 2


def test_audit_skip_low_quantity() -> None:
    # Items 2 and 3 both 0: skip to items 9-10.
    result = score("audit", {1: 2, 2: 0, 3: 0, 9: 0, 10: 4})
    assert result.complete and result.total == 6
    assert result.skipped == (4, 5, 6, 7, 8)
    assert result.flag_codes == ("next_zone",)


def test_audit_skipped_item_with_a_score_is_invalid() -> None:
    with pytest.raises(InvalidAnswer, match=r"item 4: is not asked when item 1 == 0"):
        score("audit", [0, None, None, 1, None, None, None, None, 0, 0])


def test_audit_unskipped_missing_item_is_incomplete() -> None:
    result = score("audit", [2, 1, None, 0, 0, 0, 0, 0, 0, 0])
    assert not result.complete and result.missing == (3,)
    assert result.subscales["consumption"] is None
    assert result.subscales["dependence"] == 0


def test_audit_subscales() -> None:
    result = score("audit", [3, 2, 2, 1, 1, 0, 2, 1, 2, 4])
    assert result.total == 18 and result.band == "harmful"
    assert result.subscales == {"consumption": 7, "dependence": 2, "harm": 9}


# --- AUDIT-C ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([0, None, None], 0, "negative"),
        ([1, 0, 1], 2, "negative"),
        ([2, 0, 1], 3, "positive for women"),
        ([2, 1, 1], 4, "positive"),
        ([4, 4, 4], 12, "positive"),
    ],
)
def test_auditc_bands(answers: list[int | None], total: int, band: str) -> None:
    result = score("auditc", answers)
    assert (result.total, result.band) == (total, band)
    assert not result.critical


def test_auditc_sex_specific_cutoffs() -> None:
    cutoffs = {c.code: c for c in definitions.get("auditc").cutoffs}
    assert cutoffs["positive_men"].is_met(4) and not cutoffs["positive_men"].is_met(3)
    assert cutoffs["positive_women"].is_met(3) and not cutoffs["positive_women"].is_met(2)
    assert cutoffs["finland_men"].value == 6 and cutoffs["finland_women"].value == 5
    assert reliable_change("auditc", 8, 2) is None


def test_auditc_skip_requires_empty_or_zero() -> None:
    with pytest.raises(InvalidAnswer):
        score("auditc", [0, 2, None])


# --- prorating and reverse scoring (in-test definition; no shipped instrument uses them) -----


def core10_like(rounding: str = "none") -> dict[str, Any]:
    """CORE-10-shaped definition with placeholder wording (CST rule: prorate 1 missing)."""
    return {
        "code": "coretest",
        "version": "1",
        "short_name": "CORE-TEST",
        "name": {"en": "Core-like test"},
        "direction": "higher_is_worse",
        "languages": ["en"],
        "translations_missing": {"fi": "test", "sv": "test"},
        "licence": {
            "group": "free_with_conditions",
            "status": "test",
            "attribution": "test",
            "source_url": "https://example.org/",
        },
        "source": {"citation": "test"},
        "recall_period": {"en": "Last week"},
        "instructions": {"en": "Test"},
        "options": {"freq": [{"value": v, "label": {"en": f"Option {v}"}} for v in range(5)]},
        "items": [
            {
                "number": n,
                "id": f"item{n}",
                "text": {"en": f"Item {n}"},
                "options": "freq",
                **({"reverse": True} if n in (2, 3) else {}),
            }
            for n in range(1, 11)
        ],
        "scoring": {
            "method": "sum",
            "range": [0, 40],
            "prorate": {"max_missing": 1, "rounding": rounding},
        },
        "bands": [
            {"min": 0, "max_exclusive": 11, "label": "below cut-off"},
            {"min": 11, "max_exclusive": 15, "label": "mild"},
            {"min": 15, "max": 40, "label": "moderate or worse"},
        ],
        "critical_items": [
            {"item": 6, "op": "==", "value": 1, "tier": "review", "kind": "suicide_risk"},
            {"item": 6, "op": ">=", "value": 2, "tier": "urgent", "kind": "suicide_risk"},
        ],
    }


def test_reverse_scored_items() -> None:
    definition = parse_definition(core10_like(), source="test")
    # Items 2 and 3 are positively worded: score = 4 - answer.
    result = score_definition(definition, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert result.total == 8
    assert result.item_scores[2] == 4 and result.item_scores[3] == 4
    assert score_definition(definition, [0, 4, 4, 0, 0, 0, 0, 0, 0, 0]).total == 0
    assert score_definition(definition, [4, 0, 0, 4, 4, 4, 4, 4, 4, 4]).total == 40


def test_prorating_one_missing_item() -> None:
    definition = parse_definition(core10_like(), source="test")
    answers = [2, 2, 2, 2, 2, 0, 2, 2, 2, None]  # item scores: 2,2,2,2,2,0,2,2,2 -> 16 / 9
    result = score_definition(definition, answers)
    assert result.complete and result.prorated
    assert result.missing == (10,)
    assert result.total == pytest.approx(160 / 9)  # mean of 9 answered x 10, not rounded
    assert result.band == "moderate or worse"


def test_prorating_stays_in_the_lower_band_between_integer_cutoffs() -> None:
    definition = parse_definition(core10_like(), source="test")
    # 13 over 9 items -> 14.44...: below 15, so still "mild".
    answers = [2, 4, 4, 2, 2, 0, 2, 2, 3, None]
    result = score_definition(definition, answers)
    assert result.total == pytest.approx(130 / 9)
    assert result.band == "mild"


def test_prorating_rounding_half_up() -> None:
    definition = parse_definition(core10_like("half_up"), source="test")
    result = score_definition(definition, [2, 4, 4, 2, 2, 0, 2, 2, 3, None])
    assert result.total == 14 and isinstance(result.total, int)
    half = score_definition(definition, [1, 4, 4, 0, 0, 0, 0, 0, 0, None])
    assert half.total == 1  # 1 / 9 x 10 = 1.11 -> 1


def test_two_missing_items_are_not_prorated() -> None:
    definition = parse_definition(core10_like(), source="test")
    result = score_definition(definition, [2, 2, 2, 2, 2, 0, 2, 2, None, None])
    assert not result.complete and not result.prorated
    assert result.total is None and result.missing == (9, 10)


def test_prorated_response_still_raises_critical() -> None:
    definition = parse_definition(core10_like(), source="test")
    result = score_definition(definition, [0, 4, 4, 0, 0, 2, 0, 0, 0, None])
    assert result.prorated and result.critical_tier == "urgent"
