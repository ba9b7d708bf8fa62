"""Typed helpers that read configuration from the environment and fail loudly.

Every setting can also be read from a file: ``NAME_FILE=/run/secrets/name`` wins over
``NAME`` (for container and systemd secrets).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def _raw(name: str) -> str | None:
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def email_settings(url: str) -> dict[str, object]:
    """Translate ``EMAIL_URL`` into Django 6.1's ``MAILERS`` setting.

    ``smtp://user:password@host:port`` (``smtps://`` for implicit TLS, ``?tls=1`` for
    STARTTLS), ``console://`` and ``locmem://``. Empty means console output.
    """
    from urllib.parse import parse_qs, unquote, urlsplit

    def mailer(backend: str, **options: object) -> dict[str, object]:
        return {
            "default": {
                "BACKEND": f"django.core.mail.backends.{backend}.EmailBackend",
                "OPTIONS": options,
            }
        }

    if not url:
        return mailer("console")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return mailer("console")
    if scheme == "locmem":
        return mailer("locmem")
    if scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not supported (use smtp, smtps or console)"
        )
    query = parse_qs(parts.query)
    try:
        port = parts.port or (465 if scheme == "smtps" else 25)
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL has an invalid port: {url!r}") from exc
    return mailer(
        "smtp",
        host=parts.hostname or "127.0.0.1",
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_ssl=scheme == "smtps",
        use_tls=query.get("tls", ["0"])[0].lower() in {"1", "true", "yes"},
        timeout=10,
    )
