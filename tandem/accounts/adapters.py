"""allauth adapters: no open sign-up, Tandem's own lockout, role-based landing pages."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest
from django.urls import reverse

from tandem.accounts import throttle
from tandem.audit import services as audit


def _ip(request: HttpRequest | None) -> str | None:
    from tandem.core.net import client_ip

    return client_ip(request)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Nobody signs up on their own: therapists invite patients, admins invite staff.
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        email = credentials.get("email") or ""
        if throttle.is_blocked(email=email, ip=_ip(request)):
            audit.record(
                actor=None,
                action="accounts.login.blocked",
                request=request,
                outcome="denied",
                detail={"email": email[:254]},
            )
            raise self.validation_error("too_many_login_attempts")

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = credentials.get("email") or ""
        throttle.register_failure(email=email, ip=_ip(request))
        audit.record(
            actor=None,
            action="accounts.login.failed",
            request=request,
            outcome="failed",
            detail={"email": email[:254]},
        )

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if user is not None and hasattr(request, "session") and not request.user.is_authenticated:
            # A new session key once the password is right (and again at login, after
            # the second factor): a planted session id never reaches a signed-in state.
            request.session.cycle_key()
        # The failure count is cleared only by a completed sign-in (auth_events), so that
        # a known password does not reset the count of wrong second-factor codes.
        return user

    def logout(self, request: HttpRequest) -> None:
        """Logging out ends every session of the user, not just this one."""
        from allauth.usersessions.models import UserSession

        user = request.user
        if user.is_authenticated:
            audit.record(actor=user, action="accounts.logout", request=request)
            others = UserSession.objects.filter(user=user).exclude(
                session_key=request.session.session_key
            )
            for session in others:
                session.end()
        super().logout(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Account emails carry no clinical content; they are rendered in the
        # recipient's language by allauth's templates (overridden in templates/account).
        super().send_mail(template_prefix, email, context)


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user: Any) -> str:
        return user.email

    def encrypt(self, text: str) -> str:
        """TOTP secrets and recovery-code seeds are encrypted with the field keys, so a
        database dump holds no one's second factor."""
        from tandem.core import crypto

        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        from tandem.core import crypto

        if not encrypted_text.startswith(crypto.PREFIX):
            return encrypted_text  # written before encryption was on
        return crypto.decrypt(encrypted_text)
