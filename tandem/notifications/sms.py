"""Pluggable SMS backends, chosen by ``TANDEM_SMS_BACKEND`` (a dotted class path) with
keyword options from ``TANDEM_SMS_OPTIONS``.

A backend implements ``send(*, to, body, reference)``; ``to`` is an E.164 number,
``reference`` the notification's uuid. It raises ``SmsNotSent(retryable=…)`` when it
knows the provider did not take the message (connection refused, a 4xx/5xx answer);
any other exception means "outcome unknown". A backend whose provider de-duplicates on
``reference`` sets ``idempotent = True``: an unknown outcome is then retried instead of
being left for a person to review.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsNotSent(Exception):
    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class BaseSmsBackend:
    idempotent: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, *, to: str, body: str, reference: str) -> None:
        raise NotImplementedError


def mask(number: str) -> str:
    return number[:4] + "…" + number[-2:] if len(number) > 6 else "…"


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: log the text (the number masked) instead of sending it."""

    def send(self, *, to: str, body: str, reference: str) -> None:
        logger.info("SMS to %s (ref %s): %s", mask(to), reference, body)


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: keep sent texts in ``LocmemSmsBackend.outbox``."""

    outbox: ClassVar[list[dict[str, str]]] = []
    _lock = threading.Lock()

    def send(self, *, to: str, body: str, reference: str) -> None:
        with self._lock:
            self.outbox.append({"to": to, "body": body, "reference": reference})


class TwilioSmsBackend(BaseSmsBackend):
    """An example provider client (``pip install twilio``; not a Tandem dependency).

    ``TANDEM_SMS_OPTIONS``: ``{"account_sid": …, "auth_token": …, "from_number": …}``.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        try:
            from twilio.base.exceptions import TwilioRestException  # type: ignore[import-not-found]
            from twilio.rest import Client  # type: ignore[import-not-found]
        except ImportError as exc:  # pragma: no cover - optional extra
            raise ImproperlyConfigured(
                "TANDEM_SMS_BACKEND is the Twilio example but the 'twilio' package is not "
                "installed (pip install twilio)"
            ) from exc
        self._error = TwilioRestException
        self.client = Client(options["account_sid"], options["auth_token"])
        self.from_number = options["from_number"]

    def send(self, *, to: str, body: str, reference: str) -> None:  # pragma: no cover
        try:
            self.client.messages.create(to=to, from_=self.from_number, body=body)
        except self._error as exc:
            # An HTTP answer from the provider: it did not take the message.
            raise SmsNotSent(
                f"provider answered {exc.status}", retryable=exc.status >= 500
            ) from exc


def get_backend() -> BaseSmsBackend:
    path = getattr(settings, "TANDEM_SMS_BACKEND", "tandem.notifications.sms.ConsoleSmsBackend")
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"TANDEM_SMS_BACKEND {path!r} cannot be imported") from exc
    return cls(**getattr(settings, "TANDEM_SMS_OPTIONS", {}))
