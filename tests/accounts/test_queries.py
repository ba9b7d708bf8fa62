"""The caseload page costs the same number of queries whatever its size (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.accounts.models import CareTeamMember
from tests.personas import make_patient

pytestmark = pytest.mark.django_db


def grow_caseload(personas, total: int) -> None:
    have = CareTeamMember.objects.active().filter(therapist=personas.therapist).count()
    for n in range(have, total):
        patient = make_patient(personas.clinic, personas.therapist, name=f"Case {n:03d}")
        CareTeamMember.objects.create(patient=patient, therapist=personas.cover, team_role="cover")


def count_queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["therapist", "supervisor"])
def test_patient_list_queries_do_not_grow_with_the_caseload(personas, login, who):
    client = login(getattr(personas, who))
    url = reverse("patient_list")
    grow_caseload(personas, 5)
    count_queries(client, url)  # warm caches (content types, sessions)
    small = count_queries(client, url)
    grow_caseload(personas, 40)
    large = count_queries(client, url)
    assert large == small, f"5 patients: {small} queries, 40 patients: {large}"


def test_search_queries_do_not_grow_either(personas, login):
    client = login(personas.therapist)
    url = reverse("patient_list")
    grow_caseload(personas, 5)
    count_queries(client, url, q="Case")
    small = count_queries(client, url, q="Case")
    grow_caseload(personas, 40)
    assert count_queries(client, url, q="Case") == small


def test_with_django_assert_num_queries(personas, login, django_assert_num_queries):
    client = login(personas.supervisor)
    url = reverse("patient_list")
    grow_caseload(personas, 5)
    client.get(url)
    expected = count_queries(client, url)
    grow_caseload(personas, 40)
    with django_assert_num_queries(expected):
        client.get(url)
