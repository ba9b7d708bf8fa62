"""The periodic job behind ``manage.py care_signals`` (run every few minutes).

1. builds the caseload rows that are missing (new patients, a fresh database);
2. time-based rules over active enrollments: silence, not started, module overdue,
   enrollment ending (``rules.time_signals``) — opened, updated or resolved;
3. reconciles state-based signals with their source tables, catching up anything an
   event handler missed: messages awaiting a reply, exercises awaiting feedback, open
   safety alerts, unseen "this is hard" moments, missed questionnaires, and (when the
   blended app exists) sessions without an agenda;
4. wakes snoozed signals whose date has come;
5. refreshes each row's time-dependent fields (expected modules, active days, adherence,
   dropout risk, open-signal counts) and writes only the rows that changed.

Everything is read in bulk (a handful of queries per table, whatever the number of
enrollments) and written with ``bulk_create`` or one ``executemany`` per change set.
Idempotent: running it twice changes nothing the second time.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.db import connection
from django.utils import timezone

from tandem.accounts.models import Patient
from tandem.care import signals as sig
from tandem.care.models import CaseloadRow
from tandem.care.periodic.common import Differ, ModuleCounter, Summary
from tandem.care.periodic.reconcile import (
    reconcile_alerts,
    reconcile_feedback,
    reconcile_hard_moments,
    reconcile_messages,
    reconcile_missed,
    reconcile_sessions,
    reevaluate_session,
)
from tandem.care.periodic.rows import build_rows, refresh_rows, sync_signal_therapists
from tandem.care.periodic.timed import reevaluate_enrollment, time_rules

# --- the job ------------------------------------------------------------------------------------


def run(now: datetime | None = None, *, rebuild: bool = False) -> Summary:
    """One pass of the periodic job (see the module docstring)."""
    now = now or timezone.now()
    summary = Summary()

    def phase(name: str, started: float) -> float:
        now_t = time.perf_counter()
        summary.timings[name] = now_t - started
        return now_t

    t = time.perf_counter()
    counter = ModuleCounter()
    if rebuild:
        CaseloadRow.objects.all().delete()
    missing = list(Patient.objects.filter(caseload_row__isnull=True).values_list("pk", flat=True))
    summary.rows_built = build_rows(missing, now, counter)
    t = phase("rows", t)
    differ = Differ(sig.all_rule_tables(), now, summary)
    time_rules(differ, counter, summary)
    t = phase("time rules", t)
    reconcile_messages(differ)
    reconcile_feedback(differ)
    reconcile_alerts(differ)
    reconcile_hard_moments(differ)
    reconcile_missed(differ)
    reconcile_sessions(differ)
    t = phase("reconcile", t)
    from tandem.care.services import wake_snoozed

    summary.woken = len(wake_snoozed(now))
    sig.raise_due(now)
    refresh_rows(now, summary)
    sync_signal_therapists()
    t = phase("refresh", t)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")
    return summary


__all__ = ["Summary", "reevaluate_enrollment", "reevaluate_session", "run"]
