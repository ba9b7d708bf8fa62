"""Helpers shared by the blended views."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tandem.blended.services.common import zone_of
from tandem.programs.views import deny_as_404, form_errors, language

__all__ = ["deny_as_404", "flash_errors", "form_errors", "language", "render_local"]


def render_local(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render with times shown in the viewer's own time zone."""
    zone = zone_of(request.user)
    with timezone.override(zone):
        return render(request, template, {**context, "viewer_zone": str(zone)}, status=status)


def flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(str(m) for m in exc.messages))
