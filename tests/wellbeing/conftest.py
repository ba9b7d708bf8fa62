from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _reset_language():  # type: ignore[no-untyped-def]
    """Requests by users with another language activate it in this thread (the
    LanguageMiddleware); reset it so later tests in the worker see the default."""
    from django.utils import translation

    yield
    translation.deactivate()
