"""Forms of the workspace. Dates are typed in the user's own time zone."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandem.care.kinds import SignalKind
from tandem.care.ladder import Outcome, Step
from tandem.care.services import MAX_MANUAL_MINUTES, NOTE_MAX

ACTIVITIES = (
    ("phone_call", _("Phone call")),
    ("video_call", _("Video call")),
    ("case_review", _("Case review")),
    ("writing", _("Writing and feedback")),
    ("other", _("Other")),
)


class SnoozeForm(forms.Form):
    until = forms.DateField(
        label=_("Show it again on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Choose the date to show it again.")},
    )
    reason = forms.CharField(
        label=_("Why (optional, seen by your supervisor)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.TextInput(),
    )

    def until_moment(self) -> datetime:
        """The start of the chosen day in the current time zone."""
        return timezone.make_aware(datetime.combine(self.cleaned_data["until"], time(0, 0)))


class OutreachForm(forms.Form):
    step = forms.ChoiceField(label=_("What you did"), choices=Step.choices)
    outcome = forms.ChoiceField(
        label=_("What came of it"), choices=Outcome.choices, initial=Outcome.PENDING
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What came of it"),
        choices=[c for c in Outcome.choices if c[0] != Outcome.PENDING],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TimeForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=MAX_MANUAL_MINUTES)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    activity = forms.ChoiceField(label=_("What"), choices=ACTIVITIES, initial="phone_call")
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)

    def started_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["day"], time(12, 0)))


class TimeEditForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=MAX_MANUAL_MINUTES)


class PlannedMinutesForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Planned minutes per patient per week"), min_value=0, max_value=MAX_MANUAL_MINUTES
    )


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Signal"), choices=SignalKind.choices)
    program_code = forms.CharField(label=_("Program"), required=False, max_length=50)
    enabled = forms.BooleanField(label=_("On"), required=False, initial=True)
    days = forms.IntegerField(label=_("Days"), required=False, min_value=0, max_value=365)
    priority = forms.IntegerField(label=_("Priority"), required=False, min_value=1, max_value=99)
