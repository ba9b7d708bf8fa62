from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import translation

from tandem.care import signals as sig
from tests.care import factories


@pytest.fixture(autouse=True)
def _english_and_fresh_rules():  # type: ignore[no-untyped-def]
    """Words are compared in English; the per-process rule cache starts empty."""
    sig.forget_rules()
    with translation.override("en"):
        yield
    translation.deactivate()
    sig.forget_rules()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """``with commit():`` runs the event handlers registered inside, as a real commit
    would (pytest-django wraps each test in a transaction that never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def backdated(personas):  # type: ignore[no-untyped-def]
    """Care-team memberships that started long ago (for tests that travel in time)."""
    from tandem.accounts.models import CareTeamMember

    CareTeamMember.objects.filter(ended_at__isnull=True).update(
        started_at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    return personas


@pytest.fixture
def enrollment(personas):  # type: ignore[no-untyped-def]
    return factories.enroll(personas.patient, by=personas.therapist)
