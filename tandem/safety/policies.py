"""Who may see or handle an alert: the patient's scoped path, audited."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from tandem.accounts.models import Patient, Role
from tandem.accounts.policies import _as_uuid, patient_for
from tandem.audit import services as audit
from tandem.safety.models import Alert


def visible_alerts(user: object) -> QuerySet[Alert]:
    """Alerts of the patients ``user`` may see now (care team, break-glass, supervisor)."""
    if getattr(user, "role", None) not in (Role.THERAPIST, Role.SUPERVISOR):
        return Alert.objects.none()
    return Alert.objects.filter(patient__in=Patient.objects.for_user(user))


def alert_for(request: HttpRequest, alert_uuid: object, *, action: str) -> Alert:
    """The alert if the user may see its patient, else 404. The patient read is audited
    through ``patient_for`` with ``action``; a denial is audited too."""
    key = _as_uuid(alert_uuid)
    alert = None
    if key is not None:
        alert = (
            visible_alerts(request.user)
            .filter(uuid=key)
            .select_related(
                "patient", "assigned_to", "escalated_to", "acknowledged_by", "raised_by"
            )
            .first()
        )
    if alert is None:
        audit.record(
            actor=request.user,
            action="safety.alert.access_denied",
            request=request,
            outcome="denied",
            detail={"alert_uuid": str(alert_uuid)[:64], "attempted": action},
        )
        raise Http404
    alert.patient = patient_for(request, alert.patient.uuid, action=action)
    return alert
