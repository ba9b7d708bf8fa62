"""The triage and caseload pages cost the same number of queries at 5 and at 200
patients (no N+1), for a therapist and for the supervisor."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.care import periodic
from tests.care import factories

pytestmark = pytest.mark.django_db

PAGES = [
    ("care_triage", {}),
    ("care_triage", {"kind": "alliance_dip", "page": "2"}),
    ("care_caseload", {}),
    ("care_caseload", {"sort": "risk", "risk": "low", "page": "2"}),
    ("care_caseload", {"q": "case", "signal": "missed_questionnaire", "sort": "-activity"}),
]


def count(client, name, params) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name), params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["therapist", "supervisor"])
def test_query_counts_are_flat_from_5_to_200_patients(personas, login, who):
    client = login(getattr(personas, who))
    factories.caseload(personas.clinic, personas.therapist, 5)
    periodic.run()
    for name, params in PAGES:
        count(client, name, params)  # warm per-process caches (content, instruments)
    small = {(name, str(params)): count(client, name, params) for name, params in PAGES}
    factories.caseload(personas.clinic, personas.therapist, 200)
    periodic.run()
    large = {(name, str(params)): count(client, name, params) for name, params in PAGES}
    assert large == small


def test_with_django_assert_num_queries(personas, login, django_assert_num_queries):
    client = login(personas.therapist)
    factories.caseload(personas.clinic, personas.therapist, 5)
    periodic.run()
    url = reverse("care_triage")
    client.get(url)
    expected = count(client, "care_triage", {})
    factories.caseload(personas.clinic, personas.therapist, 200)
    with django_assert_num_queries(expected):
        client.get(url)


def test_patient_overview_queries_do_not_grow_with_the_caseload(personas, login):
    client = login(personas.therapist)
    factories.caseload(personas.clinic, personas.therapist, 5)
    periodic.run()
    url = reverse("care_patient", args=[personas.patient.uuid])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    factories.caseload(personas.clinic, personas.therapist, 60)
    periodic.run()
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)
