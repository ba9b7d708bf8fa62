"""Forms for answering a questionnaire (one step at a time) and sending one ad hoc.

Answers are radio choices whose values come from the instrument definition; anything
else (a tampered value, a missing required answer) is a clear field message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from tandem.assessments import definitions
from tandem.assessments.schema import Followup, InstrumentDefinition, Item, text_in

YES_NO = (("yes", _("Yes")), ("no", _("No")))
DUE_DAYS = (1, 2, 3, 5, 7, 14)


def item_text(definition: InstrumentDefinition, item: Item, language: str) -> str:
    """The item's wording with placeholders (WSAS ``{problem}``) filled in."""
    text = text_in(item.text, language)
    for name, values in definition.placeholders.items():
        text = text.replace("{" + name + "}", text_in(values, language))
    return text


def instrument_name(definition: InstrumentDefinition, language: str) -> str:
    """The instrument's full name (its short name when the definition has none)."""
    name = definition.name
    if isinstance(name, Mapping) and name:
        return text_in(name, language)
    return definition.short_name


def option_label(option: Any, language: str) -> str:
    return text_in(option.label, language) if option.label else str(option.value)


def _to_int(value: str) -> int | None:
    return int(value) if value not in ("", None) else None


class StepForm(forms.Form):
    """The items (and follow-up questions) of one step. ``require`` is False when the
    patient goes back: answers given so far are kept, gaps are allowed."""

    instrument = forms.CharField(widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(
        self,
        *args: Any,
        definition: InstrumentDefinition,
        items: Sequence[Item] = (),
        followup: Followup | None = None,
        language: str = "en",
        require: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.items = tuple(items)
        self.followup = followup
        for item in self.items:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=item_text(definition, item, language),
                choices=[(str(o.value), option_label(o, language)) for o in item.options.options],
                coerce=int,
                empty_value=None,
                required=require and item.required,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please choose an answer."),
                    "invalid_choice": _("Choose one of the answers shown."),
                },
            )
        if followup is not None:
            for question in followup.questions:
                self.fields[f"fu_{question.id}"] = forms.TypedChoiceField(
                    label=text_in(question.text, language),
                    choices=YES_NO,
                    coerce=lambda value: value == "yes",
                    empty_value=None,
                    required=require,
                    widget=forms.RadioSelect,
                    error_messages={
                        "required": _("Please answer yes or no."),
                        "invalid_choice": _("Please answer yes or no."),
                    },
                )

    def clean_instrument(self) -> str:
        code = self.cleaned_data["instrument"]
        if code != self.definition.code:
            raise forms.ValidationError(
                _(
                    "This form does not belong to this questionnaire. Reload the page and try "
                    "again."
                ),
                code="tampered",
            )
        return code

    def item_fields(self) -> list[Any]:
        return [self[f"item_{item.number}"] for item in self.items]

    def followup_fields(self) -> list[Any]:
        if self.followup is None:
            return []
        return [self[f"fu_{q.id}"] for q in self.followup.questions]

    def answers(self) -> dict[int, int | None]:
        return {item.number: self.cleaned_data.get(f"item_{item.number}") for item in self.items}

    def followup_answers(self) -> dict[str, bool | None]:
        if self.followup is None:
            return {}
        return {q.id: self.cleaned_data.get(f"fu_{q.id}") for q in self.followup.questions}


def instrument_choices() -> list[tuple[str, str]]:
    return [
        (code, f"{d.short_name} — {instrument_name(d, get_language() or 'en')}")
        for code, d in sorted(definitions.all_definitions().items())
    ]


class AssignForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Questionnaire"), choices=())
    due_in_days = forms.TypedChoiceField(label=_("Due in"), choices=(), coerce=int, initial=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = instrument_choices()
        self.fields["due_in_days"].choices = [
            (d, ngettext("%(n)d day", "%(n)d days", d) % {"n": d}) for d in DUE_DAYS
        ]
