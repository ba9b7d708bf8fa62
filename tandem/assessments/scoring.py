"""Score questionnaire answers against an instrument definition (pure; no Django, no ORM).

Public API (other apps call exactly this)::

    score(code, answers, *, followup=None) -> ScoreResult
    reliable_change(code, baseline_total, current_total)
        -> "improved" | "deteriorated" | "no_reliable_change" | None
    clinically_significant(code, baseline, current) -> bool | None

``answers`` are the answer values as printed on the form (the manual's item scores;
for reverse-scored items the raw response, which scoring reverses), in item order (a
list) or keyed by 1-based item number (a mapping). ``None`` or a left-out mapping key
means "not answered". Trailing optional items (PHQ-9 item 10) may be left off a list.

Invalid input raises a :class:`ScoringError` subclass; nothing partial is returned.
Critical items are evaluated on every answered item, also when the response is
incomplete: a risk answer is never lost because another item is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from tandem.assessments import definitions
from tandem.assessments.errors import (
    AnswerOutOfRange,
    InvalidAnswer,
    InvalidFollowup,
    InvalidTotal,
    ScoringError,
    UnknownInstrument,
    WrongItemCount,
)
from tandem.assessments.schema import TIER_RANK, Condition, InstrumentDefinition, Number

__all__ = [
    "AnswerOutOfRange",
    "CriticalHit",
    "FlagHit",
    "InvalidAnswer",
    "InvalidFollowup",
    "InvalidTotal",
    "ScoreResult",
    "ScoringError",
    "UnknownInstrument",
    "WrongItemCount",
    "clinically_significant",
    "reliable_change",
    "score",
    "score_definition",
]

Answers = Sequence[int | None] | Mapping[int, int | None]
ChangeResult = Literal["improved", "deteriorated", "no_reliable_change"]


@dataclass(frozen=True)
class CriticalHit:
    """Why a response is critical: an item rule or a "yes" to a follow-up question."""

    item: int
    tier: Literal["review", "urgent"]
    kind: str
    #: The item's answer value (for follow-up hits: the item's answer, or None).
    value: int | None
    #: The follow-up question id for follow-up hits, else "".
    followup: str = ""


@dataclass(frozen=True)
class FlagHit:
    code: str
    tier: Literal["info", "review"]


@dataclass(frozen=True)
class ScoreResult:
    code: str
    version: str
    #: Reported total (after multiplier and prorating); None when incomplete.
    total: int | float | None
    #: Total before the multiplier (WHO-5: 0..25 while total is 0..100); None when incomplete.
    raw_total: int | float | None
    #: Highest possible total for the items that apply (WSAS without the work item: 32).
    max_total: int | float
    band: str | None
    band_index: int | None
    critical: bool
    critical_tier: Literal["review", "urgent"] | None
    #: Item numbers whose critical rule (or follow-up) fired, ascending.
    critical_items: tuple[int, ...]
    critical_hits: tuple[CriticalHit, ...]
    #: Follow-up questions answered "yes".
    followup_positive: tuple[str, ...]
    flags: tuple[FlagHit, ...]
    #: Subscale code -> value (None when one of its items is missing).
    subscales: Mapping[str, int | float | None]
    #: Item number -> item score (reverse-scored; skipped items at their skip score).
    item_scores: Mapping[int, int | None]
    complete: bool
    prorated: bool
    #: Item numbers with an answer.
    answered: tuple[int, ...]
    #: Required items without an answer (those that made it incomplete or prorated).
    missing: tuple[int, ...]
    #: Items not asked because of skip logic, or optional items left empty.
    skipped: tuple[int, ...] = field(default=())

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(flag.code for flag in self.flags)


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _half_up(value: Fraction) -> Fraction:
    return Fraction((value * 2 + 1) // 2) if value >= 0 else -_half_up(-value)


def _normalise(definition: InstrumentDefinition, answers: object) -> dict[int, int | None]:
    n = definition.n_items
    code = definition.code
    if isinstance(answers, Mapping):
        result: dict[int, int | None] = dict.fromkeys(range(1, n + 1))
        for key, value in answers.items():
            if isinstance(key, bool) or not isinstance(key, int):
                raise WrongItemCount(f"{code}: answer keys must be item numbers (int), not {key!r}")
            if not 1 <= key <= n:
                raise WrongItemCount(f"{code}: there is no item {key} (items are 1..{n})")
            result[key] = value
    elif isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
        low = definition.min_answers
        if not low <= len(answers) <= n:
            expected = str(n) if low == n else f"{low} to {n}"
            raise WrongItemCount(f"{code}: expected {expected} answers, got {len(answers)}")
        result = {i + 1: (answers[i] if i < len(answers) else None) for i in range(n)}
    else:
        raise InvalidAnswer(f"{code}: answers must be a list or a mapping of item number to value")
    for number, value in result.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidAnswer(
                f"{code} item {number}: answer must be an int or None, not {value!r}"
            )
        allowed = definition.item(number).options.values
        if value not in allowed:
            shown = ", ".join(str(v) for v in sorted(allowed))
            raise AnswerOutOfRange(
                f"{code} item {number}: {value} is not an allowed value ({shown})"
            )
    return result


def _skipped(definition: InstrumentDefinition, answers: Mapping[int, int | None]) -> dict[int, int]:
    """Item number -> skip score for items the skip logic leaves out."""
    skipped: dict[int, int] = {}
    for rule in definition.scoring.skip_logic:
        if not rule.applies(answers):
            continue
        for number in rule.skip:
            value = answers[number]
            if value is not None and value != rule.score:
                reason = " and ".join(f"item {c.item} {c.op} {c.value}" for c in rule.when)
                raise InvalidAnswer(
                    f"{definition.code} item {number}: is not asked when {reason}; "
                    f"leave it empty or {rule.score}, not {value}"
                )
            skipped.setdefault(number, rule.score)
    return skipped


def _followup_hits(
    definition: InstrumentDefinition,
    answers: Mapping[int, int | None],
    followup: Mapping[str, bool | None] | None,
) -> tuple[list[CriticalHit], tuple[str, ...]]:
    if followup is None:
        return [], ()
    if not isinstance(followup, Mapping):
        raise InvalidFollowup(
            f"{definition.code}: followup must be a mapping of question id to bool"
        )
    questions = definition.followup_questions()
    hits: list[CriticalHit] = []
    positive: list[str] = []
    for qid, answer in followup.items():
        if qid not in questions:
            known = ", ".join(sorted(questions)) or "none"
            raise InvalidFollowup(
                f"{definition.code}: unknown follow-up question {qid!r} (known: {known})"
            )
        if answer is None:  # asked but not answered
            continue
        if not isinstance(answer, bool):
            raise InvalidFollowup(
                f"{definition.code}: follow-up {qid!r} must be true or false, not {answer!r}"
            )
        if answer:
            # A "yes" counts even if the trigger item was not answered: risk is never dropped.
            group, question = questions[qid]
            positive.append(qid)
            hits.append(
                CriticalHit(
                    item=group.item,
                    tier=question.tier_if_yes,
                    kind=group.kind,
                    value=answers[group.item],
                    followup=qid,
                )
            )
    return hits, tuple(positive)


def _condition_value(
    condition: Condition,
    answers: Mapping[int, int | None],
    totals: Mapping[str, int | float | None],
) -> int | float | None:
    if condition.item is not None:
        return answers[condition.item]
    return totals.get(condition.score or "")


def score_definition(
    definition: InstrumentDefinition,
    answers: Answers,
    *,
    followup: Mapping[str, bool | None] | None = None,
) -> ScoreResult:
    """:func:`score` for a definition object (e.g. one parsed in a test or a preview)."""
    values = _normalise(definition, answers)
    skipped = _skipped(definition, values)
    critical_hits = [
        CriticalHit(item=rule.item, tier=rule.tier, kind=rule.kind, value=values[rule.item])
        for rule in definition.critical_items
        if rule.fires(values[rule.item])
    ]
    followup_hits, positive = _followup_hits(definition, values, followup)
    critical_hits.extend(followup_hits)

    item_scores: dict[int, int | None] = {}
    for item in definition.items:
        value = values[item.number]
        if value is not None:
            item_scores[item.number] = item.score_of(value)
        elif item.number in skipped:
            item_scores[item.number] = skipped[item.number]
        else:
            item_scores[item.number] = None

    answered = tuple(n for n, v in values.items() if v is not None)
    not_applicable = tuple(
        item.number
        for item in definition.items
        if values[item.number] is None and item.number not in skipped and not item.required
    )
    missing = tuple(
        item.number
        for item in definition.items
        if item_scores[item.number] is None and item.required
    )
    scoring = definition.scoring
    applicable = [item for item in definition.scored_items if item.number not in not_applicable]
    present: list[int] = [s for item in applicable if (s := item_scores[item.number]) is not None]
    max_raw = (
        Fraction(sum(item.max_score for item in applicable))
        if scoring.method == "sum"
        else Fraction(sum(item.max_score for item in applicable), len(applicable))
    )

    prorated = False
    raw: Fraction | None = None
    if missing and scoring.prorate is not None:
        scored_missing = [n for n in missing if definition.item(n).scored]
        unscored_missing = [n for n in missing if not definition.item(n).scored]
        if not unscored_missing and len(scored_missing) <= scoring.prorate.max_missing and present:
            mean = Fraction(sum(present), len(present))
            raw = mean * len(applicable) if scoring.method == "sum" else mean
            if scoring.prorate.rounding == "half_up":
                raw = _half_up(raw)
            prorated = True
    elif not missing and applicable:
        total_present = Fraction(sum(present))
        raw = total_present if scoring.method == "sum" else total_present / len(present)

    multiplier = Fraction(str(scoring.multiplier))
    total = None if raw is None else _plain(raw * multiplier)
    raw_total = None if raw is None else _plain(raw)

    subscales: dict[str, int | float | None] = {}
    for sub in scoring.subscales:
        sub_scores = [item_scores[n] for n in sub.items if n not in not_applicable]
        if not sub_scores or any(s is None for s in sub_scores):
            subscales[sub.code] = None
            continue
        sub_sum = Fraction(sum(s for s in sub_scores if s is not None))
        subscales[sub.code] = _plain(sub_sum if sub.method == "sum" else sub_sum / len(sub_scores))

    band_index: int | None = None
    band: str | None = None
    if total is not None:
        found = definition.band_for(total)
        if found is not None:
            band_index, band = found[0], found[1].label

    totals: dict[str, int | float | None] = {"total": total, "raw_total": raw_total}
    totals.update({f"subscale:{code}": value for code, value in subscales.items()})
    flags = tuple(
        FlagHit(code=flag.code, tier=flag.tier)
        for flag in definition.flags
        if (all if flag.match == "all" else any)(
            c.test(_condition_value(c, values, totals)) for c in flag.when
        )
    )

    critical_hits.sort(key=lambda h: (h.item, -TIER_RANK[h.tier], h.followup))
    tier = max((h.tier for h in critical_hits), key=TIER_RANK.__getitem__, default=None)
    return ScoreResult(
        code=definition.code,
        version=definition.version,
        total=total,
        raw_total=raw_total,
        max_total=_plain(max_raw * multiplier),
        band=band,
        band_index=band_index,
        critical=bool(critical_hits),
        critical_tier=tier,
        critical_items=tuple(sorted({h.item for h in critical_hits})),
        critical_hits=tuple(critical_hits),
        followup_positive=positive,
        flags=flags,
        subscales=MappingProxyType(subscales),
        item_scores=MappingProxyType(item_scores),
        complete=total is not None,
        prorated=prorated,
        answered=answered,
        missing=missing,
        skipped=tuple(sorted(set(skipped) - set(answered) | set(not_applicable))),
    )


def score(
    code: str,
    answers: Sequence[int | None] | Mapping[int, int | None],
    *,
    followup: Mapping[str, bool] | None = None,
) -> ScoreResult:
    """Score one response to the instrument ``code`` (e.g. ``"phq9"``).

    ``followup`` holds yes/no answers to the instrument's follow-up questions (PHQ-9:
    ``thoughts``, ``plan``, ``intent``; ``None`` = not answered); any "yes" makes the
    response critical at the question's tier (urgent for all shipped questions).
    """
    return score_definition(definitions.get(code), answers, followup=followup)


def _check_total(definition: InstrumentDefinition, name: str, value: object) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTotal(f"{definition.code}: {name} must be a number, not {value!r}")
    low, high = definition.scoring.range
    if not low <= value <= high:
        raise InvalidTotal(f"{definition.code}: {name} {value} is outside {low}..{high}")
    return value


def reliable_change(
    code: str, baseline_total: Number | None, current_total: Number | None
) -> ChangeResult | None:
    """Reliable change between two totals on the instrument's reported scale.

    None when the instrument has no published reliable-change threshold or either total
    is None (incomplete). A change of at least the threshold counts; the instrument's
    direction decides whether that is an improvement.
    """
    definition = definitions.get(code)
    if baseline_total is None or current_total is None or definition.reliable_change is None:
        return None
    baseline = _check_total(definition, "baseline_total", baseline_total)
    current = _check_total(definition, "current_total", current_total)
    change = Fraction(str(current)) - Fraction(str(baseline))
    if definition.direction == "higher_is_better":
        change = -change
    threshold = Fraction(str(definition.reliable_change.threshold))
    if change <= -threshold:
        return "improved"
    if change >= threshold:
        return "deteriorated"
    return "no_reliable_change"


def clinically_significant(
    code: str, baseline: Number | None, current: Number | None
) -> bool | None:
    """Jacobson-Truax clinically significant improvement ("recovered").

    True when the change is a reliable improvement AND the score moved from the clinical
    side of the cut-off (baseline) to the non-clinical side (current). None when the
    instrument lacks a reliable-change threshold or a clinical cut-off, or a total is None.
    """
    definition = definitions.get(code)
    cutoff = definition.clinical_cutoff
    change = reliable_change(code, baseline, current)
    if change is None or cutoff is None or baseline is None or current is None:
        return None
    return change == "improved" and cutoff.is_met(baseline) and not cutoff.is_met(current)
