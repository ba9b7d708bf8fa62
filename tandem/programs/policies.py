"""Access to enrollments goes through the patient's scoped path (and its audit)."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from tandem.accounts.models import Patient
from tandem.accounts.policies import _as_uuid, patient_for
from tandem.audit import services as audit
from tandem.programs.models import Enrollment


def enrollment_for(request: HttpRequest, enrollment_uuid: object, *, action: str) -> Enrollment:
    """The enrollment if the user may see its patient (404 otherwise); audited like
    ``patient_for``. The lookup itself is restricted to patients visible to the user, so
    a guessed id of another clinic's enrollment is indistinguishable from a missing one."""
    key = _as_uuid(enrollment_uuid)
    enrollment = None
    if key is not None:
        enrollment = (
            Enrollment.objects.filter(uuid=key, patient__in=Patient.objects.for_user(request.user))
            .select_related("version__program", "patient__user", "patient__clinic")
            .defer("version__snapshot")  # parsed content comes from catalog.package_for
            .first()
        )
    if enrollment is None:
        audit.record(
            actor=request.user,
            action="programs.enrollment.access_denied",
            request=request,
            outcome="denied",
            detail={"enrollment_uuid": str(enrollment_uuid)[:64], "attempted": action},
        )
        raise Http404
    # Re-check and audit through the one patient path.
    enrollment.patient = patient_for(request, enrollment.patient.uuid, action=action)
    return enrollment


def visible_enrollments(user: object):  # type: ignore[no-untyped-def]
    return Enrollment.objects.filter(patient__in=Patient.objects.for_user(user))
