"""Rendering message text: everything escaped, then line breaks and http(s) links."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

register = template.Library()

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"”’»"


def _split_url(raw: str) -> tuple[str, str]:
    """The URL without trailing punctuation, and that punctuation."""
    url = raw
    tail = ""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


def _text(chunk: str) -> SafeString:
    """Escaped text with ``<br>`` for each line break."""
    out = SafeString("")
    for index, line in enumerate(chunk.split("\n")):
        if index:
            out += SafeString("<br>\n")
        out += escape(line)
    return out


def linkify(text: str | None) -> SafeString:
    """Plain text → safe HTML: escaped, ``<br>`` for line breaks, http(s) URLs as links
    (``rel="noopener noreferrer nofollow"``). No other markup survives: every piece is
    either escaped or built by ``format_html``, and only safe strings are concatenated."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    out = SafeString("")
    position = 0
    for match in _URL.finditer(text):
        url, tail = _split_url(match.group(0))
        out += _text(text[position : match.start()])
        if len(url) > len("https://"):
            out += format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', url, url)
        else:
            out += escape(url)
        out += escape(tail)
        position = match.end()
    out += _text(text[position:])
    return out


register.filter("linkify", linkify)


def ref_url(message: Any, *, enrollment: Any, role: str) -> str:
    """Where a message's reference links to, for this reader (empty: no page for it).

    exercise → the exercise entry (patients and staff); module → the module player for
    the patient, the enrollment page for staff; score → the response page for staff."""
    ref_type = getattr(message, "ref_type", "")
    ref_uuid = getattr(message, "ref_uuid", None)
    key = getattr(message, "ref_key", "")
    routes: list[tuple[str, dict[str, Any]]] = []
    if ref_type == "exercise" and ref_uuid:
        routes.append(("exercise_entry", {"entry": ref_uuid}))
    elif ref_type == "module":
        if role == "patient" and key:
            routes.append(("module_start", {"enrollment": enrollment.uuid, "module": key}))
        elif role != "patient":
            routes.append(("enrollment_detail", {"enrollment": enrollment.uuid}))
    elif ref_type == "score" and ref_uuid and role != "patient":
        routes.append(
            ("response_detail", {"patient": enrollment.patient.uuid, "response": ref_uuid})
        )
    for name, kwargs in routes:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


@register.simple_tag(takes_context=True)
def message_ref(context: template.Context, message: Any, enrollment: Any) -> SafeString:
    """The reference of a message as a link (or its label when there is no page)."""
    label = getattr(message, "ref_label", "")
    if not label:
        return SafeString("")
    user = context.get("user")
    url = ref_url(message, enrollment=enrollment, role=getattr(user, "role", ""))
    if url:
        return format_html('<a class="msg-ref" href="{}">{}</a>', url, label)
    return format_html('<span class="msg-ref">{}</span>', label)


@register.filter
def function_label(code: str) -> str:
    """The translated name of a support function code ("emotion_regulation" → …)."""
    from tandem.messaging.models import SupportFunction

    try:
        return str(SupportFunction(code).label)
    except ValueError:
        return code
