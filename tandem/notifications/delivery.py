"""Delivering one notification: claim, render, send, record — safe with many workers and
against a worker killed at any point.

1. **Claim** (``claim``): one conditional ``UPDATE … SET state='sending', attempts=
   attempts+1, sending_until=now+lease WHERE id=… AND state IN ('queued','failed') AND
   next_attempt_at <= now``. Exactly one worker's update matches (PostgreSQL re-checks
   the condition after waiting for the row lock; SQLite serialises writers), so two
   workers never send the same notification. The new ``attempts`` value is the fencing
   token of this attempt.
2. **Render** in the recipient's language and time zone; suppress what must not go out
   (inactive account, bounced address, no phone number, unsubscribed, clinical word).
3. **Hand over** (``transports``): just before the provider can have the message, record
   ``handed_over_at`` — only if this attempt still holds an unexpired lease
   (``LeaseLost`` otherwise: nothing is sent).
4. **Record** sent/failed for this attempt. Failures before the hand-over are retried
   with backoff (1, 5, 25, 125 minutes; 5 attempts); an unknown outcome after it is
   marked ``failed`` + ``needs_review`` and never resent automatically.

A worker killed after the claim leaves the row ``sending``; once its lease has expired
``reconcile`` (run by ``notifications_retry``) retries it when it was not handed over,
and otherwise marks it for review: at most one email per notification, none silently
lost. In-app notifications are written in one transaction with their state: exactly
once. docs/notifications.md explains the trade-off.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tandem.notifications import kinds, transports
from tandem.notifications.models import (
    CLAIMABLE,
    Channel,
    InAppNotification,
    Notification,
    NotificationPreferences,
    State,
)
from tandem.notifications.rendering import ClinicalContentBlocked, render
from tandem.notifications.schedule import backoff

logger = logging.getLogger(__name__)


def lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "TANDEM_NOTIFICATION_LEASE_SECONDS", 600))


def max_attempts() -> int:
    return int(getattr(settings, "TANDEM_NOTIFICATION_MAX_ATTEMPTS", 5))


class LeaseLost(Exception):
    """This attempt no longer owns the notification; it must not send."""


class Suppressed(Exception):
    pass


# --- 1. claim -------------------------------------------------------------------------------------


def claim(notification_id: int, now: datetime | None = None) -> int | None:
    """Claim a due notification for one attempt; the attempt number, or None."""
    now = now or timezone.now()
    updated = Notification.objects.filter(
        pk=notification_id, state__in=CLAIMABLE, next_attempt_at__lte=now
    ).update(
        state=State.SENDING,
        attempts=F("attempts") + 1,
        sending_until=now + lease(),
        handed_over_at=None,
        updated_at=now,
    )
    if not updated:
        return None
    return Notification.objects.values_list("attempts", flat=True).get(pk=notification_id)


def due_ids(now: datetime | None = None, limit: int = 100) -> list[int]:
    now = now or timezone.now()
    return list(
        Notification.objects.filter(state__in=CLAIMABLE, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def claim_next(now: datetime | None = None) -> tuple[int, int] | None:
    """Claim any one due notification: ``(id, attempt)``, or None when none is due.
    Workers racing on the same queue each get different ones."""
    now = now or timezone.now()
    for notification_id in due_ids(now, limit=50):
        attempt = claim(notification_id, now)
        if attempt is not None:
            return notification_id, attempt
    return None


def _mine(notification: Notification, attempt: int) -> Any:
    return Notification.objects.filter(pk=notification.pk, attempts=attempt)


# --- 4. record ------------------------------------------------------------------------------------


def record_sent(notification: Notification, attempt: int, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    _mine(notification, attempt).update(
        state=State.SENT,
        sent_at=now,
        sending_until=None,
        next_attempt_at=None,
        needs_review=False,
        last_error="",
        address=notification.address,
        updated_at=now,
    )


def _finish(
    notification: Notification,
    attempt: int,
    *,
    state: str,
    error: str,
    retry: bool = False,
    review: bool = False,
    now: datetime | None = None,
) -> datetime | None:
    now = now or timezone.now()
    next_at = None
    if retry and attempt - notification.attempts_at_resend < max_attempts():
        next_at = now + backoff(attempt)
    _mine(notification, attempt).filter(state=State.SENDING).update(
        state=state,
        last_error=error[:300],
        next_attempt_at=next_at,
        sending_until=None,
        needs_review=review,
        address=notification.address,
        updated_at=now,
    )
    return next_at


# --- 2. prepare -----------------------------------------------------------------------------------


def _prefs(user: Any) -> NotificationPreferences | None:
    return NotificationPreferences.objects.filter(user=user).first()


def _address(notification: Notification) -> str:
    user = notification.recipient
    if not user.is_active:
        raise Suppressed("account inactive")
    prefs = _prefs(user)
    if notification.kind in kinds.REMINDER_KINDS and prefs and prefs.frequency == "off":
        raise Suppressed("reminders switched off by the patient")
    if notification.channel == Channel.EMAIL:
        if not user.email:
            raise Suppressed("no email address")
        if prefs and prefs.email_bounced:
            raise Suppressed("email address bounced")
        return user.email
    if notification.channel == Channel.SMS:
        if not prefs or not prefs.phone:
            raise Suppressed("no phone number")
        return prefs.phone
    return ""


# --- the whole delivery ---------------------------------------------------------------------------


def deliver(notification_id: int, *, now: datetime | None = None) -> str:
    """Claim and deliver one notification; returns what happened (for logs and tests)."""
    attempt = claim(notification_id, now)
    if attempt is None:
        return "not-due"
    return deliver_claimed(notification_id, attempt, now=now)


def deliver_claimed(notification_id: int, attempt: int, *, now: datetime | None = None) -> str:
    """Deliver a notification this worker has claimed (``claim``) for ``attempt``.
    ``now`` (tests, catch-up) dates the outcome; the lease is checked on the real clock."""
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        notification.address = _address(notification)
        rendered = render(notification)
    except Suppressed as why:
        _finish(notification, attempt, state=State.SUPPRESSED, error=str(why), now=now)
        return "suppressed"
    except ClinicalContentBlocked as exc:
        logger.error("notification %s not sent: %s", notification.uuid, exc)
        _finish(notification, attempt, state=State.SUPPRESSED, error=f"blocked: {exc}", now=now)
        return "blocked"
    except Exception as exc:
        logger.exception("notification %s could not be prepared", notification.uuid)
        _finish(
            notification, attempt, state=State.FAILED, error=type(exc).__name__, retry=True, now=now
        )
        return "failed"

    if notification.channel == Channel.IN_APP:
        return _deliver_in_app(notification, attempt)

    def hand_over() -> None:
        at = timezone.now()
        held = (
            _mine(notification, attempt)
            .filter(state=State.SENDING, sending_until__gt=at)
            .update(handed_over_at=at)
        )
        if not held:
            raise LeaseLost(str(notification.uuid))

    try:
        if notification.channel == Channel.EMAIL:
            message = transports.build_email(
                to=notification.address,
                subject=rendered.subject,
                body=rendered.body,
                headers={
                    "Message-ID": message_id(notification),
                    "Auto-Submitted": "auto-generated",
                    "X-Auto-Response-Suppress": "All",
                    **rendered.headers,
                },
            )
            transports.send_email(message, hand_over=hand_over)
        else:
            transports.send_sms(
                to=notification.address,
                body=rendered.body,
                reference=str(notification.uuid),
                hand_over=hand_over,
            )
    except LeaseLost:
        logger.warning("notification %s: lease lost before sending; not sent", notification.uuid)
        return "lease-lost"
    except transports.DefiniteFailure as exc:
        if exc.bounced:
            _finish(notification, attempt, state=State.BOUNCED, error=str(exc), now=now)
            _flag_bounce(notification)
            return "bounced"
        next_at = _finish(
            notification, attempt, state=State.FAILED, error=str(exc), retry=exc.retryable, now=now
        )
        if next_at is not None:
            _enqueue_retry(notification, next_at)
        return "failed"
    except transports.OutcomeUnknown as exc:
        if exc.safe_to_retry:
            next_at = _finish(
                notification, attempt, state=State.FAILED, error=str(exc), retry=True, now=now
            )
            if next_at is not None:
                _enqueue_retry(notification, next_at)
            return "failed"
        _finish(
            notification,
            attempt,
            state=State.FAILED,
            error=f"{exc}; it may have been delivered: check before resending",
            review=True,
            now=now,
        )
        return "unknown"
    # Sent. If the process dies here the row stays "sending" with handed_over_at set, and
    # reconcile() marks it for review instead of sending it again.
    record_sent(notification, attempt, now=now)
    return "sent"


def _deliver_in_app(notification: Notification, attempt: int) -> str:
    now = timezone.now()
    with transaction.atomic():
        if not _mine(notification, attempt).filter(state=State.SENDING).exists():
            return "lease-lost"
        InAppNotification.objects.get_or_create(
            notification=notification,
            defaults={"user_id": notification.recipient_id, "created_at": notification.created_at},
        )
        record_sent(notification, attempt, now=now)
    return "sent"


def message_id(notification: Notification) -> str:
    """The Message-ID header: stable per notification, so a resent copy is recognisable."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "tandem.invalid"
    return f"<{notification.uuid}@{domain}>"


def _flag_bounce(notification: Notification) -> None:
    prefs, _ = NotificationPreferences.objects.get_or_create(user=notification.recipient)
    prefs.bounced_email = notification.address
    prefs.bounced_at = timezone.now()
    prefs.save(update_fields=["bounced_email", "bounced_at", "updated_at"])


def _enqueue_retry(notification: Notification, when: datetime) -> None:
    """Schedule the retry on the task queue when the backend can defer; otherwise
    ``notifications_retry`` picks it up on its next run."""
    from tandem.notifications import tasks

    task = tasks.deliver
    try:
        if not task.get_backend().supports_defer:
            return
        transaction.on_commit(
            lambda: task.using(run_after=when, priority=_priority(notification)).enqueue(
                notification.pk
            ),
            robust=True,
        )
    except Exception:
        logger.exception("could not schedule a retry for %s; the retry job will", notification.pk)


def _priority(notification: Notification) -> int:
    return kinds.get(notification.kind).priority


# --- the worker-died cases ------------------------------------------------------------------------


def reconcile(now: datetime | None = None) -> dict[str, int]:
    """Settle notifications whose worker's lease expired while ``sending``.

    Not handed over → the provider never had it → retry now (counts as the attempt it
    was). Handed over → the outcome is unknown → ``failed`` + ``needs_review`` (at most
    once), except SMS with a de-duplicating provider, which is retried.
    """
    from tandem.notifications import sms

    now = now or timezone.now()
    stuck = Notification.objects.filter(state=State.SENDING, sending_until__lt=now)
    retried = stuck.filter(handed_over_at__isnull=True).update(
        state=State.FAILED,
        next_attempt_at=now,
        sending_until=None,
        last_error="worker stopped before sending; retrying",
        updated_at=now,
    )
    handed = stuck.filter(handed_over_at__isnull=False)
    if sms.get_backend().idempotent:
        retried += handed.filter(channel=Channel.SMS).update(
            state=State.FAILED,
            next_attempt_at=now,
            sending_until=None,
            last_error="worker stopped while sending; retrying (provider de-duplicates)",
            updated_at=now,
        )
    review = handed.update(
        state=State.FAILED,
        next_attempt_at=None,
        sending_until=None,
        needs_review=True,
        last_error=(
            "worker stopped while the provider was confirming; it may have been "
            "delivered: check before resending"
        ),
        updated_at=now,
    )
    if review:
        logger.error("%d notification(s) need review: delivery outcome unknown", review)
    return {"retried": retried, "review": review}


def requeue_due(now: datetime | None = None, *, limit: int = 500) -> int:
    """Enqueue a delivery task for every due notification (retries, and queued ones whose
    task may have been lost). Extra tasks are harmless: only one claim succeeds."""
    from tandem.notifications import tasks

    now = now or timezone.now()
    lost = now - timedelta(minutes=10)
    rows = list(
        Notification.objects.filter(next_attempt_at__lte=now)
        .filter(Q(state=State.FAILED) | Q(state=State.QUEUED, created_at__lt=lost))
        .order_by("next_attempt_at", "id")
        .values_list("id", "kind")[:limit]
    )
    for notification_id, kind in rows:
        tasks.deliver.using(priority=kinds.get(kind).priority).enqueue(notification_id)
    return len(rows)


def resend(notification: Notification, *, now: datetime | None = None) -> bool:
    """A person decided to send a failed notification again (a new series of attempts)."""
    now = now or timezone.now()
    updated = Notification.objects.filter(pk=notification.pk, state=State.FAILED).update(
        state=State.QUEUED,
        attempts_at_resend=F("attempts"),
        next_attempt_at=now,
        needs_review=False,
        last_error="",
        updated_at=now,
    )
    if updated:
        from tandem.notifications import tasks

        transaction.on_commit(lambda: tasks.deliver.enqueue(notification.pk), robust=True)
    return bool(updated)
