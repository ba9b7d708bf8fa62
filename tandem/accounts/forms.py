"""Forms validate and answer bad input with a clear message, never a 500."""

from __future__ import annotations

import zoneinfo

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.webauthn.forms import (
    AddWebAuthnForm,
    AuthenticateWebAuthnForm,
    LoginWebAuthnForm,
    ReauthenticateWebAuthnForm,
)
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from tandem.accounts import throttle
from tandem.accounts.models import CareTeamMember, Role, User

STAFF_ROLE_CHOICES = [
    (Role.THERAPIST, Role.THERAPIST.label),
    (Role.SUPERVISOR, Role.SUPERVISOR.label),
    (Role.ADMIN, Role.ADMIN.label),
    (Role.RESEARCHER, Role.RESEARCHER.label),
]


class InviteForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("Email address"), max_length=254)

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the person's name."))
        return name


class InviteStaffForm(InviteForm):
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=1024,
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=1024,
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            self.user.full_name = data.get("full_name") or self.user.full_name
            try:
                password_validation.validate_password(str(p1), self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class BreakGlassForm(forms.Form):
    email = forms.EmailField(label=_("Patient's email address"), required=False)
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why do you need access now?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("patient"):
            raise forms.ValidationError(_("Name the patient by their email address."))
        return data


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Review note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class CareTeamAddForm(forms.Form):
    therapist = forms.ModelChoiceField(
        label=_("Therapist"), queryset=User.objects.none(), to_field_name="uuid"
    )
    team_role = forms.ChoiceField(
        label=_("Role in the care team"), choices=CareTeamMember.TeamRole.choices
    )

    def __init__(self, *args: object, clinic_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["therapist"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            clinic_id=clinic_id, role=Role.THERAPIST, is_active=True
        )


class StaffEditForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    timezone = forms.CharField(label=_("Time zone"), max_length=64)

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        if name not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Enter a time zone such as Europe/Helsinki."))
        return name


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=80)
    patient = forms.UUIDField(label=_("Patient id"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)


class _ThrottledCodeMixin:
    """Second-factor codes obey the account lockout: while the account (or the address)
    is in its cool-off, no code is even checked (SECURITY.md "brute force")."""

    user: User

    def clean_code(self) -> str:
        request = context.request
        from tandem.core.net import client_ip

        ip = client_ip(request)
        if throttle.is_blocked(email=self.user.email, ip=ip):
            raise get_account_adapter().validation_error("too_many_login_attempts")
        return super().clean_code()  # type: ignore[misc]


class MFAAuthenticateForm(_ThrottledCodeMixin, AuthenticateForm):
    pass


class MFAReauthenticateForm(_ThrottledCodeMixin, ReauthenticateForm):
    pass


# --- passkeys (allauth's WebAuthn forms) --------------------------------------------------------

_CREDENTIAL_KEYS = {"id", "rawId", "type", "response"}
_ASSERTION_KEYS = {"clientDataJSON", "authenticatorData", "signature"}
_ATTESTATION_KEYS = {"clientDataJSON", "attestationObject"}


def _check_credential(value: object, response_keys: set[str]) -> None:
    """The browser's credential has the shape WebAuthn gives it, with text values: the
    library behind allauth would otherwise fail on a missing key with a server error."""
    ok = (
        isinstance(value, dict)
        and value.keys() >= _CREDENTIAL_KEYS
        and all(isinstance(value[key], str) for key in ("id", "rawId", "type"))
        and isinstance(value["response"], dict)
        and response_keys <= value["response"].keys()
        and all(isinstance(value["response"][key], str) for key in response_keys)
    )
    if not ok:
        raise forms.ValidationError(_("The passkey could not be read. Please try again."))


class _AssertionMixin:
    """Signing in or confirming with a passkey: a well-formed assertion, and no attempt
    while the account is in its lockout cool-off (when the user is known)."""

    user: User | None
    data: dict

    def clean_credential(self) -> object:
        _check_credential(self.cleaned_data.get("credential"), _ASSERTION_KEYS)  # type: ignore[attr-defined]
        if self.user is not None:
            from tandem.core.net import client_ip

            if throttle.is_blocked(email=self.user.email, ip=client_ip(context.request)):
                raise get_account_adapter().validation_error("too_many_login_attempts")
        return super().clean_credential()  # type: ignore[misc]


class PasskeyLoginForm(_AssertionMixin, LoginWebAuthnForm):
    pass


class PasskeyAuthenticateForm(_AssertionMixin, AuthenticateWebAuthnForm):
    pass


class PasskeyReauthenticateForm(_AssertionMixin, ReauthenticateWebAuthnForm):
    pass


class AddPasskeyForm(AddWebAuthnForm):
    def clean(self) -> dict:
        credential = self.cleaned_data.get("credential")
        if credential is not None:
            try:
                _check_credential(credential, _ATTESTATION_KEYS)
            except forms.ValidationError as exc:
                self.add_error("credential", exc)
                return self.cleaned_data
        return super().clean()
