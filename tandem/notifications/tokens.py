"""Signed one-click unsubscribe links (no expiry; rotating SECRET_KEY revokes them)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "tandem.notifications.unsubscribe"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def make_unsubscribe_token(user: Any) -> str:
    """``<user uuid hex>:<signature>`` — short enough for a mail header line."""
    return _signer().sign(user.uuid.hex)


def read_unsubscribe_token(token: str) -> uuid.UUID | None:
    """The user uuid in a valid token, else None (tampered, truncated, wrong key)."""
    try:
        return uuid.UUID(hex=_signer().unsign(token))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def unsubscribe_url(user: Any) -> str:
    path = reverse("notifications_unsubscribe", kwargs={"token": make_unsubscribe_token(user)})
    return settings.SITE_URL + path
