"""Notification use cases. The API other apps call (keyword-only)::

    notify(*, recipient, kind, channel, dedupe_key, link_url="/", context=None)
    alert_immediately(*, recipients, dedupe_key, link_url="/", kind="safety_alert")
    remind(*, patient, reason, ref=None, not_before=None, expires_at=None)
    remind_appointment(*, patient, appointment, starts_at)
    withdraw_reminder(*, patient, reason, ref=None)

Higher apps decide *what* to send; this app decides *when* and *how* (channel, language,
quiet hours, grouping) and records the delivery. Nothing here is sent inside a web
request: ``notify`` stores the row and enqueues its delivery task on commit.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.accounts.models import Patient, Role, User
from tandem.audit import services as audit
from tandem.core.changes import save_changes
from tandem.notifications import kinds
from tandem.notifications.models import (
    REASON_TOGGLES,
    Channel,
    ClinicReminderDefaults,
    Frequency,
    InAppNotification,
    Notification,
    NotificationPreferences,
    PendingReminder,
    Reason,
    State,
)
from tandem.notifications.schedule import local_day_start, zone

logger = logging.getLogger(__name__)

CONTEXT_MAX_CHARS = 4000


# --- the delivery core ----------------------------------------------------------------------------


def _check_link(link_url: str) -> str:
    link_url = link_url or "/"
    if not link_url.startswith("/") or link_url.startswith("//") or len(link_url) > 500:
        raise ValueError("notify: link_url must be a path on this site, like '/journey/'")
    return link_url


def _check_context(context: dict[str, Any] | None) -> dict[str, Any]:
    context = dict(context or {})
    try:
        size = len(json.dumps(context))
    except (TypeError, ValueError) as exc:
        raise ValueError("notify: context must be JSON (ids, counts and codes only)") from exc
    if size > CONTEXT_MAX_CHARS:
        raise ValueError("notify: context is too large; pass ids, not content")
    return context


def notify(
    *,
    recipient: User,
    kind: str,
    channel: str,
    dedupe_key: str,
    link_url: str = "/",
    context: dict[str, Any] | None = None,
) -> Notification:
    """Create the notification once (per recipient, channel and ``dedupe_key``) and
    enqueue its delivery when the current transaction commits. Asking again with the
    same key returns the existing row and sends nothing more."""
    kind_ = kinds.get(kind)
    if channel not in Channel.values:
        raise ValueError(f"notify: unknown channel {channel!r}")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("notify: dedupe_key is required (at most 200 characters)")
    fields = {
        "kind": kind,
        "link_url": _check_link(link_url),
        "context": _check_context(context),
    }
    if not recipient.is_active:
        fields |= {"state": State.SUPPRESSED, "last_error": "account inactive"}
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, channel=channel, dedupe_key=dedupe_key, **fields
            )
    except IntegrityError:
        return Notification.objects.get(recipient=recipient, channel=channel, dedupe_key=dedupe_key)
    if notification.state == State.QUEUED:
        _enqueue(notification.pk, kind_.priority)
    return notification


def _enqueue(notification_id: int, priority: int) -> None:
    from tandem.notifications import tasks

    def run() -> None:
        tasks.deliver.using(priority=priority).enqueue(notification_id)

    # robust: a failing enqueue leaves the row queued; notifications_retry enqueues it.
    transaction.on_commit(run, robust=True)


def alert_immediately(
    *,
    recipients: Iterable[User],
    dedupe_key: str,
    link_url: str = "/",
    kind: str = kinds.SAFETY_ALERT,
) -> list[Notification]:
    """Tell each recipient at once (in Tandem, by email, and by SMS when they gave a
    number), whatever their digest settings. For safety alerts and their escalation
    only. The same ``dedupe_key`` never notifies the same person twice."""
    if kinds.get(kind).category != "alert":
        raise ValueError("alert_immediately is for safety alerts only")
    created: list[Notification] = []
    people = list({u.pk: u for u in recipients}.values())
    phones = dict(
        NotificationPreferences.objects.filter(user__in=people)
        .exclude(phone="")
        .values_list("user_id", "phone")
    )
    for user in people:
        channels = [Channel.IN_APP, Channel.EMAIL]
        if user.pk in phones:
            channels.append(Channel.SMS)
        for channel in channels:
            created.append(
                notify(
                    recipient=user,
                    kind=kind,
                    channel=channel,
                    dedupe_key=dedupe_key,
                    link_url=link_url,
                )
            )
    return created


def send_security_notice(user_id: int, notice: str) -> Notification | None:
    """A security notice (``accounts.notices``) by email, through the delivery log:
    retried when the mail server fails, shown in the clinic's delivery log, never
    switched off by reminder settings. Each notice is its own notification."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    return notify(
        recipient=user,
        kind=kinds.SECURITY_NOTICE,
        channel=Channel.EMAIL,
        dedupe_key=f"security:{notice}:{uuid.uuid4().hex}",
        # Where to act if it was not them: a changed password cannot be used to sign in.
        link_url="/account/password/reset/" if notice == "password_changed" else "/account/2fa/",
        context={"notice": notice},
    )


# --- reminders (sent grouped by jobs.send_due_reminders) ------------------------------------------


def _ref_key(ref: Any) -> str:
    if ref is None:
        return ""
    if isinstance(ref, str):
        return ref[:100]
    key = getattr(ref, "uuid", None) or getattr(ref, "pk", None)
    if key is None:
        raise ValueError("remind: ref must be a saved object or a string key")
    return f"{ref._meta.label_lower}:{key}"[:100]


def remind(
    *,
    patient: Patient,
    reason: str,
    ref: Any = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> PendingReminder:
    """Note a reason to remind ``patient``. The reminder itself goes out later, grouped
    with other reasons, at the first time the patient allows (``jobs``); a reason the
    patient switched off is dropped then. The same (reason, ref) pending twice is one.
    Reasons other than a check-in also appear at once in the patient's in-app list."""
    if reason not in Reason.values:
        raise ValueError(f"remind: unknown reason {reason!r} (one of {Reason.values})")
    key = _ref_key(ref)
    with transaction.atomic():
        pending = PendingReminder.objects.filter(
            patient=patient, reason=reason, ref_key=key, handled_at__isnull=True
        ).first()
        if pending is None:
            try:
                with transaction.atomic():
                    pending = PendingReminder.objects.create(
                        patient=patient,
                        reason=reason,
                        ref_key=key,
                        not_before=not_before,
                        expires_at=expires_at,
                    )
            except IntegrityError:
                pending = PendingReminder.objects.get(
                    patient=patient, reason=reason, ref_key=key, handled_at__isnull=True
                )
    if reason not in (Reason.CHECK_IN, Reason.APPOINTMENT):
        notify(
            recipient=patient.user,
            kind=kinds.PATIENT_REMINDER,
            channel=Channel.IN_APP,
            dedupe_key=f"reason:{reason}:{key or pending.pk}",
            context={"reasons": [reason]},
        )
    return pending


def remind_appointment(
    *, patient: Patient, appointment: Any, starts_at: datetime
) -> PendingReminder:
    """The day before ``starts_at`` (the patient's local day), at the first time they
    allow, the patient gets a reminder of their own (not grouped). Too late (the
    appointment is within two hours) means no reminder."""
    tz = zone(patient.user.timezone)
    day_before = timezone.localtime(starts_at, tz).date() - timedelta(days=1)
    return remind(
        patient=patient,
        reason=Reason.APPOINTMENT,
        ref=appointment,
        not_before=local_day_start(day_before, tz),
        expires_at=starts_at - timedelta(hours=2),
    )


def withdraw_reminder(*, patient: Patient, reason: str, ref: Any = None) -> int:
    """The reason went away before the reminder was sent (answered, cancelled)."""
    return PendingReminder.objects.filter(
        patient=patient, reason=reason, ref_key=_ref_key(ref), handled_at__isnull=True
    ).update(handled_at=timezone.now(), outcome=PendingReminder.Outcome.WITHDRAWN)


# --- preferences, unsubscribe, bounces ------------------------------------------------------------


def preferences_for(user: User) -> NotificationPreferences:
    """The user's preferences (an unsaved default row when they never chose)."""
    prefs = NotificationPreferences.objects.filter(user=user).first()
    return prefs or NotificationPreferences(user=user)


def save_preferences(
    *, actor: User, prefs: NotificationPreferences, changed: Iterable[str]
) -> NotificationPreferences:
    if prefs.user_id != actor.pk:
        raise ValueError("users change only their own notification preferences")
    if prefs.frequency != Frequency.OFF:
        prefs.unsubscribed_at = None
    prefs.save()
    audit.record(
        actor=actor,
        action="notifications.preferences.changed",
        detail={"fields": sorted(set(changed))},
    )
    return prefs


def save_clinic_defaults(
    *, actor: User, clinic: Any, values: dict[str, Any], request: Any = None
) -> ClinicReminderDefaults:
    """The clinic's reminder defaults (its supervisors and administrators). Patients who
    chose for themselves keep their choice; everyone else follows these at once."""
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN) or actor.clinic_id != clinic.pk:
        raise PermissionDenied("only the clinic's supervisors and administrators")
    allowed = {
        "quiet_start",
        "quiet_end",
        "check_in_after_days",
        "check_in_stop_after_days",
        *REASON_TOGGLES.values(),
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not a reminder default: {sorted(unknown)}")
    with transaction.atomic():  # the change and its audit entry commit together
        row, changed = save_changes(ClinicReminderDefaults, {"clinic": clinic}, values)
        if changed:
            audit.record(
                actor=actor,
                action="notifications.clinic_defaults.changed",
                request=request,
                clinic=clinic.pk,
                detail={"changed": changed},
            )
    return row


def unsubscribe(*, user: User) -> bool:
    """One-click unsubscribe from reminders. False when already unsubscribed."""
    with transaction.atomic():
        prefs, _ = NotificationPreferences.objects.select_for_update(of=("self",)).get_or_create(
            user=user
        )
        if prefs.frequency == Frequency.OFF and prefs.unsubscribed_at is not None:
            return False
        prefs.frequency = Frequency.OFF
        prefs.unsubscribed_at = timezone.now()
        prefs.save(update_fields=["frequency", "unsubscribed_at", "updated_at"])
        audit.record(
            actor=None,
            action="notifications.reminders.unsubscribed",
            target=user,
            clinic=user.clinic_id,
        )
    return True


def mark_bounced(*, email: str, actor: Any = None, clear: bool = False) -> User:
    """Flag (or clear) a bounced email address: emails to it are not sent, and staff see
    the flag on the delivery log. Raises ``ValidationError`` for a malformed address and
    ``User.DoesNotExist`` for an unknown one."""
    email = (email or "").strip()
    validate_email(email)
    user = User.objects.get(email__iexact=email)
    now = timezone.now()
    with transaction.atomic():
        prefs, _ = NotificationPreferences.objects.select_for_update(of=("self",)).get_or_create(
            user=user
        )
        prefs.bounced_email = "" if clear else email.lower()
        prefs.bounced_at = None if clear else now
        prefs.save(update_fields=["bounced_email", "bounced_at", "updated_at"])
        if not clear:
            last = (
                Notification.objects.filter(
                    recipient=user,
                    channel=Channel.EMAIL,
                    state=State.SENT,
                    sent_at__gte=now - timedelta(days=7),
                )
                .order_by("-sent_at")
                .first()
            )
            if last is not None:
                Notification.objects.filter(pk=last.pk).update(
                    state=State.BOUNCED, last_error="bounce reported", updated_at=now
                )
        audit.record(
            actor=actor,
            action="notifications.address.bounce_cleared"
            if clear
            else "notifications.address.bounced",
            target=user,
            clinic=user.clinic_id,
        )
    return user


def is_valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


# --- in-app ---------------------------------------------------------------------------------------


def mark_all_read(*, actor: User) -> int:
    return InAppNotification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def unread_count(user: User) -> int:
    return InAppNotification.objects.filter(user=user, read_at__isnull=True).count()
