"""Reactions to events of lower apps (run after the recording transaction commits).

- ``enrollment.created`` → baseline questionnaires;
- ``module.completed`` (data ``module``) → ``each_module`` and the module's questionnaires;
- ``enrollment.status_changed`` to ``completed`` → end-of-treatment questionnaires.

Every event refers to its enrollment (``ref_uuid``). The periodic job
(``assessments_schedule``) catches up anything a failed handler missed.
"""

from __future__ import annotations

import logging

from django.db import transaction

from tandem.core import events
from tandem.core.models import Event

logger = logging.getLogger(__name__)


def _enrollment(event: Event):  # type: ignore[no-untyped-def]
    from tandem.programs.models import Enrollment

    if event.ref_type != "programs.enrollment" or event.ref_uuid is None:
        return None
    return (
        Enrollment.objects.select_related("version__program", "patient__clinic")
        .filter(uuid=event.ref_uuid)
        .first()
    )


def on_enrollment_created(event_id: int) -> None:
    from tandem.assessments import schedules

    event = Event.objects.get(pk=event_id)
    enrollment = _enrollment(event)
    if enrollment is not None:
        with transaction.atomic():
            schedules.on_enrolled(enrollment)


def on_module_completed(event_id: int) -> None:
    from tandem.assessments import schedules

    event = Event.objects.get(pk=event_id)
    enrollment = _enrollment(event)
    module_key = (event.data or {}).get("module")
    if enrollment is not None and isinstance(module_key, str) and module_key:
        with transaction.atomic():
            schedules.on_module_completed(enrollment, module_key, now=event.occurred_at)


def on_enrollment_status_changed(event_id: int) -> None:
    from tandem.assessments import schedules

    event = Event.objects.get(pk=event_id)
    if (event.data or {}).get("to") != "completed":
        return
    enrollment = _enrollment(event)
    if enrollment is not None:
        with transaction.atomic():
            schedules.on_ended(enrollment)


def register() -> None:
    events.register("enrollment.created", on_enrollment_created)
    events.register("module.completed", on_module_completed)
    events.register("enrollment.status_changed", on_enrollment_status_changed)
    _register_safety_views()


def _register_safety_views() -> None:
    from tandem.assessments import views
    from tandem.safety import registry

    registry.register_cause("assessments.response", views.render_alert_cause)
    registry.register_cause("assessments.assignment", views.render_alert_cause)
    registry.register_reason_labels("assessment", views.reason_label)
