from __future__ import annotations

import pytest

from tests.messaging import factories


@pytest.fixture
def enrollment(personas):  # type: ignore[no-untyped-def]
    return factories.enroll(personas.patient, by=personas.therapist)


@pytest.fixture
def other_enrollment(personas):  # type: ignore[no-untyped-def]
    return factories.enroll(personas.other_patient, by=personas.other_therapist)


@pytest.fixture
def backdated_team(personas):  # type: ignore[no-untyped-def]
    """Care-team memberships that started long ago (for tests that travel in time)."""
    from datetime import UTC, datetime

    from tandem.accounts.models import CareTeamMember

    CareTeamMember.objects.filter(ended_at__isnull=True).update(
        started_at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    return personas


@pytest.fixture(autouse=True)
def _reset_language():  # type: ignore[no-untyped-def]
    """Requests by users with another language activate it in this thread (the
    LanguageMiddleware); reset it so later tests in the worker see the default."""
    from django.utils import translation

    yield
    translation.deactivate()
