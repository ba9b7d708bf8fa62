"""Helpers shared by the workspace views."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _


def language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or getattr(request.user, "language", "en")


def page_number(raw: object, problems: list[str]) -> int:
    """A page number from the query string; anything else is page 1 with a message."""
    if raw in (None, ""):
        return 1
    try:
        number = int(str(raw))
    except ValueError:
        problems.append(_("That page does not exist; showing the first page."))
        return 1
    if number < 1:
        problems.append(_("That page does not exist; showing the first page."))
        return 1
    return number


def week_bounds(raw: object, problems: list[str]) -> tuple[date, datetime, datetime]:
    """The ISO week ``YYYY-Www`` (default: this week) as local Monday and its bounds."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    if raw:
        try:
            year, week = str(raw).split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
        except (ValueError, TypeError):
            problems.append(_("Unknown week; showing this week."))
    start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    return monday, start, start + timedelta(days=7)


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def query_without(request: HttpRequest, *names: str) -> str:
    params: Any = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()
