"""Gesture templates: placeholders, optional segments and rendering (pure: no ORM).

A template body is plain text with placeholders in braces::

    Hi {first_name}, thank you for sending {work}.[ You wrote "{quote}".] – {therapist_name}

- Known placeholders: ``{first_name}``, ``{work}``, ``{quote}``, ``{change}``,
  ``{therapist_name}``. Anything else in braces is an error at save time; write ``{{`` and
  ``}}`` for literal braces.
- A segment in square brackets that contains placeholders is *optional*: it is left out
  when one of its placeholders has no value (no quote available, say). Brackets without
  placeholders are ordinary text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

PLACEHOLDERS = ("first_name", "work", "quote", "change", "therapist_name")
_FORMATTER = string.Formatter()
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_NAME = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


class TemplateError(ValueError):
    """A template body that cannot be used; ``problems`` lists readable reasons."""

    def __init__(self, problems: list[str], unknown: list[str] | None = None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.unknown = unknown or []


def placeholders_in(body: str) -> list[str]:
    """Placeholder names used in ``body`` (raises TemplateError on broken braces)."""
    try:
        parsed = list(_FORMATTER.parse(body))
    except ValueError as exc:
        raise TemplateError([f"braces: {exc}"]) from exc
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise TemplateError([f"{{{name}}}: placeholders take no format"])
        names.append(name)
    return names


def check(body: str) -> list[str]:
    """The placeholders of a valid body; TemplateError names every unknown placeholder."""
    names = placeholders_in(body)
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        raise TemplateError([f"{{{name}}}" for name in unknown], unknown=unknown)
    return names


def _segment_names(segment: str) -> list[str]:
    return [m.group(1) for m in _NAME.finditer(segment)]


def render(body: str, values: Mapping[str, str]) -> str:
    """Fill ``body``; optional segments whose values are missing are left out."""
    clean = {name: (values.get(name) or "").strip() for name in PLACEHOLDERS}

    def segment(match: re.Match[str]) -> str:
        inner = match.group(1)
        names = _segment_names(inner)
        if not names:
            return match.group(0)
        if all(clean.get(name) for name in names):
            return inner
        return ""

    text = _SEGMENT.sub(segment, body)
    check(text)
    filled = text.format_map(clean)
    filled = re.sub(r"[ \t]{2,}", " ", filled)
    filled = re.sub(r" +([.,;:!?])", r"\1", filled)
    return filled.strip()


def shorten(text: str, limit: int = 140) -> str:
    """A short quote: whole words, at most ``limit`` characters, with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
