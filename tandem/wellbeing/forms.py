"""Check-in and safety-plan forms: big tap targets, clear messages, never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandem.wellbeing.models import EMOTIONS, INTENSITIES, MAX_NOTE, SECTIONS

MOOD_CHOICES = [(n, str(n)) for n in range(11)]


class CheckInForm(forms.Form):
    mood = forms.TypedChoiceField(
        label=_("How is your mood right now?"),
        choices=MOOD_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose your mood from 0 to 10.")},
    )
    note = forms.CharField(
        label=_("Anything you want to note?"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_NOTE}),
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in EMOTIONS:
            self.fields[f"emotion_{code}"] = forms.TypedChoiceField(
                label=label,
                required=False,
                coerce=int,
                empty_value=0,
                choices=[(0, _("no")), *INTENSITIES],
                widget=forms.RadioSelect,
            )

    def emotion_fields(self) -> list[forms.BoundField]:
        return [self[f"emotion_{code}"] for code, _label in EMOTIONS]

    def emotions(self) -> dict[str, int]:
        return {code: self.cleaned_data.get(f"emotion_{code}") or 0 for code, _label in EMOTIONS}


class SafetyPlanForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label, help_text in SECTIONS:
            self.fields[code] = forms.CharField(
                label=label,
                help_text=help_text,
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def content(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(code, "") for code, _l, _h in SECTIONS}
