"""Saving a settings row: lock it (or create it) and say which fields changed, so that
the caller audits a change once and a repeated save of the same values writes nothing."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction


def save_changes(
    model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[Any, list[str]]:
    """The row of ``model`` matching ``lookup``, created if missing, holding ``values``,
    and the names of the fields that changed (every field of a new row). Runs in its own
    transaction with the row locked, so two saves never interleave."""
    with transaction.atomic():
        row = model.objects.select_for_update().filter(**lookup).first()  # type: ignore[attr-defined]
        if row is None:
            try:
                with transaction.atomic():
                    return model.objects.create(**lookup, **values), sorted(values)  # type: ignore[attr-defined]
            except IntegrityError:  # created meanwhile by another save: update that one
                row = model.objects.select_for_update().get(**lookup)  # type: ignore[attr-defined]
        changed = sorted(key for key, value in values.items() if getattr(row, key) != value)
        if changed:
            for key in changed:
                setattr(row, key, values[key])
            row.save()
        return row, changed
