from __future__ import annotations

import pytest
from django.utils import translation

from tests.exercises import factories


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Messages are compared in English, whatever an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def enrollment(personas):  # type: ignore[no-untyped-def]
    return factories.enroll(personas.patient, by=personas.therapist)


@pytest.fixture
def patient_client(personas, login):  # type: ignore[no-untyped-def]
    return login(personas.patient.user)
