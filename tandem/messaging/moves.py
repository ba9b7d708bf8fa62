"""Small relational moves in a therapist's draft (pure: no ORM).

``detect`` reports, for each move, whether the draft makes it. Two kinds of check:

- *reliable* checks (the patient's name, quoting the patient's own words, naming the
  specific work) can say "present" or "absent" when the facts are known (the name, the
  patient's recent answer, the work's title);
- *heuristic* checks (offering a choice, acknowledging difficulty) look for common
  phrasings in en/fi/sv; when none is found they say "reminder", never "absent",
  because people say these things in many ways.

The checklist is a reminder for the therapist. It never blocks sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tandem.messaging.lexicon import WordPattern, normalise

PRESENT, ABSENT, REMINDER = "present", "absent", "reminder"


@dataclass(frozen=True)
class Move:
    code: str
    label: str | Promise
    status: str
    reliable: bool
    hint: str | Promise = ""

    @property
    def present(self) -> bool:
        return self.status == PRESENT


LABELS = {
    "uses_name": _("Uses the patient's name"),
    "names_work": _("Names the specific work they did"),
    "quotes_words": _("Quotes their own words"),
    "offers_choice": _("Offers a choice"),
    "acknowledges_difficulty": _("Acknowledges that it is hard"),
}
HINTS = {
    "uses_name": _("Start with their first name."),
    "names_work": _("Say which exercise or module you read."),
    "quotes_words": _("Put a few of their words in quotation marks."),
    "offers_choice": _("For example: “Would you like to… or…?”"),
    "acknowledges_difficulty": _("For example: “This can be hard.”"),
}

# Phrasings of a choice (word sequences, lexicon syntax); "…or" checks need a later "or".
_CHOICE = [
    # en
    "would you like",
    "if you prefer",
    "if youd like",
    "if you would like",
    "if you want",
    "up to you",
    "your choice",
    "you choose",
    "feel free to",
    "whichever",
    "do you want to",
    "would it help",
    # fi
    "haluaisitko|haluatko",
    "jos haluat|haluaisit|tahdot",
    "halutessasi",
    "jos sinulle sopii",
    "sinä päätät|valitset",
    "voit valita",
    "kumpi|kumman",
    "sopisiko",
    # sv
    "vill du",
    "skulle du vilja",
    "om du vill|föredrar|hellre",
    "du bestämmer|väljer",
    "du kan välja",
    "vilket du föredrar",
]
_CHOICE_OR = {
    "en": ("you could|can", "or"),
    "fi": ("voisit|voit|voisimme|voimme", "tai|vai"),
    "sv": ("du kan|kunde|skulle", "eller"),
}
_DIFFICULTY = [
    # en
    "hard",
    "difficult",
    "tough",
    "challenging",
    "struggle|struggling|struggled",
    "not easy",
    "heavy",
    "painful",
    "exhausting",
    "demanding",
    # fi
    "vaikea|vaikeaa|vaikealta|vaikeita|vaikeaksi|vaikeus|vaikeuksia",
    "raskas|raskasta|raskaalta",
    "rankka|rankkaa|rankalta",
    "haastava|haastavaa|haastavalta",
    "ei ole helppoa",
    "kuormittava|kuormittavaa",
    "työläs|työlästä",
    "tuskallinen|tuskallista",
    "kova|kovaa|kovalta",
    # sv
    "svår|svårt|svåra|svårigheter",
    "tuff|tufft|tuffa",
    "jobbig|jobbigt|jobbiga",
    "tung|tungt|tunga",
    "kämpig|kämpigt",
    "inte lätt",
    "utmanande",
    "påfrestande",
    "smärtsamt",
]
_QUOTE_SEGMENT = re.compile(r"[\"“”„«»‘’'](.+?)[\"“”„«»‘’']", re.S)
_STOPWORDS = frozenset(
    {
        *("the", "and", "your", "you", "for", "with", "this", "that", "from", "into", "about"),
        *("exercise", "module", "harjoitus", "tehtävä", "osio", "osion", "övning", "modul"),
    }
)


def _phrases(raw: list[str]) -> list[tuple[WordPattern, ...]]:
    return [tuple(WordPattern.parse(token) for token in phrase.split()) for phrase in raw]


_CHOICE_PATTERNS = _phrases(_CHOICE)
_DIFFICULTY_PATTERNS = _phrases(_DIFFICULTY)
_CHOICE_OR_PATTERNS = {
    lang: (_phrases([first])[0], _phrases([second])[0])
    for lang, (first, second) in _CHOICE_OR.items()
}


def _find(patterns: tuple[WordPattern, ...], words: list[str], start: int = 0) -> int | None:
    """Index just after the first occurrence of ``patterns`` at or after ``start``."""
    for index in range(start, len(words)):
        position = index
        for pattern in patterns:
            if position < len(words) and pattern.matches(words[position]):
                position += 1
            elif pattern.optional:
                continue
            else:
                break
        else:
            return position
    return None


def _contains_any(patterns: list[tuple[WordPattern, ...]], words: list[str]) -> bool:
    return any(_find(p, words) is not None for p in patterns)


def _sequence_in(needle: list[str], haystack: list[str]) -> bool:
    if not needle or len(needle) > len(haystack):
        return False
    width = len(needle)
    return any(haystack[i : i + width] == needle for i in range(len(haystack) - width + 1))


def _uses_name(words: list[str], first_name: str, language: str) -> str:
    names = normalise(first_name)
    if not names:
        return REMINDER
    name = names[0]
    # Finnish inflects names ("Pialle", "Pian"); English and Swedish add a genitive -s.
    longest_ending = 6 if language == "fi" else 1
    for word in words:
        if word == name or (word.startswith(name) and len(word) - len(name) <= longest_ending):
            return PRESENT
    return ABSENT


def _names_work(words: list[str], work: str) -> str:
    significant = [w for w in normalise(work) if len(w) >= 4 and w not in _STOPWORDS]
    if not significant:
        return REMINDER
    for target in significant:
        stem = target[: max(5, len(target) - 3)]  # tolerate case endings
        if any(word == target or word.startswith(stem) for word in words):
            return PRESENT
    return ABSENT


def _quotes_words(text: str, quote_source: str) -> str:
    segments = [normalise(m.group(1)) for m in _QUOTE_SEGMENT.finditer(text)]
    segments = [s for s in segments if len(s) >= 2 or (s and len(s[0]) >= 4)]
    source = normalise(quote_source)
    if not source:
        return REMINDER
    if any(_sequence_in(segment, source) for segment in segments):
        return PRESENT
    return ABSENT


def _offers_choice(words: list[str]) -> str:
    if _contains_any(_CHOICE_PATTERNS, words):
        return PRESENT
    for first, second in _CHOICE_OR_PATTERNS.values():
        after = _find(first, words)
        if after is not None and _find(second, words, after) is not None:
            return PRESENT
    return REMINDER


def _acknowledges_difficulty(words: list[str]) -> str:
    return PRESENT if _contains_any(_DIFFICULTY_PATTERNS, words) else REMINDER


def detect(
    text: str, *, first_name: str, quote_source: str, language: str, work: str = ""
) -> list[Move]:
    """The five relational moves of ``text``, in a fixed order."""
    words = normalise(text)
    statuses = {
        "uses_name": _uses_name(words, first_name, language),
        "names_work": _names_work(words, work),
        "quotes_words": _quotes_words(text, quote_source),
        "offers_choice": _offers_choice(words),
        "acknowledges_difficulty": _acknowledges_difficulty(words),
    }
    reliable = {
        "uses_name": bool(first_name),
        "names_work": bool(work),
        "quotes_words": bool(quote_source),
    }
    return [
        Move(
            code=code,
            label=LABELS[code],
            status=status,
            reliable=reliable.get(code, False),
            hint="" if status == PRESENT else HINTS[code],
        )
        for code, status in statuses.items()
    ]
