"""Base models and the append-only event stream."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PublicModel(models.Model):
    """A model addressed in URLs by a random UUID, never by its sequential key."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class TimeStampedModel(PublicModel):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """An attempt to change or delete an append-only row."""


class Event(models.Model):
    """An append-only fact about a patient (module completed, message sent, …).

    Written with ``tandem.core.events.record`` inside the caller's transaction.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=64)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    ref_type = models.CharField(max_length=64, blank=True)
    ref_uuid = models.UUIDField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("events are append-only")
