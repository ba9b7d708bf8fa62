"""Frozen dataclasses describing an instrument definition (pure; no Django, no I/O).

Instances are built and validated by :mod:`tandem.assessments.parsing` from the YAML
files in ``content/instruments/``; see ``docs/instruments.md`` for the file format.
All mappings are read-only (``types.MappingProxyType``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

#: A text in several languages: language code -> text. ``en`` is always present.
Text = Mapping[str, str]
Number = int | float

Direction = Literal["higher_is_worse", "higher_is_better"]
Tier = Literal["review", "urgent"]
FlagTier = Literal["info", "review"]
LicenceGroup = Literal["free", "free_with_conditions", "restricted"]
CutoffDirection = Literal["at_or_above", "above", "at_or_below", "below"]

OPERATORS: Mapping[str, Callable[[Number, Number], bool]] = MappingProxyType(
    {
        "==": operator.eq,
        "!=": operator.ne,
        ">=": operator.ge,
        ">": operator.gt,
        "<=": operator.le,
        "<": operator.lt,
    }
)
TIER_RANK: Mapping[str, int] = MappingProxyType({"review": 1, "urgent": 2})
CUTOFF_OPERATORS: Mapping[str, str] = MappingProxyType(
    {"at_or_above": ">=", "above": ">", "at_or_below": "<=", "below": "<"}
)

EMPTY_TEXT: Text = MappingProxyType({})


def text_in(text: Text, language: str) -> str:
    """The text in ``language``, falling back to English."""
    return text.get(language) or text["en"]


@dataclass(frozen=True)
class Option:
    value: int
    #: None for unlabelled points of a scale (WSAS 1, 3, 5, 7): show the number.
    label: Text | None = None


@dataclass(frozen=True)
class OptionSet:
    code: str
    options: tuple[Option, ...]

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)

    @property
    def min_value(self) -> int:
        return min(self.values)

    @property
    def max_value(self) -> int:
        return max(self.values)


@dataclass(frozen=True)
class Item:
    number: int
    id: str
    text: Text
    options: OptionSet
    #: Counted in the total (PHQ-9 item 10 is not).
    scored: bool = True
    #: False: leaving it empty does not make the response incomplete. For a scored item
    #: this means "not applicable" (WSAS item 1): it is left out of the total and max.
    required: bool = True
    #: Score = min + max of the option values - answer (e.g. PSWQ 6 - answer).
    reverse: bool = False

    def score_of(self, value: int) -> int:
        """The item score of an answer value (reverse-scored if the item says so)."""
        if self.reverse:
            return self.options.min_value + self.options.max_value - value
        return value

    @property
    def max_score(self) -> int:
        return self.options.max_value

    @property
    def min_score(self) -> int:
        return self.options.min_value


@dataclass(frozen=True)
class Condition:
    """``<item answer | score> <op> <value>``. Exactly one of ``item`` / ``score`` is set.

    ``score`` is ``total``, ``raw_total`` or ``subscale:<code>``.
    """

    op: str
    value: Number
    item: int | None = None
    score: str | None = None

    def test(self, actual: Number | None) -> bool:
        if actual is None:
            return False
        return OPERATORS[self.op](actual, self.value)


@dataclass(frozen=True)
class SkipRule:
    """When ``when`` holds (``match`` any/all), the ``skip`` items are not asked: they
    may be left empty (or given the skip value) and score ``score`` (WHO AUDIT: 0)."""

    when: tuple[Condition, ...]
    skip: tuple[int, ...]
    match: Literal["any", "all"] = "all"
    score: int = 0

    def applies(self, answers: Mapping[int, int | None]) -> bool:
        results = [c.test(answers.get(c.item)) for c in self.when if c.item is not None]
        return all(results) if self.match == "all" else any(results)


@dataclass(frozen=True)
class Subscale:
    code: str
    items: tuple[int, ...]
    label: Text
    method: Literal["sum", "mean"] = "sum"


@dataclass(frozen=True)
class Prorate:
    """Missing scored items allowed (at most ``max_missing``): the total is the mean of
    the answered items times the number of items (mean substitution)."""

    max_missing: int
    method: Literal["mean_substitution"] = "mean_substitution"
    #: ``half_up`` rounds the prorated raw total to an integer; ``none`` keeps decimals.
    rounding: Literal["half_up", "none"] = "none"


@dataclass(frozen=True)
class Scoring:
    method: Literal["sum", "mean"]
    #: Declared (and checked) range of the total, after the multiplier.
    range: tuple[Number, Number]
    multiplier: Number = 1
    prorate: Prorate | None = None
    subscales: tuple[Subscale, ...] = ()
    skip_logic: tuple[SkipRule, ...] = ()


@dataclass(frozen=True)
class Band:
    min: Number
    label: str
    display: Text = EMPTY_TEXT
    #: Inclusive upper bound (integer scales) ...
    max: Number | None = None
    #: ... or exclusive upper bound (scales with decimals).
    max_exclusive: Number | None = None

    def contains(self, value: Number) -> bool:
        if value < self.min:
            return False
        if self.max is not None:
            return value <= self.max
        return self.max_exclusive is not None and value < self.max_exclusive


@dataclass(frozen=True)
class CriticalRule:
    """A safety rule on one item's answer value, independent of the total."""

    item: int
    op: str
    value: Number
    tier: Tier
    kind: str

    def fires(self, answer: int | None) -> bool:
        return answer is not None and OPERATORS[self.op](answer, self.value)


@dataclass(frozen=True)
class FollowupQuestion:
    id: str
    text: Text
    #: A "yes" raises a critical alert of this tier.
    tier_if_yes: Tier = "urgent"


@dataclass(frozen=True)
class Followup:
    """Yes/no questions (Tandem's own text) asked after a critical item fires."""

    item: int
    kind: str
    ask_when: Condition
    questions: tuple[FollowupQuestion, ...]
    intro: Text = EMPTY_TEXT


@dataclass(frozen=True)
class Flag:
    """An instrument-level threshold (not a safety alert): e.g. AUDIT >= 20."""

    code: str
    tier: FlagTier
    label: Text
    when: tuple[Condition, ...]
    match: Literal["any", "all"] = "any"


@dataclass(frozen=True)
class ReliableChange:
    #: A change of at least this many points (on the total's scale) is reliable.
    threshold: Number
    source: str
    note: str = ""


@dataclass(frozen=True)
class Cutoff:
    value: Number
    direction: CutoffDirection
    source: str
    code: str = "clinical"
    label: str = ""
    population: str = ""
    note: str = ""

    def is_met(self, total: Number) -> bool:
        """True when ``total`` is on the clinical / positive side of this cut-off."""
        return OPERATORS[CUTOFF_OPERATORS[self.direction]](total, self.value)


@dataclass(frozen=True)
class Licence:
    group: LicenceGroup
    status: str
    attribution: str
    source_url: str
    conditions: str = ""


@dataclass(frozen=True)
class Source:
    citation: str
    manual: str = ""
    url: str = ""
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstrumentDefinition:
    code: str
    version: str
    name: Text
    short_name: str
    direction: Direction
    languages: tuple[str, ...]
    licence: Licence
    source: Source
    recall_period: Text
    instructions: Text
    option_sets: Mapping[str, OptionSet]
    items: tuple[Item, ...]
    scoring: Scoring
    bands: tuple[Band, ...]
    construct: str = ""
    translations_missing: Mapping[str, str] = field(default_factory=lambda: EMPTY_TEXT)
    placeholders: Mapping[str, Text] = field(default_factory=lambda: MappingProxyType({}))
    critical_items: tuple[CriticalRule, ...] = ()
    followups: tuple[Followup, ...] = ()
    flags: tuple[Flag, ...] = ()
    reliable_change: ReliableChange | None = None
    clinical_cutoff: Cutoff | None = None
    cutoffs: tuple[Cutoff, ...] = ()
    notes: str = ""
    #: Where the definition was read from (for messages), e.g. content/instruments/phq9.yaml
    origin: str = ""

    @property
    def n_items(self) -> int:
        return len(self.items)

    def item(self, number: int) -> Item:
        return self.items[number - 1]

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    @property
    def min_answers(self) -> int:
        """Shortest accepted answer list: trailing optional items may be left off."""
        count = self.n_items
        while count > 0 and not self.items[count - 1].required:
            count -= 1
        return count

    def band_for(self, total: Number) -> tuple[int, Band] | None:
        """(index, band) for a total: the highest band whose ``min`` the total reaches.

        Totals with decimals (prorated without rounding) between two integer bands
        therefore stay in the lower band (14.5 is still "moderate" when 15 starts the
        next band).
        """
        found: tuple[int, Band] | None = None
        for index, band in enumerate(self.bands):
            if total >= band.min:
                found = (index, band)
        return found

    def followup_questions(self) -> Mapping[str, tuple[Followup, FollowupQuestion]]:
        return {q.id: (f, q) for f in self.followups for q in f.questions}
