"""core.changes.save_changes: a settings row saved once per change, audited by the caller."""

from __future__ import annotations

from datetime import time

import pytest

from tandem.core.changes import save_changes
from tandem.safety.models import EscalationPolicy

pytestmark = pytest.mark.django_db


def test_a_new_row_reports_every_field_then_only_what_changed(personas):
    values = {"urgent_hours": 2, "review_hours": 6, "workday_start": time(8)}
    row, changed = save_changes(EscalationPolicy, {"clinic": personas.clinic}, values)
    assert changed == ["review_hours", "urgent_hours", "workday_start"]
    assert (row.urgent_hours, row.review_hours) == (2, 6)

    same, changed = save_changes(EscalationPolicy, {"clinic": personas.clinic}, values)
    assert same.pk == row.pk and changed == []

    _row, changed = save_changes(
        EscalationPolicy, {"clinic": personas.clinic}, values | {"review_hours": 8}
    )
    assert changed == ["review_hours"]
    assert EscalationPolicy.objects.get(clinic=personas.clinic).review_hours == 8
    assert EscalationPolicy.objects.count() == 1
