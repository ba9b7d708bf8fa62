"""Render a notification in its recipient's language and time zone.

Templates never see the caller's ``context`` as such: each kind declares the keys it may
use (``kinds.Kind.context_keys``) and ``project_context`` turns them into safe values
(known reason codes into their labels, digest lines into counts and clean labels).
Everything that leaves the platform (email, SMS) is checked once more with
``content.find_clinical``: a text with a clinical word is not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tandem.accounts import notices
from tandem.notifications import kinds
from tandem.notifications.content import LABEL_MAX_CHARS, find_clinical
from tandem.notifications.models import Channel, Reason
from tandem.notifications.schedule import zone
from tandem.notifications.tokens import unsubscribe_url


class ClinicalContentBlocked(Exception):
    """A rendered email or SMS would carry a clinical word; it is not sent."""


@dataclass
class Rendered:
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def language_of(user: Any) -> str:
    codes = {code for code, _ in settings.LANGUAGES}
    lang = (getattr(user, "language", "") or "").split("-")[0]
    return lang if lang in codes else settings.LANGUAGE_CODE


def absolute(link_url: str) -> str:
    return settings.SITE_URL + (link_url if link_url.startswith("/") else "/")


def project_context(kind: str, context: dict[str, Any] | None) -> dict[str, Any]:
    """The only view of ``context`` that templates get (see module docstring)."""
    allowed = kinds.get(kind).context_keys
    context = context or {}
    projected: dict[str, Any] = {}
    if "reasons" in allowed:
        codes = [r for r in context.get("reasons") or [] if r in Reason.values]
        projected["reasons"] = [Reason(r).label for r in dict.fromkeys(codes)]
    if "lines" in allowed:
        lines = []
        for item in context.get("lines") or []:
            try:
                count, label = int(item[0]), str(item[1])
            except (TypeError, ValueError, IndexError):
                continue
            if count > 0 and label and len(label) <= LABEL_MAX_CHARS and not find_clinical(label):
                lines.append({"count": count, "label": label})
        projected["lines"] = lines
    if "notice" in allowed:
        notice = context.get("notice")
        projected["notice"] = notice if notice in notices.NOTICES else ""
    return projected


def _template(channel: str, kind: str, suffix: str = "") -> str:
    return f"notifications/{channel}/{kind}{suffix}.txt"


def render_kind(
    *,
    kind: str,
    channel: str,
    user: Any,
    link_url: str = "/",
    context: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Rendered:
    """Render ``kind`` for ``channel`` as ``user`` would receive it."""
    kinds.get(kind)
    tz = zone(getattr(user, "timezone", None))
    now = now or timezone.now()
    local_now = timezone.localtime(now, tz)
    ctx: dict[str, Any] = {
        "link": absolute(link_url),
        "site_url": settings.SITE_URL,
        "preferences_url": settings.SITE_URL + reverse("notification_preferences"),
        "local_now": local_now,
        "today": local_now.date(),
        **project_context(kind, context),
    }
    headers: dict[str, str] = {}
    if kind in kinds.REMINDER_KINDS:
        ctx["unsubscribe_url"] = unsubscribe_url(user)
        headers["List-Unsubscribe"] = f"<{ctx['unsubscribe_url']}>"
    with translation.override(language_of(user)), timezone.override(tz):
        if channel == Channel.EMAIL:
            subject = " ".join(render_to_string(_template("email", kind, "_subject"), ctx).split())
        else:
            subject = ""
        body = render_to_string(_template(channel, kind), ctx).strip() + "\n"
    if channel != Channel.IN_APP:
        found = find_clinical(subject + "\n" + body) + find_clinical(link_url, skip_urls=False)
        if found:
            raise ClinicalContentBlocked(
                f"{kind}/{channel}: {len(found)} clinical word(s) in the text or link"
            )
    if channel == Channel.SMS:
        body = " ".join(body.split())
    return Rendered(subject=subject, body=body, headers=headers)


def render(notification: Any, *, now: datetime | None = None) -> Rendered:
    return render_kind(
        kind=notification.kind,
        channel=notification.channel,
        user=notification.recipient,
        link_url=notification.link_url,
        context=notification.context,
        now=now,
    )
