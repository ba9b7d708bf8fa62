"""The guard against clinical content leaving the platform (pure: no ORM).

``find_clinical(text)`` lists the clinical words (English, Finnish, Swedish) found in a
text that is about to go out by email or SMS. Rendering refuses to send such a text (the
notification is recorded as suppressed, visible on the delivery log) and the test suite
renders every template with it. URLs are left out of the text check (a signed token can
contain any letters); the link a caller passes to ``notify`` is checked on its own.
"""

from __future__ import annotations

import re

# Stems match anywhere in a word ("masennu" finds masennus, masennukseen), acronyms as
# whole words only ("GAD" must not match "gadget").
CLINICAL_STEMS: tuple[str, ...] = (
    # en
    "depress",
    "anxiety",
    "anxious",
    "score",
    "suicid",
    "self-harm",
    "alcohol",
    "bulimi",
    "anorexi",
    "bipolar",
    "panic",
    "insomnia",
    "diagnos",
    "obsessive",
    "compulsive",
    "eating disorder",
    "trauma",
    "psychosis",
    # fi
    "masennu",
    "masentu",
    "ahdistu",
    "ahdistus",
    "pisteet",
    "pistemäärä",
    "itsemurha",
    "itsetuho",
    "alkoholi",
    "kaksisuuntai",
    "pakko-oire",
    "paniikki",
    "unettomuu",
    "diagnoosi",
    "syömishäiriö",
    # sv
    "ångest",
    "poäng",
    "självmord",
    "självskad",
    "alkohol",
    "bipolär",
    "tvångssyndrom",
    "panik",
    "sömnlöshet",
    "ätstörning",
)
CLINICAL_ACRONYMS: tuple[str, ...] = ("PHQ", "GAD", "OCD", "PTSD", "BDI", "MADRS", "EPDS")

_STEMS = re.compile("|".join(re.escape(s) for s in CLINICAL_STEMS), re.IGNORECASE)
_ACRONYMS = re.compile(
    r"(?<![A-Za-z])(" + "|".join(CLINICAL_ACRONYMS) + r")(?![A-Za-z])", re.IGNORECASE
)
_URL = re.compile(r"https?://\S+")
# A digest line's label (``digest``) is short: "3 messages waiting".
LABEL_MAX_CHARS = 100


def find_clinical(text: str, *, skip_urls: bool = True) -> list[str]:
    """Clinical words in ``text`` (URLs skipped unless ``skip_urls`` is false)."""
    if skip_urls:
        text = _URL.sub(" ", text)
    found = [m.group(0) for m in _STEMS.finditer(text)]
    found += [m.group(0) for m in _ACRONYMS.finditer(text)]
    return found


def is_clean(text: str, *, skip_urls: bool = True) -> bool:
    return not find_clinical(text, skip_urls=skip_urls)
