"""The access log: append-only, hash-chained, UTC.

Retention: 12 years (``docs/operations.md``). Rows are never updated or deleted by the
application; on PostgreSQL a trigger refuses UPDATE and DELETE as well.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.core.models import AppendOnlyError

GENESIS = "0" * 64


class AuditEntry(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    outcome = models.CharField(max_length=20, default="ok")
    clinic_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    patient_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_uuid = models.UUIDField(null=True, blank=True)
    reason = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["patient_uuid", "at"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("audit entries are append-only")

    def canonical(self) -> str:
        """The exact bytes the chain hash covers: every field a reader relies on."""
        return json.dumps(
            [
                str(self.uuid),
                self.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
                self.actor_id,
                self.actor_role,
                self.action,
                self.outcome,
                self.clinic_id_ref,
                str(self.patient_uuid) if self.patient_uuid else None,
                self.target_type,
                str(self.target_uuid) if self.target_uuid else None,
                self.reason,
                self.ip,
                self.user_agent,
                self.detail,
            ],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode("ascii")).hexdigest()


class ChainHead(models.Model):
    """One row holding the latest hash and count: serialises writers (row lock) and lets
    the verifier detect a truncated tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default=GENESIS)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain head ({self.count} entries)"
