"""No clinical content outside the platform: every template of every kind, in every
language, says only that there is something new, with a link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.template.loader import get_template

from tandem.notifications import kinds, rendering
from tandem.notifications.content import find_clinical
from tandem.notifications.models import Channel, Reason
from tandem.notifications.rendering import ClinicalContentBlocked, render_kind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogs")]

# An independent list (not the app's own): words that must never leave the platform.
CLINICAL_WORDS = {
    "en": [
        "depression",
        "anxiety",
        "phq",
        "gad",
        "score",
        "suicide",
        "alcohol",
        "bulimia",
        "bipolar",
        "ocd",
        "panic",
        "insomnia",
        "diagnosis",
        "self-harm",
    ],
    "fi": [
        "masennus",
        "masennu",
        "ahdistus",
        "ahdistuneisuus",
        "pisteet",
        "itsemurha",
        "alkoholi",
        "bulimia",
        "kaksisuuntainen",
        "pakko-oire",
        "paniikki",
        "unettomuus",
        "diagnoosi",
    ],
    "sv": [
        "depression",
        "ångest",
        "poäng",
        "självmord",
        "alkohol",
        "bulimi",
        "bipolär",
        "tvångssyndrom",
        "panik",
        "sömnlöshet",
        "diagnos",
    ],
}
ALL_WORDS = sorted({w for words in CLINICAL_WORDS.values() for w in words})

# What a careless caller might put into the context: none of it may come out.
CANARY = {
    "message": "CANARY-7d1f I feel hopeless and think about suicide",
    "score": 27,
    "instrument": "PHQ-9",
    "program": "Steps out of depression",
    "patient": "Pat Patient",
    "reasons": ["module_open", "PHQ-9 score 27 CANARY-reason"],
    "lines": [
        [3, "messages waiting"],
        [1, "CANARY-line Pat Patient scored 27 on PHQ-9"],
    ],
}


def _program_titles() -> set[str]:
    titles: set[str] = set()
    for manifest in Path(settings.CONTENT_DIR, "programs").glob("*/manifest.yaml"):
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        for value in (data.get("title") or {}).values():
            titles.add(str(value).lower())
    return titles


def _user(personas, language: str, tz: str = "Europe/Stockholm"):
    user = personas.patient.user
    user.language = language
    user.timezone = tz
    return user


def _clinical(text: str) -> list[str]:
    lowered = text.lower()
    hits = []
    for word in ALL_WORDS:
        if len(word) <= 3:  # acronyms as words only
            if re.search(rf"(?<![a-zåäö]){re.escape(word)}(?![a-zåäö])", lowered):
                hits.append(word)
        elif word in lowered:
            hits.append(word)
    return hits


@pytest.mark.parametrize("language", ["en", "fi", "sv"])
@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS])
def test_every_outgoing_template_is_contentless(personas, language, kind, channel):
    user = _user(personas, language)
    out = render_kind(kind=kind, channel=channel, user=user, link_url="/journey/", context=CANARY)
    text = out.subject + "\n" + out.body
    words = re.sub(r"https?://\S+", " ", text)  # a signed token may contain anything
    assert _clinical(words) == [], (kind, channel, language, text)
    assert find_clinical(text) == []
    assert "CANARY" not in words and "Pat Patient" not in words and "27" not in words
    for title in _program_titles():
        assert title not in words.lower(), (kind, title)
    assert "http://127.0.0.1:8000/journey/" in text
    if channel == Channel.EMAIL:
        assert out.subject and "\n" not in out.subject
    else:
        assert len(out.body) <= 320, "an SMS stays short (at most two segments)"


@pytest.mark.parametrize("language", ["en", "fi", "sv"])
@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
def test_in_app_texts_carry_no_context_either(personas, language, kind):
    out = render_kind(
        kind=kind, channel=Channel.IN_APP, user=_user(personas, language), context=CANARY
    )
    assert "CANARY" not in out.body and "PHQ" not in out.body and "27" not in out.body
    assert _clinical(out.body) == []


def test_the_digest_shows_clean_lines_only(personas):
    out = render_kind(
        kind=kinds.THERAPIST_DIGEST, channel=Channel.EMAIL, user=personas.therapist, context=CANARY
    )
    assert "- 3 messages waiting" in out.body
    assert "CANARY" not in out.body


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_rendered_in_the_recipients_language(personas, language):
    english = render_kind(
        kind=kinds.PATIENT_REMINDER, channel=Channel.EMAIL, user=_user(personas, "en")
    )
    other = render_kind(
        kind=kinds.PATIENT_REMINDER, channel=Channel.EMAIL, user=_user(personas, language)
    )
    assert other.subject != english.subject and other.body != english.body
    assert {"fi": "Hei,", "sv": "Hej,"}[language] in other.body


def test_digest_date_is_the_recipients_local_date(personas):
    from datetime import UTC, datetime

    user = personas.therapist
    user.language, user.timezone = "en", "Europe/Stockholm"
    # 23:30 UTC on 1 March is already 2 March in Stockholm; still 1 March in New York.
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    out = render_kind(kind=kinds.THERAPIST_DIGEST, channel=Channel.EMAIL, user=user, now=at)
    assert "March 2, 2026" in out.subject
    user.timezone = "America/New_York"
    out = render_kind(kind=kinds.THERAPIST_DIGEST, channel=Channel.EMAIL, user=user, now=at)
    assert "March 1, 2026" in out.subject


def test_reminder_emails_have_a_one_click_unsubscribe_link(personas):
    out = render_kind(
        kind=kinds.PATIENT_REMINDER, channel=Channel.EMAIL, user=personas.patient.user
    )
    assert "/notifications/unsubscribe/" in out.body
    assert out.headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/notifications/")
    alert = render_kind(kind=kinds.SAFETY_ALERT, channel=Channel.EMAIL, user=personas.therapist)
    assert "unsubscribe" not in alert.body  # safety alerts cannot be switched off


def test_a_clinical_link_or_text_is_refused(personas):
    with pytest.raises(ClinicalContentBlocked):
        render_kind(
            kind=kinds.SOMETHING_NEW,
            channel=Channel.EMAIL,
            user=personas.patient.user,
            link_url="/programs/depression/",
        )


def test_every_kind_has_all_its_templates():
    for kind in kinds.KINDS:
        for name in (
            f"notifications/email/{kind}_subject.txt",
            f"notifications/email/{kind}.txt",
            f"notifications/sms/{kind}.txt",
            f"notifications/in_app/{kind}.txt",
        ):
            get_template(name)


def test_only_known_reasons_reach_the_in_app_text(personas):
    projected = rendering.project_context(kinds.PATIENT_REMINDER, CANARY)
    assert projected == {"reasons": [Reason.MODULE_OPEN.label]}


@pytest.mark.parametrize(
    "text, clean",
    [
        ("Something new is waiting", True),
        ("Your PHQ-9 result", False),
        ("a gadget", True),
        ("GAD-7", False),
        ("masennuksesi", False),
        ("ångesten", False),
        ("see https://x.example/u/OCD-token/ now", True),  # URLs are not text
    ],
)
def test_the_guard(text, clean):
    assert (find_clinical(text) == []) is clean
