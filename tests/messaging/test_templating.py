"""Template placeholders: validated at save time, optional segments at render time."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tandem.messaging import gestures, templating
from tandem.messaging.models import MessageTemplate


def test_known_placeholders_pass():
    assert templating.check("Hi {first_name}, {work} {quote} {change} – {therapist_name}") == [
        "first_name",
        "work",
        "quote",
        "change",
        "therapist_name",
    ]


@pytest.mark.parametrize(
    ("body", "unknown"),
    [
        ("Hi {firstname}", ["firstname"]),
        ("Hi {name} and {patient.name}", ["name", "patient.name"]),
        ("{0} {}", ["", "0"]),
    ],
)
def test_unknown_placeholders_are_named(body, unknown):
    with pytest.raises(templating.TemplateError) as caught:
        templating.check(body)
    assert caught.value.unknown == unknown


@pytest.mark.parametrize(
    "body", ["Hi {first_name", "Hi first_name}", "{first_name!r}", "{first_name:>10}"]
)
def test_broken_braces_and_formats_are_errors(body):
    with pytest.raises(templating.TemplateError):
        templating.check(body)


def test_literal_braces_and_optional_segments():
    body = 'Hi {first_name} {{sic}}.[ You wrote "{quote}".] [Done] – {therapist_name}'
    assert templating.render(body, {"first_name": "Pia", "therapist_name": "Terhi"}) == (
        "Hi Pia {sic}. [Done] – Terhi"
    )
    assert templating.render(
        body, {"first_name": "Pia", "quote": "so tired", "therapist_name": "Terhi"}
    ) == ('Hi Pia {sic}. You wrote "so tired". [Done] – Terhi')


def test_values_are_not_reinterpreted():
    assert templating.render("{quote}", {"quote": "{first_name} <b>"}) == "{first_name} <b>"


def test_shorten():
    assert templating.shorten("a b c", 10) == "a b c"
    assert templating.shorten("one two three four five", 12) == "one two…"


def test_every_shipped_template_is_valid_in_every_language():
    for language in ("en", "fi", "sv"):
        shipped = gestures.default_templates(language=language)
        assert {t.context for t in shipped} >= {
            "exercise_submitted",
            "module_completed",
            "silent_week",
            "score_improved",
            "questionnaire_missed",
        }
        assert all(t.language == language for t in shipped)
        functions = {f for t in shipped for f in t.functions}
        assert functions == {"autonomy", "alliance", "emotion_regulation"}


@pytest.mark.django_db
def test_the_form_names_the_unknown_placeholder(personas, login):
    client = login(personas.therapist)
    response = client.post(
        reverse("messaging_template_new"),
        {
            "title": "Mine",
            "context": "silent_week",
            "language": "en",
            "body": "Hi {first_name}, how was {weekend}?",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "{weekend}" in response.content.decode()
    assert not MessageTemplate.objects.exists()


@pytest.mark.django_db
def test_a_valid_template_is_saved_and_used_first(personas, login):
    client = login(personas.therapist)
    response = client.post(
        reverse("messaging_template_new"),
        {
            "title": "Mine",
            "context": "silent_week",
            "language": "en",
            "body": "Hey {first_name}! – {therapist_name}",
            "fn_alliance": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    template = MessageTemplate.objects.get()
    assert template.owner == personas.therapist and template.functions == ["alliance"]
    choices = gestures.templates_for(user=personas.therapist, context="silent_week", language="en")
    assert choices[0].key == template.key and choices[0].scope == "mine"
    # Another therapist of the clinic does not see a personal template.
    others = gestures.templates_for(user=personas.cover, context="silent_week", language="en")
    assert template.key not in {c.key for c in others}


@pytest.mark.django_db
def test_supervisor_shares_with_the_clinic(personas, login):
    client = login(personas.supervisor)
    client.post(
        reverse("messaging_template_new"),
        {
            "title": "Clinic",
            "context": "module_completed",
            "language": "fi",
            "body": "Hei {first_name}",
            "shared": "on",
            "is_active": "on",
        },
    )
    template = MessageTemplate.objects.get()
    assert template.owner is None
    keys = {
        c.key
        for c in gestures.templates_for(
            user=personas.cover, context="module_completed", language="fi"
        )
    }
    assert template.key in keys
    # A therapist cannot edit the clinic's template.
    url = reverse("messaging_template_edit", args=[template.uuid])
    assert login(personas.therapist).get(url).status_code == 404
    assert client.get(url).status_code == 200
