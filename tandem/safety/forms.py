from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
