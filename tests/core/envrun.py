"""Run Python with a chosen environment in a fresh process: the settings module is read
once per process, so profile behaviour is tested in subprocesses."""

from __future__ import annotations

import os
import subprocess  # runs this interpreter on fixed code, no shell
import sys
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]
CONFIG = (
    "TANDEM_ENV",
    "DEBUG",
    "SECRET_KEY",
    "TANDEM_FIELD_KEYS",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_PRELOAD",
    "CSRF_TRUSTED_ORIGINS",
    "TANDEM_VAR_DIR",
)


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A complete production profile; ``NAME=None`` removes a variable."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in CONFIG and not any(k == f"{c}_FILE" for c in CONFIG)
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tandem.settings",
        TANDEM_ENV="production",
        SECRET_KEY="x" * 20 + "production-secret-key-for-tests-only-0123456789",
        TANDEM_FIELD_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="tandem.example.org",
        EMAIL_URL="smtp://127.0.0.1:8025",
        TANDEM_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(BASE_DIR),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed interpreter and manage.py
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


SETUP = "import django; django.setup()"
