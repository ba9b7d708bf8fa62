"""Roles × URLs: every URL pattern has a rule and every persona gets the expected answer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_matrix import ALLAUTH_PREFIX, MATRIX, PERSONAS


def _walk(patterns, prefix: str = ""):  # type: ignore[no-untyped-def]
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def project_url_names() -> set[str]:
    names = set()
    for route, name in _walk(get_resolver().url_patterns):
        if route.startswith(ALLAUTH_PREFIX.lstrip("/")):
            continue
        assert name, f"URL pattern {route!r} has no name: name it and give it a rule"
        names.add(name)
    return names


def allauth_routes() -> list[tuple[str, str | None]]:
    return [
        (route, name)
        for route, name in _walk(get_resolver().url_patterns)
        if route.startswith(ALLAUTH_PREFIX.lstrip("/"))
    ]


def test_every_url_has_a_rule():
    missing = project_url_names() - set(MATRIX)
    assert not missing, f"URL patterns without an access-matrix rule: {sorted(missing)}"
    stale = set(MATRIX) - project_url_names()
    assert not stale, f"access-matrix rules for URLs that no longer exist: {sorted(stale)}"


def _request(client: Client, rule, url: str, data):  # type: ignore[no-untyped-def]
    return getattr(client, rule.method)(url, data)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(name, personas, login):
    rule = MATRIX[name]
    users = personas.all_users()
    for persona in PERSONAS:
        kwargs = rule.kwargs(personas)
        url = reverse(name, kwargs=kwargs)
        client = login(users[persona])
        response = _request(client, rule, url, rule.data(personas))
        expected = rule.ok_status if persona in rule.ok else rule.denied_status
        assert response.status_code in expected, (
            f"{name} as {persona}: got {response.status_code}, expected {expected}"
        )
    # anonymous
    kwargs = rule.kwargs(personas)
    response = _request(Client(), rule, reverse(name, kwargs=kwargs), rule.data(personas))
    if rule.public:
        assert response.status_code < 500
    else:
        assert response.status_code == 302, f"{name} anonymous got {response.status_code}"
        assert "/account/login/" in response["Location"]


@pytest.mark.django_db
def test_deactivated_user_is_signed_out_on_next_request(personas, login):
    client = login(personas.therapist)
    assert client.get(reverse("patient_detail", args=[personas.patient.uuid])).status_code == 200
    type(personas.therapist).objects.filter(pk=personas.therapist.pk).update(is_active=False)
    response = client.get(reverse("patient_detail", args=[personas.patient.uuid]))
    assert response.status_code == 302 and "/account/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", [None, "patient", "therapist"])
def test_allauth_views_never_fail(who, personas, login):
    client = login(personas.all_users()[who]) if who else Client()
    for route, _name in allauth_routes():
        if "<" in route:
            continue  # parametrised allauth routes are covered by their own flows
        response = client.get("/" + route)
        assert response.status_code < 500, f"/{route} as {who}: {response.status_code}"
