"""Demo questionnaire histories (written through the services with past times).

- patient@example.org (Pia): PHQ-9 and GAD-7 improving week by week (reliable improvement);
  this week's PHQ-9 is waiting for her.
- patient3@example.org (Leena): PHQ-9 and GAD-7 getting worse (reliable deterioration),
  which raised review alerts; the GAD-7 one is acknowledged, the PHQ-9 one is open.
- patient4@example.org (Mikael): last PHQ-9 with item 9 = 1 (follow-up answers all "no"):
  an open, unacknowledged review alert for therapist@example.org.

Needs the programs demo (it enrolls these patients); skipped when nobody is enrolled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from tandem.accounts.models import User
from tandem.assessments import definitions, services
from tandem.assessments.models import Assignment, AssignmentSource
from tandem.programs.models import Enrollment
from tandem.safety import services as safety
from tandem.safety.models import Alert, CrisisResourceSet

logger = logging.getLogger(__name__)

THERAPIST = "therapist@example.org"
DAY = timedelta(days=1)


def answers_for(code: str, total: int, *, fixed: dict[int, int] | None = None) -> dict[int, int]:
    """Item answers that add up to ``total`` (``fixed`` items first), spread evenly."""
    definition = definitions.get(code)
    fixed = dict(fixed or {})
    for rule in definition.critical_items:  # risk items stay at 0 unless given
        fixed.setdefault(rule.item, 0)
    answers: dict[int, int] = {}
    free = [item for item in definition.scored_items if item.number not in fixed and item.required]
    remaining = total - sum(fixed.values())
    for index, item in enumerate(free):
        left = len(free) - index
        value = min(item.options.max_value, -(-remaining // left) if remaining > 0 else 0)
        answers[item.number] = value
        remaining -= value
    answers.update(fixed)
    for item in definition.items:
        if not item.scored and item.number not in answers:
            answers[item.number] = 1  # PHQ-9 item 10: "somewhat difficult"
    return answers


def _enrollment(email: str) -> Enrollment | None:
    return (
        Enrollment.objects.filter(patient__user__email=email)
        .select_related("patient__clinic", "patient__user", "version")
        .order_by("-started_at")
        .first()
    )


def _answer(
    enrollment: Enrollment,
    code: str,
    key: str,
    at: datetime,
    total: int,
    *,
    therapist: User,
    fixed: dict[int, int] | None = None,
    followup: dict | None = None,
) -> None:
    patient = enrollment.patient
    scheduled = key.startswith(("baseline", "weekly"))
    assignment = services.assign(
        actor=None if scheduled else therapist,
        patient=patient,
        enrollment=enrollment,
        instrument=code,
        source=AssignmentSource.SCHEDULE if scheduled else AssignmentSource.ADHOC,
        schedule_key=key,
        available_at=at - timedelta(hours=6),
        due_at=at + 3 * DAY,
    )
    assignment = Assignment.objects.select_related("patient__clinic", "patient__user").get(
        pk=assignment.pk
    )
    if assignment.completed_at is None:
        services.submit_response(
            actor=patient.user,
            assignment=assignment,
            answers=answers_for(code, total, fixed=fixed),
            followup=followup,
            now=at,
        )


def seed() -> None:
    therapist = User.objects.filter(email=THERAPIST).first()
    pia = _enrollment("patient@example.org")
    leena = _enrollment("patient3@example.org")
    mikael = _enrollment("patient4@example.org")
    if therapist is None or not (pia or leena or mikael):
        logger.warning("assessments demo skipped: the programs demo enrolled nobody")
        return
    now = timezone.now()
    clinic = therapist.clinic
    if clinic is not None:
        CrisisResourceSet.objects.get_or_create(
            clinic=clinic,
            language="en",
            defaults={"clinic_hours": "Monday to Friday, 8:00–16:00"},
        )
        CrisisResourceSet.objects.get_or_create(
            clinic=clinic,
            language="fi",
            defaults={
                "clinic_hours": "Maanantaista perjantaihin klo 8–16",
                "lines": [
                    {
                        "name": "MIELI Kriisipuhelin",
                        "number": "09 2525 0111",
                        "hours": "Päivystää ympäri vuorokauden",
                    }
                ],
            },
        )

    if pia is not None:
        start = pia.started_at
        for week, total in enumerate((17, 15, 13, 10)):
            key = "baseline" if week == 0 else f"weekly:{week}"
            _answer(pia, "phq9", key, start + week * 7 * DAY + 2 * DAY, total, therapist=therapist)
        for week, total in ((0, 14), (2, 11), (3, 8)):
            key = "baseline" if week == 0 else f"demo-gad7:{week}"
            _answer(pia, "gad7", key, start + week * 7 * DAY + 2 * DAY, total, therapist=therapist)
        # This week's PHQ-9 is waiting.
        services.assign(
            actor=None,
            patient=pia.patient,
            enrollment=pia,
            instrument="phq9",
            source=AssignmentSource.SCHEDULE,
            schedule_key="weekly:4",
            available_at=now - 2 * timedelta(hours=1),
            due_at=now + 3 * DAY,
        )

    if leena is not None:
        start = leena.started_at
        for week, total in enumerate((8, 11, 14)):
            key = "baseline" if week == 0 else f"weekly:{week}"
            _answer(leena, "phq9", key, start + week * 7 * DAY + DAY, total, therapist=therapist)
        _answer(leena, "gad7", "baseline", start + DAY, 6, therapist=therapist)
        _answer(leena, "gad7", "demo-gad7:2", start + 15 * DAY, 11, therapist=therapist)
        gad_alert = Alert.objects.filter(
            patient=leena.patient, reason="gad7.reliable_deterioration"
        ).first()
        if gad_alert is not None and gad_alert.is_open:
            safety.acknowledge(
                actor=therapist,
                alert=gad_alert,
                note="Read the answers; will talk about worry at Thursday's session.",
            )

    if mikael is not None:
        start = mikael.started_at
        _answer(mikael, "phq9", "baseline", start + DAY, 13, therapist=therapist)
        _answer(
            mikael,
            "phq9",
            "weekly:1",
            now - 2 * timedelta(hours=1),
            12,
            therapist=therapist,
            fixed={9: 1},
            followup={"thoughts": False, "plan": False, "intent": False},
        )
