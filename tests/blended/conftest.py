from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tandem.blended.models import Appointment, AppointmentStatus
from tandem.programs.models import Enrollment
from tests.blended import factories
from tests.personas import Personas


@dataclass
class Blended:
    p: Personas
    enrollment: Enrollment
    previous: Appointment  # attended a week ago
    upcoming: Appointment  # tomorrow

    @property
    def patient(self) -> Any:
        return self.p.patient

    @property
    def therapist(self) -> Any:
        return self.p.therapist


@pytest.fixture
def bl(personas: Personas) -> Blended:
    now = timezone.now()
    enrollment = factories.blended(
        personas.patient, by=personas.therapist, started_at=now - timedelta(days=30)
    )
    previous = factories.session(
        enrollment,
        personas.therapist,
        now - timedelta(days=7),
        status=AppointmentStatus.ATTENDED,
    )
    upcoming = factories.session(enrollment, personas.therapist, now + timedelta(days=1))
    return Blended(personas, enrollment, previous, upcoming)
