"""Per-request account rules: idle and absolute session timeouts, the user's language,
and mandatory MFA for staff."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions import app_settings as usersessions_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tandem.accounts.auth_events import SESSION_AUTH_AT, SESSION_LAST_SEEN, SESSION_TRACKED
from tandem.audit import services as audit
from tandem.core.net import client_ip

Next = Callable[[HttpRequest], HttpResponse]


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


# Rescuers keep what a user was sending when their session ran out (a worksheet being
# submitted or autosaved): url name -> fn(request, url_kwargs) -> URL to come back to.
# Higher apps register them in AppConfig.ready; a rescuer only ever saves a draft.
Rescuer = Callable[[HttpRequest, dict], "str | None"]
_rescuers: dict[str, Rescuer] = {}


def register_expiry_rescuer(url_name: str, rescuer: Rescuer) -> None:
    _rescuers[url_name] = rescuer


def _rescue(request: HttpRequest) -> str | None:
    """Before signing out an expired session, save the POSTed text as a draft (CSRF
    checked first) and return where to continue after signing in again."""
    from django.middleware.csrf import CsrfViewMiddleware
    from django.urls import Resolver404, resolve

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    rescuer = _rescuers.get(match.url_name or "")
    if rescuer is None:
        return None
    if CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {}):
        return None  # failed the CSRF check: keep nothing
    try:
        return rescuer(request, match.kwargs)
    except Exception:  # the sign-out must happen whatever the rescue does
        logging.getLogger(__name__).exception("session-expiry rescue failed")
        return None


# Activity is written at most once a minute per session (the idle timeouts are 15 and 30
# minutes), so that an ordinary page view writes nothing on behalf of the session.
ACTIVITY_RESOLUTION_SECONDS = 60


class UserSessionsMiddleware:
    """allauth's session list (``UserSession``: the devices page, "sign out everywhere",
    ending every session of a deactivated user), kept up to date without a write per
    request: the row is created on a session's first signed-in request and refreshed
    when the client's address or browser changes or a minute has passed."""

    def __init__(self, get_response: Next) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            usersessions_settings.TRACK_ACTIVITY
            and request.session.session_key
            and request.user.is_authenticated
        ):
            self._track(request)
        return self.get_response(request)

    @staticmethod
    def _track(request: HttpRequest) -> None:
        client = f"{client_ip(request)}\n{request.META.get('HTTP_USER_AGENT', '')}"
        fingerprint = hashlib.sha256(client.encode()).hexdigest()[:16]
        now = timezone.now().timestamp()
        tracked = request.session.get(SESSION_TRACKED) or [None, 0]
        if tracked[0] == fingerprint and now - tracked[1] <= ACTIVITY_RESOLUTION_SECONDS:
            return
        UserSession.objects.create_from_request(request)
        request.session[SESSION_TRACKED] = [fingerprint, now]


class SessionTimeoutMiddleware:
    """Ends sessions idle longer than 15 min (staff) / 30 min (patients) and any session
    older than 12 h, whatever the activity. A worksheet POSTed into an expired session is
    kept as a draft (see ``register_expiry_rescuer``) and the user comes back to it."""

    def __init__(self, get_response: Next) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = timezone.now().timestamp()
            auth_at = request.session.get(SESSION_AUTH_AT)
            last = request.session.get(SESSION_LAST_SEEN)
            if auth_at is None or last is None:
                request.session[SESSION_AUTH_AT] = auth_at = auth_at or now
                request.session[SESSION_LAST_SEEN] = last = now
            idle = (
                settings.TANDEM_SESSION_IDLE_PATIENT
                if user.role == "patient"
                else settings.TANDEM_SESSION_IDLE_STAFF
            )
            reason = None
            if now - last > idle.total_seconds():
                reason = "idle"
            elif now - auth_at > settings.TANDEM_SESSION_ABSOLUTE.total_seconds():
                reason = "absolute"
            if reason:
                audit.record(
                    actor=user, action=f"accounts.session.expired_{reason}", request=request
                )
                back = _rescue(request) if request.method == "POST" else None
                logout(request)
                messages.info(
                    request,
                    _(
                        "Your session ended for your security. Sign in again to continue — "
                        "anything you were writing has been saved as a draft."
                    ),
                )
                if request.method == "GET":
                    back = request.get_full_path()
                query = urlencode({"next": back}) if back else ""
                return _redirect(request, reverse("account_login") + (f"?{query}" if query else ""))
            if now - last > ACTIVITY_RESOLUTION_SECONDS:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


def _zone(name: str):  # type: ignore[no-untyped-def]
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


class LanguageMiddleware:
    """Signed-in users see the language and time zone they chose in their preferences."""

    def __init__(self, get_response: Next) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.language in dict(settings.LANGUAGES):
            request.LANGUAGE_CODE = user.language
            # Scoped to this request: the thread's language and time zone are restored
            # afterwards. Dates and times are shown in the user's own time zone.
            with translation.override(user.language), timezone.override(_zone(user.timezone)):
                response = self.get_response(request)
            response.setdefault("Content-Language", user.language)
            return response
        return self.get_response(request)


MFA_EXEMPT_PREFIXES = (
    "/account/2fa/",
    "/account/logout/",
    "/account/reauthenticate/",
    "/static/",
    "/healthz",
    "/i18n/",
)


class MFARequiredMiddleware:
    """A staff user without a second factor is sent to set one up and reaches nothing else."""

    def __init__(self, get_response: Next) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.requires_mfa
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not is_mfa_enabled(user)
        ):
            messages.warning(
                request,
                _("Staff accounts need two-factor authentication. Set it up to continue."),
            )
            return _redirect(request, reverse("mfa_activate_totp"))
        return self.get_response(request)
