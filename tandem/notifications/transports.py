"""Sending one rendered notification over email or SMS, with a *hand-over point*.

``hand_over()`` is called at the last moment before the message can reach the provider;
it records the moment (and checks the lease) in the database. A failure *before* it
means the provider cannot have the message: the notification is retried. A failure
*after* it leaves the outcome unknown (``OutcomeUnknown``) and is never resent
automatically (at most once), unless the provider de-duplicates (``idempotent``).

For SMTP the hand-over point is just before the end-of-data marker (``<CRLF>.<CRLF>``):
until the server has that line it discards the message, so a connection, ``MAIL``,
``RCPT`` or ``DATA`` failure, a crash while connecting or while streaming the message
body are all safely retried. Only a crash or time-out while the server confirms the
message (after the final dot, before its ``250``) is ambiguous. Other mail backends
(console, locmem, provider APIs) hand over before ``send_messages``.
"""

from __future__ import annotations

import email.policy
import re
import smtplib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from tandem.notifications import sms

HandOver = Callable[[], None]
# Long header lines (a List-Unsubscribe URL) stay one line (RFC 5322 allows 998
# characters); the default 78 would turn the URL into unreadable encoded words.
HEADER_POLICY = email.policy.SMTP.clone(max_line_length=998)


class DefiniteFailure(Exception):
    """The provider certainly does not have the message."""

    def __init__(self, message: str, *, retryable: bool = True, bounced: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.bounced = bounced


class OutcomeUnknown(Exception):
    """The message may or may not have been accepted."""

    def __init__(self, message: str, *, safe_to_retry: bool = False) -> None:
        super().__init__(message)
        self.safe_to_retry = safe_to_retry


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"


def _answer(code: int, what: str, *, bounced_on_5xx: bool = False) -> DefiniteFailure:
    permanent = code >= 500
    return DefiniteFailure(
        f"mail server refused {what} ({code})",
        retryable=not permanent,
        bounced=permanent and bounced_on_5xx,
    )


def _dot_stuffed(data: bytes) -> bytes:
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def build_email(*, to: str, subject: str, body: str, headers: dict[str, str]) -> EmailMessage:
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )


def send_email(message: EmailMessage, *, hand_over: HandOver) -> None:
    backend = mailers.default
    if isinstance(backend, SmtpBackend):
        _send_smtp(backend, message, hand_over)
        return
    hand_over()
    try:
        sent = backend.send_messages([message])
    except Exception as exc:
        raise OutcomeUnknown(f"mail backend raised {_describe(exc)}") from exc
    if not sent:
        raise DefiniteFailure("mail backend did not send the message")


def _send_smtp(backend: SmtpBackend, message: EmailMessage, hand_over: HandOver) -> None:
    try:
        backend.open()
    except smtplib.SMTPResponseException as exc:
        raise _answer(exc.smtp_code, "the connection") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DefiniteFailure(f"mail server unreachable ({_describe(exc)})") from exc
    smtp: smtplib.SMTP = backend.connection  # type: ignore[assignment]
    in_data = False
    try:
        try:
            sender = backend.prep_address(message.from_email)
            recipients = [backend.prep_address(a) for a in message.recipients()]
        except ValueError as exc:
            raise DefiniteFailure("invalid address", retryable=False) from exc
        payload = _dot_stuffed(message.message(policy=HEADER_POLICY).as_bytes())
        try:
            smtp.ehlo_or_helo_if_needed()
            options = [f"size={len(payload)}"] if smtp.has_extn("size") else []
            code, _ = smtp.mail(sender, options)
            if code != 250:
                raise _answer(code, "the sender")
            for recipient in recipients:
                code, _ = smtp.rcpt(recipient)
                if code not in (250, 251):
                    raise _answer(code, "the recipient", bounced_on_5xx=True)
            code, _ = smtp.docmd("data")
            if code != 354:
                raise _answer(code, "the message")
            in_data = True
            smtp.send(payload)  # the body; without the final dot nothing is delivered
        except smtplib.SMTPResponseException as exc:
            raise _answer(exc.smtp_code, "the message") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DefiniteFailure(f"mail server connection failed ({_describe(exc)})") from exc
        hand_over()  # may raise LeaseLost: the final dot is never sent
        try:
            smtp.send(b".\r\n")
            code, _ = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            raise OutcomeUnknown(
                f"mail server did not confirm the message ({_describe(exc)})"
            ) from exc
        in_data = False
        if code != 250:
            raise _answer(code, "the message")
    finally:
        _close(backend, smtp, abort=in_data)


def _close(backend: SmtpBackend, smtp: Any, *, abort: bool) -> None:
    try:
        if abort:
            smtp.close()  # drop the socket: QUIT would be read as message text
            backend.connection = None
        else:
            backend.close()
    except Exception:  # closing after the outcome is known changes nothing
        backend.connection = None


def send_sms(*, to: str, body: str, reference: str, hand_over: HandOver) -> None:
    backend = sms.get_backend()
    hand_over()
    try:
        backend.send(to=to, body=body, reference=reference)
    except sms.SmsNotSent as exc:
        raise DefiniteFailure(f"SMS not sent ({exc})", retryable=exc.retryable) from exc
    except Exception as exc:
        raise OutcomeUnknown(
            f"SMS backend raised {_describe(exc)}", safe_to_retry=backend.idempotent
        ) from exc
