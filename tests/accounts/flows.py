"""Real HTTP sign-in flows for the account tests (password step, then the TOTP step)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.test import Client

from tests.personas import PASSWORD, totp_now

LOGIN_URL = "/account/login/"
MFA_URL = "/account/2fa/authenticate/"
TOTP_SETUP_URL = "/account/2fa/totp/activate/"

_ERRORS = re.compile(r'<div class="errors" role="alert">(.*?)</div>', re.S)
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"|("X-CSRFToken": ")[^"]+"')


def step_start(step: int) -> datetime:
    """The first second of TOTP step ``step`` (30-second periods)."""
    return datetime.fromtimestamp(step * 30, tz=UTC)


def post_password(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN_URL, {"login": email, "password": password}, **extra)


def post_code(client: Client, code: str):
    return client.post(MFA_URL, {"code": code})


def sign_in(client: Client, user, *, password: str = PASSWORD, code: str | None = None):
    """The whole sign-in as a browser does it; returns the last response."""
    response = post_password(client, user.email, password)
    if response.status_code == 302 and response["Location"] == MFA_URL:
        response = post_code(client, code or totp_now())
    return response


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def error_text(response) -> str:
    """The visible error block of a form page (whitespace-normalised)."""
    match = _ERRORS.search(response.content.decode())
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


def without_tokens(html: bytes | str, *echoed: str) -> str:
    """Page text with per-request tokens and echoed input removed, for comparing answers."""
    text = html.decode() if isinstance(html, bytes) else html
    text = _CSRF.sub("TOKEN", text)
    for value in echoed:
        text = text.replace(value, "ECHO")
    return text
