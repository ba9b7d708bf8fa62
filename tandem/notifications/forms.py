"""Preference forms: bad input gets a clear message, never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandem.notifications.jobs import quiet_window, switched_on
from tandem.notifications.models import (
    REASON_TOGGLES,
    ClinicReminderDefaults,
    DigestChannel,
    NotificationPreferences,
    Reason,
    ReminderChannel,
)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_NOISE = re.compile(r"[\s\-.()/]")


def normalise_phone(value: str) -> str:
    """``+358 40 123 4567`` and ``00358401234567`` → ``+358401234567``; raises
    ``ValidationError`` for anything that is not an international (E.164) number."""
    value = _PHONE_NOISE.sub("", value or "")
    if not value:
        return ""
    if value.startswith("00"):
        value = "+" + value[2:]
    if not E164.match(value):
        raise forms.ValidationError(
            _(
                "Enter the number in international format: + and the country code, then "
                "the number, for example +358 40 123 4567."
            ),
            code="phone",
        )
    return value


class PhoneField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Mobile phone number"))
        kwargs.setdefault("help_text", _("In international format, for example +358 40 123 4567."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def clean(self, value: Any) -> str:
        return normalise_phone(super().clean(value))


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class _ReminderSwitchesMixin(forms.BaseForm):
    """What a patient's settings and the clinic's defaults share: a checkbox per reason
    (``reason_fields``) and quiet hours that end at a different time than they start."""

    reason_fields = list(REASON_TOGGLES.values())

    def _add_switches(self, label: Callable[[str], Any], on: Callable[[str], bool]) -> None:
        for reason, field in REASON_TOGGLES.items():
            self.fields[field] = forms.BooleanField(
                label=label(reason), required=False, initial=on(reason)
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if start is not None and end is not None and start == end:
            self.add_error(
                "quiet_end", _("Quiet hours must end at a different time than they start.")
            )
        return data


class PatientPreferencesForm(_ReminderSwitchesMixin, forms.ModelForm):
    """Reminders: how, how often, when not, and for what."""

    phone = PhoneField()

    class Meta:
        model = NotificationPreferences
        fields = ["reminder_channel", "phone", "frequency", "quiet_start", "quiet_end"]
        widgets = {"quiet_start": TimeInput(), "quiet_end": TimeInput()}
        labels = {
            "quiet_start": _("Quiet from"),
            "quiet_end": _("Quiet until"),
        }
        help_texts = {
            "quiet_start": _("No reminders between these times (your local time)."),
            "frequency": _("Reminders are collected into one message."),
        }

    def __init__(self, *args: Any, defaults: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefs = self.instance
        start, end = quiet_window(prefs, defaults)
        self.fields["quiet_start"].required = True
        self.fields["quiet_end"].required = True
        if prefs.quiet_start is None or prefs.quiet_end is None:
            self.initial["quiet_start"], self.initial["quiet_end"] = start, end
        self._add_switches(_reason_choice_label, lambda r: switched_on(prefs, defaults, r))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reminder_channel") == ReminderChannel.SMS and not data.get("phone"):
            self.add_error("phone", _("Add your mobile phone number to get text messages."))
        return data

    def save(self, commit: bool = True) -> NotificationPreferences:
        prefs = super().save(commit=False)
        for field in REASON_TOGGLES.values():
            setattr(prefs, field, bool(self.cleaned_data.get(field)))
        if commit:
            prefs.save()
        return prefs


def _reason_choice_label(reason: str) -> Any:
    labels = {
        Reason.MODULE_OPEN: _("A new module opens"),
        Reason.QUESTIONNAIRE_DUE: _("A questionnaire is due"),
        Reason.HOMEWORK_DUE: _("Homework is due"),
        Reason.NEW_MESSAGE: _("My therapist has written to me"),
        Reason.APPOINTMENT: _("I have an appointment tomorrow"),
        Reason.CHECK_IN: _("I have not visited for a while"),
    }
    return labels[Reason(reason)]


class StaffPreferencesForm(forms.ModelForm):
    """Therapists and supervisors: the daily summary, and a number for urgent alerts."""

    phone = PhoneField(
        help_text=_(
            "Optional. Safety alerts are also sent here as a text message. International "
            "format, for example +358 40 123 4567."
        )
    )

    class Meta:
        model = NotificationPreferences
        fields = ["digest_time", "digest_channel", "phone"]
        widgets = {"digest_time": TimeInput()}
        help_texts = {
            "digest_time": _("Your local time. Safety alerts always come at once."),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("digest_channel") == DigestChannel.SMS and not data.get("phone"):
            self.add_error("phone", _("Add your mobile phone number to get text messages."))
        return data


def _clinic_reason_label(reason: str) -> Any:
    labels = {
        Reason.MODULE_OPEN: _("A new module opens"),
        Reason.QUESTIONNAIRE_DUE: _("A questionnaire is due"),
        Reason.HOMEWORK_DUE: _("Homework is due"),
        Reason.NEW_MESSAGE: _("The therapist has written"),
        Reason.APPOINTMENT: _("An appointment is tomorrow"),
        Reason.CHECK_IN: _("No visit for a while (an inviting check-in)"),
    }
    return labels[Reason(reason)]


class ClinicRemindersForm(_ReminderSwitchesMixin, forms.ModelForm):
    """The clinic's reminder defaults: what every patient gets until they choose."""

    class Meta:
        model = ClinicReminderDefaults
        fields = ["quiet_start", "quiet_end", "check_in_after_days", "check_in_stop_after_days"]
        widgets = {"quiet_start": TimeInput(), "quiet_end": TimeInput()}
        labels = {
            "quiet_start": _("Quiet from"),
            "quiet_end": _("Quiet until"),
            "check_in_after_days": _("Invite back after (days without a visit)"),
            "check_in_stop_after_days": _("Stop inviting after (days without a visit)"),
        }
        help_texts = {
            "quiet_start": _("No reminders between these times (the patient's local time)."),
            "check_in_stop_after_days": _("So that someone who has left is not chased."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_switches(_clinic_reason_label, lambda r: switched_on(None, self.instance, r))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        after, stop = data.get("check_in_after_days"), data.get("check_in_stop_after_days")
        if after is not None and not 1 <= after <= 60:
            self.add_error("check_in_after_days", _("Choose between 1 and 60 days."))
        if stop is not None and not 7 <= stop <= 365:
            self.add_error("check_in_stop_after_days", _("Choose between 7 and 365 days."))
        elif after is not None and stop is not None and stop <= after:
            self.add_error(
                "check_in_stop_after_days",
                _("Stop inviting later than the first invitation."),
            )
        return data
