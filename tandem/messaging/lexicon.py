"""Risk language in free text, matched on normalised word sequences (pure: no ORM).

The lexicon lives in ``content/lexicon/<language>.yaml``. Each phrase is a sequence of
word patterns; a text matches when the sequence occurs as consecutive words of the
normalised text. Normalisation: Unicode NFKC, casefold, apostrophes removed
("I'm" → "im"), every other non-letter/digit character becomes a word break.

Word patterns:
- ``word``          exactly this word;
- ``a|b|c``         any of the listed forms (Finnish and Swedish inflections are listed);
- ``stem~``         a word beginning with ``stem`` (use for long, unambiguous stems only);
- ``*``             any one word;
- ``?word``         an optional word (may also be a ``|`` list or a ``stem~``).

Matching is on whole words, never substrings: "skill myself" does not contain "kill
myself", and "I killed it at work" contains no phrase. Negation is not interpreted:
"I would never kill myself" still matches (the safer error).

This is decision support. It can miss risk written in other words, misspelled, or in a
language without a lexicon, and it can flag harmless text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TIERS = ("urgent", "review")  # most severe first
_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[^\w]+|_")


def normalise(text: str) -> list[str]:
    """Words of ``text``: NFKC, casefolded, apostrophes dropped, punctuation removed."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _APOSTROPHES.sub("", text)
    return [word for word in _NON_WORD.split(text) if word]


@dataclass(frozen=True)
class WordPattern:
    forms: frozenset[str]
    stems: tuple[str, ...]
    any_word: bool = False
    optional: bool = False

    @classmethod
    def parse(cls, raw: str) -> WordPattern:
        optional = raw.startswith("?")
        raw = raw[1:] if optional else raw
        if raw == "*":
            return cls(frozenset(), (), any_word=True, optional=optional)
        forms: set[str] = set()
        stems: list[str] = []
        for alternative in raw.split("|"):
            if alternative.endswith("~"):
                stem = "".join(normalise(alternative[:-1]))
                if len(stem) < 4:
                    raise ValueError(f"stem {alternative!r} is too short to be unambiguous")
                stems.append(stem)
            else:
                words = normalise(alternative)
                if len(words) != 1:
                    raise ValueError(f"{alternative!r} must be a single word")
                forms.add(words[0])
        return cls(frozenset(forms), tuple(stems), optional=optional)

    def matches(self, word: str) -> bool:
        return self.any_word or word in self.forms or word.startswith(self.stems or ("\0",))


@dataclass(frozen=True)
class Phrase:
    text: str
    tier: str
    category: str
    language: str
    patterns: tuple[WordPattern, ...]

    def match_at(self, words: list[str], start: int) -> int | None:
        """The end index if the phrase matches at ``start``, else None."""
        return _match(self.patterns, words, start)


def _match(patterns: tuple[WordPattern, ...], words: list[str], index: int) -> int | None:
    if not patterns:
        return index
    head, rest = patterns[0], patterns[1:]
    if index < len(words) and head.matches(words[index]):
        end = _match(rest, words, index + 1)
        if end is not None:
            return end
    if head.optional:
        return _match(rest, words, index)
    return None


@dataclass(frozen=True)
class Finding:
    tier: str
    category: str
    language: str
    phrase: str


@dataclass(frozen=True)
class Lexicon:
    phrases: tuple[Phrase, ...]

    def scan(self, text: str) -> list[Finding]:
        words = normalise(text)
        found: list[Finding] = []
        seen: set[str] = set()
        for start in range(len(words)):
            for phrase in self.phrases:
                if phrase.text in seen:
                    continue
                if phrase.match_at(words, start) is not None:
                    seen.add(phrase.text)
                    found.append(
                        Finding(phrase.tier, phrase.category, phrase.language, phrase.text)
                    )
        found.sort(key=lambda f: TIERS.index(f.tier))
        return found

    def assess(self, text: str) -> Finding | None:
        """The most severe finding in ``text``, or None."""
        found = self.scan(text)
        return found[0] if found else None


def parse_lexicon(data: dict, *, language: str) -> list[Phrase]:
    """Phrases of one language file: ``{tiers: {urgent: {category: [phrases]}, review: …}}``."""
    phrases: list[Phrase] = []
    tiers = data.get("tiers") or {}
    unknown = set(tiers) - set(TIERS)
    if unknown:
        raise ValueError(f"unknown tiers in {language} lexicon: {sorted(unknown)}")
    for tier in TIERS:
        for category, entries in (tiers.get(tier) or {}).items():
            for raw in entries or []:
                patterns = tuple(WordPattern.parse(token) for token in str(raw).split())
                if not patterns or all(p.optional or p.any_word for p in patterns):
                    raise ValueError(f"phrase {raw!r} needs at least one required word")
                phrases.append(Phrase(str(raw), tier, str(category), language, patterns))
    return phrases


def load(directory: Path) -> Lexicon:
    phrases: list[Phrase] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        phrases.extend(parse_lexicon(data, language=str(data.get("language") or path.stem)))
    return Lexicon(tuple(phrases))


@lru_cache(maxsize=4)
def load_cached(directory: str) -> Lexicon:
    return load(Path(directory))
