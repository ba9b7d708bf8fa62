"""Fixtures for the notification tests: a real SMTP server on loopback (aiosmtpd), the
locmem mail and SMS backends, and compiled translation catalogs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess  # nosec B404
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.utils import translation

from tandem.notifications.sms import LocmemSmsBackend

LOCALE = Path(__file__).resolve().parents[2] / "tandem" / "notifications" / "locale"


class Collector:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = Collector()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list:
        with self.handler.lock:
            return list(self.handler.envelopes)

    def bodies(self) -> list[str]:
        return [e.content.decode("utf-8", "replace") for e in self.messages]


def smtp_mailers(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def smtp_down(settings):
    """A configured SMTP server that is not running yet: ``.start()`` it later."""
    server = SmtpServer(free_port())
    settings.MAILERS = smtp_mailers(server.port)
    yield server
    server.stop()


@pytest.fixture
def smtp_server(smtp_down):
    return smtp_down.start()


@pytest.fixture
def outbox(settings):
    """Mail to Django's locmem outbox and SMS to the locmem SMS outbox."""
    from django.core import mail

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.TANDEM_SMS_BACKEND = "tandem.notifications.sms.LocmemSmsBackend"
    mail.outbox = []
    LocmemSmsBackend.outbox.clear()
    return mail.outbox


@pytest.fixture
def sms_outbox(outbox):
    return LocmemSmsBackend.outbox


@pytest.fixture(scope="session")
def compiled_catalogs():
    """Compile this app's catalogs when ``make`` has not (they are not committed), and
    forget catalogs loaded before they existed."""
    msgfmt = shutil.which("msgfmt")
    for po in LOCALE.glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            if msgfmt is None:
                pytest.skip("msgfmt (gettext) is needed to compile the catalogs")
            tmp = mo.with_suffix(f".{os.getpid()}.tmp")
            subprocess.run([msgfmt, "-o", str(tmp), str(po)], check=True)  # noqa: S603
            os.replace(tmp, mo)  # atomic: a parallel test worker never reads half a file
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None
    translation.activate("en")
    yield
