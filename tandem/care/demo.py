"""Demo data: the workspace's signals and caseload rows for the demo clinics.

The apps below seed their histories through their services (whose events reach
``handlers.py`` once the seeding transaction commits); this seeder runs the periodic
job once, so the time-based signals (silence, not started, behind the pace) are there
when the demo therapist signs in.
"""

from __future__ import annotations

from django.db import transaction


def seed() -> None:
    from tandem.care import periodic

    transaction.on_commit(lambda: periodic.run(), robust=True)
