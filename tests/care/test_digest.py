"""The care app's line in the therapist's daily digest: a count, never a name."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tandem.care.kinds import SignalKind as K
from tests.care import factories

pytestmark = pytest.mark.django_db


def test_the_digest_counts_the_triage_list(personas):
    from tandem.care import caseload
    from tandem.notifications import digest

    caseload.refresh_row(personas.patient.pk)
    factories.signal(personas.patient, K.ALLIANCE_DIP, key="one")
    factories.signal(personas.patient, K.MISSED_QUESTIONNAIRE, key="two")
    factories.signal(personas.other_patient, K.ALLIANCE_DIP, key="other")
    lines = digest.lines_for(personas.therapist, timezone.now())
    assert (2, "things wait in your triage list") in lines
    assert all("Pat" not in label for _count, label in lines)
    assert digest.lines_for(personas.outsider, timezone.now()) == [] or all(
        "triage" not in label
        for _count, label in digest.lines_for(personas.outsider, timezone.now())
    )
