"""Relational moves in a draft: reliable checks say present/absent, heuristics remind."""

from __future__ import annotations

from tandem.messaging import moves


def status(text: str, **kwargs) -> dict[str, str]:  # type: ignore[no-untyped-def]
    kwargs.setdefault("first_name", "Pia")
    kwargs.setdefault("quote_source", "")
    kwargs.setdefault("language", "en")
    return {m.code: m.status for m in moves.detect(text, **kwargs)}


def test_a_good_gesture_makes_every_move():
    found = status(
        'Hi Pia, thank you for the thought record. You wrote "nobody ever calls me back" – '
        "that sounds hard. Would you like to look at it together next week, or keep going?",
        quote_source="I thought: nobody ever calls me back. I felt low.",
        work="Thought record",
    )
    assert set(found.values()) == {"present"}


def test_missing_reliable_moves_are_absent_and_heuristics_are_reminders():
    found = status("Thanks for sending it.", quote_source="My own words here", work="Diary")
    assert found == {
        "uses_name": "absent",
        "names_work": "absent",
        "quotes_words": "absent",
        "offers_choice": "reminder",
        "acknowledges_difficulty": "reminder",
    }


def test_without_facts_reliable_checks_become_reminders():
    found = status("Thanks.", first_name="", quote_source="", work="")
    assert found["uses_name"] == found["names_work"] == found["quotes_words"] == "reminder"


def test_finnish_inflected_name_and_words():
    found = status(
        "Hei Pialle terveisiä. Kirjoitit ”en jaksa mitään” – se kuulostaa raskaalta. "
        "Haluaisitko jatkaa ajatuspäiväkirjaa?",
        quote_source="Tänään en jaksa mitään.",
        language="fi",
        work="Ajatuspäiväkirja",
    )
    assert set(found.values()) == {"present"}


def test_swedish_choice_and_difficulty():
    found = status(
        "Hej Pia, det låter tufft. Du kan vila i dag eller fortsätta i morgon.", language="sv"
    )
    assert found["offers_choice"] == "present"
    assert found["acknowledges_difficulty"] == "present"


def test_quotes_must_be_the_patients_words():
    source = "I walked to the shop and felt a bit better"
    assert status('You said "felt a bit better".', quote_source=source)["quotes_words"] == "present"
    assert status('You said "felt great".', quote_source=source)["quotes_words"] == "absent"
    assert status("felt a bit better", quote_source=source)["quotes_words"] == "absent"


def test_name_is_a_whole_word():
    assert status("Hi Piano teacher")["uses_name"] == "absent"
    assert status("Pia's plan")["uses_name"] == "present"


def test_choice_needs_an_or_after_you_could():
    assert status("You could try the breathing.")["offers_choice"] == "reminder"
    assert status("You could try the breathing or a walk.")["offers_choice"] == "present"
