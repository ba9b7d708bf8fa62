"""Calendar feeds and single-session downloads (iCalendar, built with ``icalendar``).

What a calendar entry says — and never says:
- summary "Tandem session" and the kind (face to face, video, phone); for a therapist the
  patient's initials, so they know who is coming without a name in a synced calendar;
- start and end in UTC, a stable UID, the sequence of changes, CONFIRMED or CANCELLED;
- a link back into Tandem (a UUID only).
Never: names, program or module names, notes, agenda, homework, diagnoses, scores, the
place or video link (a video link is a secret of its own; it stays in Tandem).

A feed address carries a random token; only its SHA-256 digest is stored. Making a new
address revokes the old one; a revoked, unknown or malformed token, or one of a
deactivated user, is 404.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from icalendar import Calendar
from icalendar import Event as IcsEvent

from tandem.accounts.models import Patient, Role, User
from tandem.audit import services as audit
from tandem.blended.models import (
    FEED_PAST,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CalendarFeedToken,
)
from tandem.blended.services.common import now_or

TOKEN_BYTES = 32
FEED_ROLES = (Role.THERAPIST, Role.PATIENT)
PRODID = "-//Tandem//Blended care//EN"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may_have_feed(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in FEED_ROLES)


def active_feed(user: Any) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).first()


def create_feed(*, actor: Any, request: HttpRequest | None = None) -> str:
    """A new secret feed address for ``actor`` (any earlier one stops working). Returns
    the raw token, which is not stored: show it once."""
    if not may_have_feed(actor):
        raise PermissionError("no calendar feed for this role")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        revoked = _revoke(actor)
        feed = CalendarFeedToken.objects.create(user=actor, token_hash=_digest(token))
        audit.record(
            actor=actor,
            action="blended.calendar_feed.created",
            request=request,
            target=feed,
            detail={"revoked": revoked},
        )
    return token


def _revoke(user: Any) -> int:
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def revoke_feeds(*, actor: Any, request: HttpRequest | None = None) -> int:
    with transaction.atomic():
        count = _revoke(actor)
        if count:
            audit.record(
                actor=actor,
                action="blended.calendar_feed.revoked",
                request=request,
                detail={"revoked": count},
            )
    return count


def feed_owner(token: str) -> User | None:
    """The user whose active feed ``token`` opens, else ``None``."""
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_hash=_digest(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.user.is_active or feed.user.role not in FEED_ROLES:
        return None
    return feed.user


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("blended_feed", args=[token])


# --- building ----------------------------------------------------------------------------------


def initials(name: str) -> str:
    parts = [p for p in (name or "").replace("-", " ").split() if p]
    return "".join(p[0].upper() + "." for p in parts[:3]) or "?"


def _summary(appointment: Appointment, viewer: Any) -> str:
    kind = {
        AppointmentKind.IN_PERSON: _("face to face"),
        AppointmentKind.VIDEO: _("video"),
        AppointmentKind.PHONE: _("phone"),
    }.get(appointment.kind, "")
    if viewer.role == Role.THERAPIST:
        return _("Tandem session (%(kind)s) · %(initials)s") % {
            "kind": kind,
            "initials": initials(appointment.patient.user.full_name),
        }
    return _("Tandem session (%(kind)s)") % {"kind": kind}


def _link(appointment: Appointment, viewer: Any) -> str:
    if viewer.role == Role.THERAPIST:
        return settings.SITE_URL + reverse("blended_appointment", args=[appointment.uuid])
    return settings.SITE_URL + reverse("blended_my_sessions")


def _event(appointment: Appointment, viewer: Any, stamp: datetime) -> IcsEvent:
    event = IcsEvent()
    event.add("uid", f"{appointment.uuid}@tandem")
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("sequence", appointment.sequence)
    event.add("summary", _summary(appointment, viewer))
    event.add(
        "status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED"
    )
    event.add("description", _("Details in Tandem: %(url)s") % {"url": _link(appointment, viewer)})
    event.add("url", _link(appointment, viewer))
    event.add("transp", "OPAQUE")
    return event


def _calendar(appointments: Iterable[Appointment], viewer: Any, *, method: str = "") -> bytes:
    stamp = timezone.now()
    with override(getattr(viewer, "language", None) or settings.LANGUAGE_CODE):
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        if method:
            cal.add("method", method)
        cal.add("x-wr-calname", _("Tandem sessions"))
        for appointment in appointments:
            cal.add_component(_event(appointment, viewer, stamp))
    return cal.to_ical()


def feed_appointments(user: User, now: datetime | None = None) -> list[Appointment]:
    """A therapist's sessions with patients they still treat, or a patient's own
    sessions: from 60 days back on, cancelled ones included (so calendars drop them)."""
    now = now_or(now)
    rows = Appointment.objects.filter(starts_at__gte=now - FEED_PAST).select_related(
        "patient__user"
    )
    if user.role == Role.THERAPIST:
        rows = rows.filter(therapist=user, patient__in=Patient.objects.for_user(user))
    elif user.role == Role.PATIENT:
        rows = rows.filter(patient__user=user)
    else:
        return []
    return list(rows.order_by("starts_at", "id")[:500])


def feed_for(user: User, now: datetime | None = None) -> bytes:
    return _calendar(feed_appointments(user, now), user)


def appointment_ics(appointment: Appointment, *, viewer: Any) -> bytes:
    return _calendar([appointment], viewer, method="PUBLISH")
