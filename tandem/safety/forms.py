from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandem.core.forms import WorkingDayMixin
from tandem.safety.models import EscalationPolicy
from tandem.safety.services import NOTE_MAX


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("What did you do?"),
        help_text=_(
            "Required. For example: phoned the patient, assessed risk, agreed a safety plan, "
            "contacted the referring unit."
        ),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write down what you did about this alert.")},
    )


# --- the clinic's safety settings (supervisor, admin) ---------------------------------------------

PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{1,38}$")
LINE_ROWS = 4  # crisis lines a clinic lists per language


def _phone(value: str) -> str:
    value = " ".join(value.split())
    if value and not PHONE.match(value):
        raise forms.ValidationError(
            _("Enter a phone number: digits, spaces, dashes or brackets, optionally a leading +.")
        )
    return value


class CrisisResourcesForm(forms.Form):
    """What the clinic's patients see under "Get help now", in one language."""

    emergency_number = forms.CharField(label=_("Emergency number"), max_length=20)
    clinic_phone = forms.CharField(label=_("Clinic phone"), max_length=40, required=False)
    clinic_hours = forms.CharField(label=_("Clinic opening hours"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, LINE_ROWS + 1):
            self.fields[f"line_{n}_name"] = forms.CharField(
                label=_("Crisis line %(n)s: name") % {"n": n}, max_length=200, required=False
            )
            self.fields[f"line_{n}_number"] = forms.CharField(
                label=_("Crisis line %(n)s: number") % {"n": n}, max_length=40, required=False
            )
            self.fields[f"line_{n}_hours"] = forms.CharField(
                label=_("Crisis line %(n)s: opening hours") % {"n": n},
                max_length=200,
                required=False,
            )

    def clean_emergency_number(self) -> str:
        return _phone(self.cleaned_data["emergency_number"])

    def clean_clinic_phone(self) -> str:
        return _phone(self.cleaned_data.get("clinic_phone") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = []
        for n in range(1, LINE_ROWS + 1):
            name = (data.get(f"line_{n}_name") or "").strip()
            number = data.get(f"line_{n}_number") or ""
            hours = (data.get(f"line_{n}_hours") or "").strip()
            try:
                number = _phone(number)
            except forms.ValidationError as exc:
                self.add_error(f"line_{n}_number", exc)
                continue
            if not (name or number or hours):
                continue
            if not name:
                self.add_error(f"line_{n}_name", _("Give the line a name patients recognise."))
            elif not number:
                self.add_error(f"line_{n}_number", _("Give the line's phone number."))
            else:
                lines.append({"name": name, "number": number, "hours": hours})
        data["lines"] = lines
        return data

    @classmethod
    def initial_for(cls, resources: Any) -> dict[str, str]:
        """The form's starting values from what patients see now."""
        initial = {
            "emergency_number": resources.emergency_number,
            "clinic_phone": resources.clinic_phone,
            "clinic_hours": resources.clinic_hours,
        }
        for n, line in enumerate(resources.lines[:LINE_ROWS], start=1):
            initial |= {
                f"line_{n}_name": line.name,
                f"line_{n}_number": line.number,
                f"line_{n}_hours": line.hours,
            }
        return initial


class EscalationPolicyForm(WorkingDayMixin, forms.ModelForm):
    class Meta:
        model = EscalationPolicy
        fields = ["urgent_hours", "review_hours", "workday_start", "workday_end", "holiday_country"]
        widgets = {
            "workday_start": forms.TimeInput(attrs={"type": "time"}),
            "workday_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def _hours(self, name: str) -> int:
        value = self.cleaned_data[name]
        if not 1 <= value <= 40:
            raise forms.ValidationError(_("Choose between 1 and 40 working hours."))
        return value

    def clean_urgent_hours(self) -> int:
        return self._hours("urgent_hours")

    def clean_review_hours(self) -> int:
        return self._hours("review_hours")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        urgent, review = data.get("urgent_hours"), data.get("review_hours")
        if urgent and review and urgent > review:
            self.add_error(
                "urgent_hours",
                _("Urgent alerts must escalate no later than review alerts."),
            )
        return data
