"""The risk lexicon: normalised whole-word sequences in en/fi/sv, true and false
positives. Every change to content/lexicon/*.yaml should add a line here."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tandem.messaging import lexicon, risk

URGENT, REVIEW = "urgent", "review"


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        # English
        ("I'm going to kill myself tonight.", URGENT),
        ("I am going to end my life", URGENT),
        ("I will kill myself", URGENT),
        ("I've been saving up my pills", URGENT),
        ("I wrote a suicide note yesterday", URGENT),
        ("planning to kill myself", URGENT),
        ("I want to die", REVIEW),
        ("I would never kill myself, don't worry", REVIEW),  # negation still flagged
        ("Sometimes I have SUICIDAL thoughts...", REVIEW),
        ("everyone would be better off without me", REVIEW),
        ("I just don't want to be alive", REVIEW),
        ("I cut myself again", REVIEW),
        ("thinking about self-harm", REVIEW),
        ("I wish I was never born", REVIEW),
        # Finnish
        ("Aion tappaa itseni.", URGENT),
        ("tapan itseni huomenna", URGENT),
        ("Olen kerännyt pillereitä", URGENT),
        ("Haluan kuolla", REVIEW),
        ("mietin itsemurhaa usein", REVIEW),
        ("itsemurha-ajatuksia", REVIEW),
        ("En jaksa enää elää", REVIEW),
        ("haluaisin tappaa itseni", REVIEW),
        ("olen viillellyt taas", REVIEW),
        ("Minulla on itsetuhoisia ajatuksia", REVIEW),
        # Swedish
        ("Jag ska ta livet av mig", URGENT),
        ("Jag har bestämt mig för att ta livet av mig", URGENT),
        ("jag har sparat tabletter", URGENT),
        ("Jag vill dö", REVIEW),
        ("jag har självmordstankar", REVIEW),
        ("Jag orkar inte leva längre", REVIEW),
        ("jag skadar mig själv", REVIEW),
    ],
)
def test_risk_language_is_found(text, tier):
    finding = risk.assess(text)
    assert finding is not None, text
    assert finding.tier == tier, (text, finding)


@pytest.mark.parametrize(
    "text",
    [
        "I killed it at work today",
        "this exam is killing me",
        "I'm dying to see the new film",
        "killing time before the bus",
        "I need to improve my skills myself",
        "I want to take my life back",
        "I don't want to be late again",
        "I can't go on the trip this weekend",
        "I'm ready to end this module",
        "Tapoin aikaa kahvilassa.",
        "Olisin kuollut nauruun!",
        "Nauroin itseni kuoliaaksi",
        "Vi dödade tiden med kortspel.",
        "Jag dör av skratt",
        "",
        "   ",
    ],
)
def test_harmless_text_is_not_flagged(text):
    assert risk.assess(text) is None, text


def test_normalise():
    assert lexicon.normalise("I'm  GOING—to: kill…myself!") == [
        "im",
        "going",
        "to",
        "kill",
        "myself",
    ]
    assert lexicon.normalise("Tänään ÄLÄ") == ["tänään", "älä"]
    assert lexicon.normalise("ｆｕｌｌ width") == ["full", "width"]  # NFKC


def test_words_are_whole_words_not_substrings():
    lx = lexicon.Lexicon(
        tuple(lexicon.parse_lexicon({"tiers": {"review": {"x": ["kill myself"]}}}, language="en"))
    )
    assert lx.assess("skill myself") is None
    assert lx.assess("kill myselfie") is None
    assert lx.assess("Kill, myself") is not None


def test_pattern_syntax():
    phrases = lexicon.parse_lexicon(
        {"tiers": {"urgent": {"a": ["going|gonna ?to end it"]}, "review": {"b": ["itsemurh~"]}}},
        language="xx",
    )
    lx = lexicon.Lexicon(tuple(phrases))
    assert lx.assess("gonna end it").tier == "urgent"
    assert lx.assess("going to end it").tier == "urgent"
    assert lx.assess("itsemurhasta").tier == "review"
    assert lx.assess("going to the end") is None


@pytest.mark.parametrize(
    "bad",
    [
        {"tiers": {"critical": {"a": ["x"]}}},  # unknown tier
        {"tiers": {"review": {"a": ["?maybe"]}}},  # nothing required
        {"tiers": {"review": {"a": ["ab~ x"]}}},  # stem too short
        {"tiers": {"review": {"a": ["two-words|x y"]}}},
    ],
)
def test_bad_lexicon_entries_are_refused(bad):
    with pytest.raises(ValueError):
        lexicon.parse_lexicon(bad, language="xx")


def test_every_shipped_lexicon_loads_and_is_non_trivial():
    directory = Path(settings.CONTENT_DIR) / "lexicon"
    languages = {path.stem for path in directory.glob("*.yaml")}
    assert {"en", "fi", "sv"} <= languages
    lx = lexicon.load(directory)
    for language in ("en", "fi", "sv"):
        tiers = {p.tier for p in lx.phrases if p.language == language}
        assert tiers == {"urgent", "review"}, language
