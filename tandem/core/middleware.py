"""Security headers that Django does not set by itself."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    """Permissions-Policy everywhere; ``no-store`` on every authenticated response;
    ``Clear-Site-Data`` when the user logs out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.logout_path = reverse("account_logout")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        was_authenticated = request.user.is_authenticated
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.TANDEM_PERMISSIONS_POLICY)
        if was_authenticated or request.user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
        if (
            request.path == self.logout_path
            and request.method == "POST"
            and was_authenticated
            and not request.user.is_authenticated
        ):
            response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response


class StripNullCharactersMiddleware:
    """No form or query value of Tandem can meaningfully contain a NUL character, and
    PostgreSQL can neither store nor compare one: it would surface as a server error deep
    in a view. NULs are removed from query strings and form bodies before any view runs,
    so forms validate what remains and answer with their usual messages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request.GET):
            request.GET = _without_nul(request.GET)
        if request.method == "POST" and _has_nul(request.POST):
            request.POST = _without_nul(request.POST)
        return self.get_response(request)


def _has_nul(data) -> bool:  # type: ignore[no-untyped-def]
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


def _without_nul(data):  # type: ignore[no-untyped-def]
    from django.http import QueryDict

    clean = QueryDict(mutable=True)
    for key, values in data.lists():
        clean.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
    clean._mutable = False
    return clean
