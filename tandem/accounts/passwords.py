"""Password rules (SECURITY.md): at least 12 characters, 15 for patients without MFA, at
most 128, no composition rules; common passwords and context words are refused."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_LENGTH = 128
STAFF_MIN = 12
PATIENT_WITHOUT_MFA_MIN = 15
CONTEXT_WORDS = ("tandem", "therapy", "terapia", "terapi", "password", "salasana", "lösenord")


def min_length_for(user: object | None) -> int:
    if user is None or getattr(user, "role", None) != "patient":
        return STAFF_MIN
    from allauth.mfa.utils import is_mfa_enabled

    has_mfa = getattr(user, "pk", None) is not None and is_mfa_enabled(user)
    return STAFF_MIN if has_mfa else PATIENT_WITHOUT_MFA_MIN


class LengthValidator:
    def validate(self, password: str, user: object | None = None) -> None:
        minimum = min_length_for(user)
        if len(password) < minimum:
            raise ValidationError(
                ngettext(
                    "Use at least %(min)d character.",
                    "Use at least %(min)d characters. A few unrelated words make a "
                    "strong, memorable password.",
                    minimum,
                )
                % {"min": minimum},
                code="password_too_short",
            )
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                _("Use at most %(max)d characters.") % {"max": MAX_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _(
            "At least %(staff)d characters (%(patient)d if you do not use two-factor "
            "authentication), at most %(max)d. No special characters required."
        ) % {"staff": STAFF_MIN, "patient": PATIENT_WITHOUT_MFA_MIN, "max": MAX_LENGTH}


class ContextWordValidator:
    """Refuse passwords built on the service's name or the user's own details."""

    def _words(self, user: object | None) -> set[str]:
        words = set(CONTEXT_WORDS)
        if user is not None:
            email = getattr(user, "email", "") or ""
            name = getattr(user, "full_name", "") or ""
            clinic = getattr(getattr(user, "clinic", None), "name", "") or ""
            for text in (email.split("@")[0], name, clinic):
                words.update(w for w in re.split(r"[\W_]+", text.lower()) if len(w) >= 4)
        words.discard("clinic")
        return words

    def validate(self, password: str, user: object | None = None) -> None:
        lowered = password.lower()
        for word in self._words(user):
            if word in lowered:
                raise ValidationError(
                    _("Do not build your password on “%(word)s”: it is easy to guess here.")
                    % {"word": word},
                    code="password_context_word",
                )

    def get_help_text(self) -> str:
        return _("It must not contain your name, email or the name of this service.")
