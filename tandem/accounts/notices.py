"""Security notices to a user ("your sign-in settings changed"): sent by the sender a
higher app registers — the notifications app routes them through its delivery log
(retried, deduplicated, visible to the clinic) — or, without one, emailed by the
accounts task directly. Accounts never imports the notifications app."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Sender = Callable[[int, str], object]
_sender: Sender | None = None

#: The notices there are (the templates say what each means).
NOTICES = frozenset({"mfa_changed", "password_changed"})


def register_sender(sender: Sender | None) -> None:
    global _sender
    _sender = sender


def send(*, user_id: int, notice: str) -> None:
    """Tell the user. A registered sender records the notice in the current transaction
    (it commits with the change, or neither does); the direct email waits for the
    commit."""
    if notice not in NOTICES:
        raise ValueError(f"unknown security notice {notice!r}")
    if _sender is not None:
        _sender(user_id, notice)
        return
    from tandem.accounts.tasks import send_security_notice

    transaction.on_commit(lambda: send_security_notice.enqueue(user_id, notice))
