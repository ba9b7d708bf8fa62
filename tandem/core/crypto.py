"""Field-level encryption of clinical free text.

Keys come from ``settings.TANDEM_FIELD_KEYS`` (Fernet keys, newest first). The newest
key encrypts; every listed key decrypts, so keys can be rotated without downtime:
prepend a new key, run ``manage.py rotate_field_keys``, then drop the old one.
All cryptography is the ``cryptography`` package's Fernet (AES-128-CBC + HMAC-SHA256);
no cipher code lives here.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1:"


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("TANDEM_FIELD_KEYS is empty: clinical text cannot be stored")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TANDEM_FIELD_KEYS must be a comma-separated list of Fernet keys "
            "(32 url-safe base64-encoded bytes each); generate one with "
            "`manage.py generate_field_key`."
        ) from exc


def _current() -> MultiFernet:
    return _multifernet(tuple(settings.TANDEM_FIELD_KEYS))


def check_keys() -> None:
    """Fail at start-up, with a clear message, when the keys are missing or malformed."""
    _current()


def encrypt(plaintext: str) -> str:
    return PREFIX + _current().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise DecryptionError("value is not in Tandem's encrypted format")
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionError("no configured key decrypts this value") from exc


def rotate(stored: str) -> str:
    """Re-encrypt a stored value with the newest key (keeps its original timestamp)."""
    if not stored.startswith(PREFIX):
        raise DecryptionError("value is not in Tandem's encrypted format")
    token = _current().rotate(stored[len(PREFIX) :].encode("ascii"))
    return PREFIX + token.decode("ascii")


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
