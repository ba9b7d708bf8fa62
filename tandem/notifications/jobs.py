"""The work behind the periodic commands: grouped reminders, check-ins after silence,
daily digests, and pruning. Each function processes everything due at ``now`` and is
idempotent (dedupe keys carry the recipient's local date), so running it twice, or on
two hosts at once, sends nothing twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone, translation

from tandem.accounts.models import Patient, Role, User
from tandem.core.models import Event
from tandem.notifications import digest, kinds, routing
from tandem.notifications.models import (
    REASON_TOGGLES,
    Channel,
    ClinicReminderDefaults,
    DigestChannel,
    Frequency,
    Notification,
    NotificationPreferences,
    PendingReminder,
    PeriodicRun,
    Reason,
    ReminderChannel,
    State,
)
from tandem.notifications.rendering import language_of
from tandem.notifications.schedule import grouped_reminder_allowed, in_quiet_hours, zone
from tandem.notifications.services import notify, remind

logger = logging.getLogger(__name__)

DEFAULT_QUIET = (time(21, 0), time(8, 0))
CHECK_IN_EVERY = timedelta(days=7)


# --- patient preferences with the clinic's defaults -----------------------------------------------


def switched_on(prefs: Any, defaults: Any, reason: str) -> bool:
    field = REASON_TOGGLES[Reason(reason)]
    value = getattr(prefs, field, None)
    if value is None and defaults is not None:
        value = getattr(defaults, field, None)
    return True if value is None else bool(value)


def quiet_window(prefs: Any, defaults: Any) -> tuple[time, time]:
    if prefs is not None and prefs.quiet_start is not None and prefs.quiet_end is not None:
        return prefs.quiet_start, prefs.quiet_end
    if defaults is not None:
        return defaults.quiet_start, defaults.quiet_end
    return DEFAULT_QUIET


def external_channel(prefs: Any) -> str:
    if prefs.reminder_channel == ReminderChannel.SMS and prefs.phone:
        return Channel.SMS
    if prefs.reminder_channel == ReminderChannel.IN_APP:
        return Channel.IN_APP
    return Channel.EMAIL


# --- reminders ------------------------------------------------------------------------------------


def send_due_reminders(now: datetime | None = None) -> Counter[str]:
    """One grouped reminder per patient per local day (or week) at the first allowed
    time, plus appointment reminders; see ``services.remind``."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    patient_ids = (
        PendingReminder.objects.filter(handled_at__isnull=True)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by()
        .values_list("patient_id", flat=True)
        .distinct()
    )
    for patient_id in list(patient_ids):
        try:
            counts.update(_remind_patient(patient_id, now))
        except Exception:
            logger.exception("reminders for patient %s failed", patient_id)
            counts["error"] += 1
    return counts


def _close(
    items: list[PendingReminder], outcome: str, now: datetime, notification: Any = None
) -> None:
    if items:
        PendingReminder.objects.filter(pk__in=[p.pk for p in items]).update(
            handled_at=now, outcome=outcome, notification=notification
        )


def _remind_patient(patient_id: int, now: datetime) -> list[str]:
    Outcome = PendingReminder.Outcome
    with transaction.atomic():
        patient = Patient.objects.select_related("user").get(pk=patient_id)
        user = patient.user
        prefs, _ = NotificationPreferences.objects.select_for_update(of=("self",)).get_or_create(
            user=user
        )
        defaults = ClinicReminderDefaults.objects.filter(clinic_id=patient.clinic_id).first()
        pending = list(
            PendingReminder.objects.select_for_update(of=("self",))
            .filter(patient=patient, handled_at__isnull=True)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        )
        expired = [p for p in pending if p.expires_at is not None and p.expires_at <= now]
        _close(expired, Outcome.EXPIRED, now)
        pending = [p for p in pending if p not in expired]
        if not user.is_active or prefs.frequency == Frequency.OFF:
            _close(pending, Outcome.DROPPED, now)
            return ["dropped"] if pending else []
        off = [p for p in pending if not switched_on(prefs, defaults, p.reason)]
        _close(off, Outcome.DROPPED, now)
        pending = [p for p in pending if p not in off]
        if not pending:
            return []
        local = timezone.localtime(now, zone(user.timezone))
        if in_quiet_hours(local.time(), *quiet_window(prefs, defaults)):
            return ["quiet"]
        channel = external_channel(prefs)
        outcomes: list[str] = []
        for item in [p for p in pending if p.reason == Reason.APPOINTMENT]:
            key = f"appointment:{item.ref_key or item.pk}"
            sent = None
            for ch in dict.fromkeys([channel, Channel.IN_APP]):
                sent = notify(
                    recipient=user, kind=kinds.APPOINTMENT_REMINDER, channel=ch, dedupe_key=key
                )
            _close([item], Outcome.SENT, now, sent)
            outcomes.append("appointment")
        grouped = [p for p in pending if p.reason != Reason.APPOINTMENT]
        if not grouped:
            return outcomes
        if not grouped_reminder_allowed(local.date(), prefs.last_reminder_on, prefs.frequency):
            return [*outcomes, "waiting"]
        reasons = sorted({p.reason for p in grouped})
        kind = kinds.PATIENT_CHECKIN if reasons == [Reason.CHECK_IN] else kinds.PATIENT_REMINDER
        sent = None
        if channel != Channel.IN_APP or kind == kinds.PATIENT_CHECKIN:
            # In-app entries for the other reasons were created when they arose.
            sent = notify(
                recipient=user,
                kind=kind,
                channel=channel,
                dedupe_key=f"reminder:{local.date().isoformat()}",
                context={"reasons": reasons},
            )
        _close(grouped, Outcome.SENT, now, sent)
        prefs.last_reminder_on = local.date()
        if Reason.CHECK_IN in reasons:
            prefs.last_check_in_on = local.date()
        prefs.save(update_fields=["last_reminder_on", "last_check_in_on", "updated_at"])
        return [*outcomes, "checkin" if kind == kinds.PATIENT_CHECKIN else "reminder"]


def scan_silence(now: datetime | None = None) -> int:
    """Note a gentle check-in for patients silent for the clinic's N days (default 7):
    no sign-in and nothing done. At most one a week, and none after the clinic's limit
    (default 8 weeks of silence), so that a patient who has left is not chased."""
    now = now or timezone.now()
    defaults = {d.clinic_id: d for d in ClinicReminderDefaults.objects.all()}
    prefs = {p.user_id: p for p in NotificationPreferences.objects.filter(user__role=Role.PATIENT)}
    last_event = (
        Event.objects.filter(patient=OuterRef("pk"), actor_id=OuterRef("user_id"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    patients = (
        Patient.objects.filter(user__is_active=True)
        .select_related("user")
        .annotate(last_event=Subquery(last_event))
    )
    noted = 0
    for patient in patients.iterator(chunk_size=500):
        clinic_defaults = defaults.get(patient.clinic_id)
        after = clinic_defaults.check_in_after_days if clinic_defaults else 7
        stop = clinic_defaults.check_in_stop_after_days if clinic_defaults else 56
        user = patient.user
        seen = max(t for t in (user.last_login, patient.last_event, user.date_joined) if t)
        silent_days = (now - seen).days
        if not after <= silent_days <= stop:
            continue
        user_prefs = prefs.get(user.pk) or NotificationPreferences(user=user)
        if user_prefs.frequency == Frequency.OFF:
            continue
        if not switched_on(user_prefs, clinic_defaults, Reason.CHECK_IN):
            continue
        today = timezone.localtime(now, zone(user.timezone)).date()
        if user_prefs.last_check_in_on and today - user_prefs.last_check_in_on < CHECK_IN_EVERY:
            continue
        remind(patient=patient, reason=Reason.CHECK_IN, ref=f"silence:{seen.date().isoformat()}")
        noted += 1
    return noted


# --- the therapist's daily summary ----------------------------------------------------------------


def send_due_digests(now: datetime | None = None) -> Counter[str]:
    """Each therapist and supervisor gets one summary per local day, at (or after) the
    time they chose, on the channel they chose; nothing when nothing needs attention
    or while they are away (``routing.route_to_available``)."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    done = set(
        Notification.objects.filter(
            kind=kinds.THERAPIST_DIGEST, created_at__gte=now - timedelta(days=2)
        ).values_list("recipient_id", "dedupe_key")
    )
    staff = User.objects.filter(
        is_active=True, role__in=(Role.THERAPIST, Role.SUPERVISOR)
    ).order_by("pk")
    prefs = {p.user_id: p for p in NotificationPreferences.objects.filter(user__in=staff)}
    for user in staff.iterator(chunk_size=500):
        user_prefs = prefs.get(user.pk) or NotificationPreferences(user=user)
        if user_prefs.digest_channel == DigestChannel.OFF:
            continue
        local = timezone.localtime(now, zone(user.timezone))
        if local.time() < user_prefs.digest_time:
            continue
        key = f"digest:{local.date().isoformat()}"
        if (user.pk, key) in done:
            continue
        try:
            counts[_digest_for(user, user_prefs.digest_channel, key, now)] += 1
        except Exception:
            logger.exception("digest for user %s failed", user.pk)
            counts["error"] += 1
    return counts


def _digest_for(user: User, channel: str, key: str, now: datetime) -> str:
    def skip(why: str) -> str:
        Notification.objects.get_or_create(
            recipient=user,
            channel=channel,
            dedupe_key=key,
            defaults={
                "kind": kinds.THERAPIST_DIGEST,
                "state": State.SUPPRESSED,
                "last_error": why,
                "next_attempt_at": None,
            },
        )
        return "empty" if why == "nothing needs attention" else "away"

    if not routing.route_to_available([user], now):
        return skip("away")
    with translation.override(language_of(user)):
        lines = digest.lines_for(user, now)
    if not lines:
        return skip("nothing needs attention")
    notify(
        recipient=user,
        kind=kinds.THERAPIST_DIGEST,
        channel=channel,
        dedupe_key=key,
        link_url="/",
        context={"lines": [[count, label] for count, label in lines]},
    )
    return "sent"


# --- retention ------------------------------------------------------------------------------------


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete finished notifications, handled reminders and run records past retention
    (``TANDEM_NOTIFICATION_RETENTION_DAYS``, default 90). Rows waiting for a retry or
    for a person's review are kept."""
    now = now or timezone.now()
    days = int(getattr(settings, "TANDEM_NOTIFICATION_RETENTION_DAYS", 90))
    cutoff = now - timedelta(days=days)
    reminders, _ = PendingReminder.objects.filter(handled_at__lt=cutoff).delete()
    finished = Q(state__in=(State.SENT, State.SUPPRESSED, State.BOUNCED)) | Q(
        state=State.FAILED, next_attempt_at__isnull=True, needs_review=False
    )
    notifications, _ = Notification.objects.filter(created_at__lt=cutoff).filter(finished).delete()
    runs, _ = PeriodicRun.objects.filter(started_at__lt=now - timedelta(days=30)).delete()
    return {"notifications": notifications, "reminders": reminders, "runs": runs}
