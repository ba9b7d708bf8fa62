"""The workspace views (thin: parse, authorise through the scoped path, call, render)."""

from tandem.care.views.caseload import caseload, reassign
from tandem.care.views.patient import outreach_outcome, patient_overview
from tandem.care.views.supervisor import rules_view, supervisor
from tandem.care.views.time import heartbeat, planned_minutes, time_add, time_edit, time_week
from tandem.care.views.triage import outreach, signal_resolve, signal_snooze, triage

__all__ = [
    "caseload",
    "heartbeat",
    "outreach",
    "outreach_outcome",
    "patient_overview",
    "planned_minutes",
    "reassign",
    "rules_view",
    "signal_resolve",
    "signal_snooze",
    "supervisor",
    "time_add",
    "time_edit",
    "time_week",
    "triage",
]
