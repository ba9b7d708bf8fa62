from __future__ import annotations

import pytest
from django.test import Client

from tests.personas import Personas, make_personas


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Password hashing is slow by design (Argon2id, ~0.6 s); tests use a fast hasher.
    # tests/accounts/test_passwords.py checks that the real setting is Argon2id.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]


@pytest.fixture
def personas(db) -> Personas:
    return make_personas()


@pytest.fixture
def login(client):
    """Log a user in (MFA already completed for staff) and return the client."""

    def _login(user, c: Client | None = None) -> Client:
        c = c or Client()
        c.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
        return c

    return _login
