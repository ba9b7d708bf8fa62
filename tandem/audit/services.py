"""One audit API: ``audit.record(actor=…, action="care.alert.acknowledged", patient=…)``.

Action codes are namespaced ``<app>.<object>.<verb>``. Every staff read of patient data,
every change, every login and failure, MFA event, invitation, role change, break-glass and
authorisation denial is recorded here; nothing else writes the audit table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from tandem.audit.models import GENESIS, AuditEntry, ChainHead


def _client_ip(request: HttpRequest | None) -> str | None:
    from tandem.core.net import client_ip

    return client_ip(request)


def record(
    *,
    actor: Any,
    action: str,
    request: HttpRequest | None = None,
    patient: Any = None,
    target: Any = None,
    clinic: Any = None,
    reason: str = "",
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain (in its own savepoint of the caller's transaction)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    clinic_id = getattr(clinic, "pk", clinic) if clinic is not None else None
    if clinic_id is None and patient is not None:
        clinic_id = patient.clinic_id
    if clinic_id is None and user is not None:
        clinic_id = getattr(user, "clinic_id", None)
    entry = AuditEntry(
        actor=user,
        actor_role=getattr(user, "role", "") or "",
        action=action,
        outcome=outcome,
        clinic_id_ref=clinic_id,
        patient_uuid=getattr(patient, "uuid", None),
        target_type=target._meta.label_lower if target is not None else "",
        target_uuid=getattr(target, "uuid", None) if target is not None else None,
        reason=reason,
        ip=_client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:200],
        detail=detail or {},
    )
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update(of=("self",)).get_or_create(pk=1)
        entry.prev_hash = head.last_hash
        entry.hash = entry.compute_hash()
        entry.save(force_insert=True)
        ChainHead.objects.filter(pk=1).update(last_hash=entry.hash, count=head.count + 1)
    return entry


@dataclass(frozen=True)
class Problem:
    entry_id: int | None
    message: str


def verify(batch_size: int = 2000) -> list[Problem]:
    """Walk the chain in id order; report edited, inserted, deleted or truncated rows."""
    problems: list[Problem] = []
    expected_prev = GENESIS
    count = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for entry in batch:
            count += 1
            if entry.prev_hash != expected_prev:
                problems.append(
                    Problem(
                        entry.id, "chain broken: an entry before this one was removed or changed"
                    )
                )
            if entry.compute_hash() != entry.hash:
                problems.append(Problem(entry.id, "content does not match its hash: entry edited"))
            expected_prev = entry.hash
            last_id = entry.id
    head = ChainHead.objects.filter(pk=1).first()
    head_hash = head.last_hash if head else GENESIS
    head_count = head.count if head else 0
    if head_hash != expected_prev or head_count != count:
        problems.append(
            Problem(None, f"chain head mismatch: {head_count} entries recorded, {count} present")
        )
    return problems
