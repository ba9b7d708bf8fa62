"""Forms answer bad input with a clear message, never a 500."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tandem.accounts.models import Role, User
from tandem.core.forms import WorkingDayMixin
from tandem.messaging import templating
from tandem.messaging.models import (
    MAX_BODY,
    ClinicMessagingPolicy,
    GestureContext,
    MessageTemplate,
    SupportFunction,
)


class MessageForm(forms.Form):
    # No max_length here: the service answers an oversized text with the precise
    # "at most 10 000 characters" message (the request size limit still applies).
    body = forms.CharField(
        label=_("Message"),
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_BODY}),
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)
    functions = forms.MultipleChoiceField(
        label=_("Support this message gives"),
        choices=SupportFunction.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    context = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)
    ref = forms.UUIDField(required=False, widget=forms.HiddenInput)
    about = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)
    template = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["functions"]
        self.fields["body"].widget.attrs.setdefault("aria-describedby", "body-limit")

    @staticmethod
    def new_token() -> uuid.UUID:
        return uuid.uuid4()


class TemplateForm(forms.ModelForm):
    shared = forms.BooleanField(
        label=_("Share with the whole clinic"),
        required=False,
        help_text=_("Only a supervisor can share templates with the clinic."),
    )

    class Meta:
        model = MessageTemplate
        fields = [
            "title",
            "context",
            "language",
            "body",
            "fn_autonomy",
            "fn_alliance",
            "fn_emotion_regulation",
            "is_active",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
        help_texts = {
            "body": _(
                "Placeholders: {first_name}, {work}, {quote}, {change}, {therapist_name}. "
                "Put a part in [square brackets] to leave it out when its placeholder has "
                "no value."
            ),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["context"].choices = GestureContext.choices
        self.fields["language"].choices = settings.LANGUAGES
        if user.role != Role.SUPERVISOR:
            del self.fields["shared"]
        elif self.instance.pk:
            self.fields["shared"].initial = self.instance.owner_id is None

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        try:
            templating.check(body)
        except templating.TemplateError as exc:
            if exc.unknown:
                names = ", ".join("{" + name + "}" for name in exc.unknown)
                raise forms.ValidationError(
                    _(
                        "Unknown placeholder: %(names)s. Use {first_name}, {work}, {quote}, "
                        "{change} or {therapist_name}."
                    )
                    % {"names": names},
                    code="unknown_placeholder",
                ) from exc
            raise forms.ValidationError(
                _("Check the braces: write {{ and }} for a literal brace. (%(problem)s)")
                % {"problem": "; ".join(exc.problems)},
                code="braces",
            ) from exc
        return body


class PolicyForm(WorkingDayMixin, forms.ModelForm):
    working_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        coerce=int,
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ClinicMessagingPolicy
        fields = [
            "promise_hours",
            "workday_start",
            "workday_end",
            "working_days",
            "holiday_country",
            "min_samples",
        ]
        widgets = {
            "workday_start": forms.TimeInput(attrs={"type": "time"}),
            "workday_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean_promise_hours(self) -> int:
        value = self.cleaned_data["promise_hours"]
        if not 1 <= value <= 200:
            raise forms.ValidationError(_("Choose between 1 and 200 working hours."))
        return value


class AbsenceForm(forms.Form):
    therapist = forms.ModelChoiceField(
        label=_("Therapist away"), queryset=User.objects.none(), to_field_name="uuid"
    )
    starts_on = forms.DateField(
        label=_("First day away"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Last day away"), widget=forms.DateInput(attrs={"type": "date"})
    )
    cover = forms.ModelChoiceField(
        label=_("Cover therapist"),
        queryset=User.objects.none(),
        to_field_name="uuid",
        help_text=_("They will see and answer your patients' messages while you are away."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        therapists = User.objects.filter(
            clinic_id=user.clinic_id, role=Role.THERAPIST, is_active=True
        ).order_by("full_name")
        self.fields["cover"].queryset = (
            therapists.exclude(pk=user.pk) if (user.role == Role.THERAPIST) else therapists
        )
        if user.role == Role.THERAPIST:
            self.fields["therapist"].queryset = therapists.filter(pk=user.pk)
            self.fields["therapist"].initial = user.uuid
            self.fields["therapist"].widget = forms.HiddenInput()
        else:
            self.fields["therapist"].queryset = therapists

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            self.add_error("ends_on", _("The last day must not be before the first day."))
        return data
