"""Helpers of the event handlers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from tandem.core.models import Event

logger = logging.getLogger(__name__)

Reaction = Callable[[Event], None]
GESTURE_CONTEXTS = {"silent_week", "questionnaire_missed"}


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _enrollment(enrollment_uuid: object) -> Any:
    from tandem.programs.models import Enrollment

    key = _uuid(enrollment_uuid)
    if key is None:
        return None
    return (
        Enrollment.objects.filter(uuid=key)
        .select_related("version__program")
        .only(
            "id",
            "uuid",
            "patient_id",
            "guidance_mode",
            "pacing_policy",
            "status",
            "version__id",
            "version__program__code",
        )
        .first()
    )


def _rule_context(enrollment: Any) -> dict[str, Any]:
    if enrollment is None:
        return {}
    return {
        "enrollment_id": enrollment.pk,
        "program_code": enrollment.version.program.code,
        "pacing": enrollment.pacing_policy,
        "guidance": enrollment.guidance_mode,
    }
