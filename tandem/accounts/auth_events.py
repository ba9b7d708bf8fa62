"""Audit of authentication events that allauth and Django announce as signals.

Authentication is the one place where Tandem listens to signals: the login machinery
belongs to Django and allauth, and these receivers only write audit entries and session
timestamps, and ask for a security notice when a second factor or the password changes
(no domain side effects).
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.utils import timezone

from tandem.accounts import throttle
from tandem.audit import services as audit

SESSION_AUTH_AT = "tandem_auth_at"
SESSION_LAST_SEEN = "tandem_last_seen"
SESSION_TRACKED = "tandem_tracked"  # [client fingerprint, when UserSession was refreshed]


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[SESSION_AUTH_AT] = now
        request.session[SESSION_LAST_SEEN] = now
    audit.record(actor=user, action="accounts.login.succeeded", request=request)
    throttle.register_success(email=user.email)


def on_mfa_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action="accounts.mfa.failed", request=request, outcome="failed")
    # A wrong code counts like a wrong password: ten in a row start the cool-off.
    from tandem.core.net import client_ip

    ip = client_ip(request)
    throttle.register_failure(email=user.email, ip=ip)


def _mfa_change(action: str, notify: bool):  # type: ignore[no-untyped-def]
    def receiver(
        sender: Any, request: Any, user: Any, authenticator: Any = None, **kw: Any
    ) -> None:
        audit.record(
            actor=user,
            action=action,
            request=request,
            detail={"type": getattr(authenticator, "type", "")},
        )
        if notify:
            from tandem.accounts import tasks

            tasks.enqueue_security_notice(user_id=user.pk, notice="mfa_changed")

    return receiver


_receivers = {
    "added": _mfa_change("accounts.mfa.added", notify=True),
    "removed": _mfa_change("accounts.mfa.removed", notify=True),
    "reset": _mfa_change("accounts.mfa.recovery_codes_reset", notify=True),
    "used": _mfa_change("accounts.mfa.used", notify=False),
}


def _password_change(action: str):  # type: ignore[no-untyped-def]
    def receiver(sender: Any, request: Any, user: Any, **kw: Any) -> None:
        audit.record(actor=user, action=action, request=request)
        from tandem.accounts import notices

        notices.send(user_id=user.pk, notice="password_changed")

    return receiver


_password_receivers = {
    "changed": _password_change("accounts.password.changed"),
    "reset": _password_change("accounts.password.reset"),
}


def connect() -> None:
    auth_signals.user_logged_in.connect(on_logged_in, dispatch_uid="tandem.login")
    mfa_signals.authentication_failed.connect(on_mfa_failed, dispatch_uid="tandem.mfa.failed")
    mfa_signals.authenticator_added.connect(_receivers["added"], dispatch_uid="tandem.mfa.add")
    mfa_signals.authenticator_removed.connect(_receivers["removed"], dispatch_uid="tandem.mfa.rm")
    mfa_signals.authenticator_reset.connect(_receivers["reset"], dispatch_uid="tandem.mfa.reset")
    mfa_signals.authenticator_used.connect(_receivers["used"], dispatch_uid="tandem.mfa.used")
    account_signals.password_changed.connect(
        _password_receivers["changed"], dispatch_uid="tandem.password.changed"
    )
    account_signals.password_reset.connect(
        _password_receivers["reset"], dispatch_uid="tandem.password.reset"
    )
