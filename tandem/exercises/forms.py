"""The small forms around a worksheet: skip, "this is hard for me", feedback.
(Each exercise type's worksheet lives in ``tandem.exercises.types``.)"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tandem.exercises.models import SkipReason
from tandem.exercises.types.base import TEXT_MAX, MaxBytesValidator


class SkipForm(forms.Form):
    use_required_attribute = False
    reason_code = forms.ChoiceField(
        label=_("Why do you want to skip it?"),
        choices=SkipReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason."), "invalid_choice": _("Choose a reason.")},
    )
    reason = forms.CharField(
        label=_("In your own words"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[MaxBytesValidator()],
        help_text=_("Your therapist sees your reason."),
    )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("reason_code") == SkipReason.OTHER and not data.get("reason"):
            self.add_error("reason", _("Tell your therapist briefly why."))
        return data


class HardForm(forms.Form):
    use_required_attribute = False
    distress = forms.TypedChoiceField(
        label=_(
            "How distressed are you right now? (0 = not at all, 10 = the most you can imagine)"
        ),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(str(i), str(i)) for i in range(11)],
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        error_messages={"invalid_choice": _("Choose a number from 0 to 10.")},
    )
    note = forms.CharField(
        label=_("What is hard? (optional)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[MaxBytesValidator()],
    )


class FeedbackForm(forms.Form):
    use_required_attribute = False
    text = forms.CharField(
        label=_("Your feedback"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        validators=[MaxBytesValidator()],
        error_messages={"required": _("Write your feedback before sending it.")},
    )
    template = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
