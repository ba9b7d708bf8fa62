"""Login throttling with the decided values (SECURITY.md "brute force").

Per account: after ``TANDEM_LOCKOUT_THRESHOLD`` consecutive failures a cool-off of
``TANDEM_LOCKOUT_BASE`` (15 min), doubling with each further lockout up to
``TANDEM_LOCKOUT_MAX`` (24 h); never a permanent lock. Per IP: at most
``TANDEM_IP_FAILURES_PER_HOUR`` failures an hour. The account key is a hash of the typed
email, so unknown accounts behave exactly like known ones (no enumeration).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import LoginFailure, LoginThrottle


def account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def is_blocked(*, email: str, ip: str | None, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    throttle = LoginThrottle.objects.filter(key=account_key(email)).first()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return True
    if ip:
        recent = LoginFailure.objects.filter(ip=ip, at__gt=now - timedelta(hours=1)).count()
        if recent >= settings.TANDEM_IP_FAILURES_PER_HOUR:
            return True
    return False


def cool_off(lockouts: int) -> timedelta:
    """Length of the ``lockouts``-th cool-off: 15 min, 30 min, 1 h … capped at 24 h."""
    base: timedelta = settings.TANDEM_LOCKOUT_BASE
    cap: timedelta = settings.TANDEM_LOCKOUT_MAX
    length = base
    for _ in range(max(lockouts - 1, 0)):
        if length >= cap:
            break
        length *= 2  # bounded loop: no overflow however many lockouts an attacker causes
    return min(length, cap)


def register_failure(*, email: str, ip: str | None, now: datetime | None = None) -> LoginThrottle:
    now = now or timezone.now()
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.select_for_update(of=("self",)).get_or_create(
            key=account_key(email)
        )
        throttle.consecutive_failures += 1
        throttle.last_failure_at = now
        if throttle.consecutive_failures >= settings.TANDEM_LOCKOUT_THRESHOLD:
            throttle.lockouts += 1
            throttle.locked_until = now + cool_off(throttle.lockouts)
            throttle.consecutive_failures = 0
        throttle.save()
        LoginFailure.objects.create(ip=ip, at=now)
        LoginFailure.objects.filter(at__lt=now - timedelta(days=1)).delete()
    return throttle


def register_success(*, email: str) -> None:
    LoginThrottle.objects.filter(key=account_key(email)).delete()
