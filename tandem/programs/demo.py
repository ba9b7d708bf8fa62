"""Demo enrollments for `make run`: loads the shipped packages and enrolls the demo
patients of therapist@example.org in the depression program in various states. Histories
are written through the services with past times, so events and counters are real."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from tandem.accounts.models import User
from tandem.programs import catalog, services
from tandem.programs.models import Enrollment, Program

logger = logging.getLogger(__name__)

THERAPIST = "therapist@example.org"


def seed() -> None:
    for result in catalog.load_all():
        if not result.report.ok:
            logger.warning("program package %s has errors and was not loaded", result.code)
    program = Program.objects.filter(code="depression").first()
    version = program.current_version if program else None
    therapist = User.objects.filter(email=THERAPIST).first()
    if version is None or therapist is None:
        logger.warning("demo enrollments skipped: the depression program is not loaded")
        return
    now = timezone.now()
    day = timedelta(days=1)

    def patient(email: str):  # type: ignore[no-untyped-def]
        return User.objects.select_related("patient").get(email=email).patient

    # Pia: guided, weekly, four weeks in — modules 1–2 done with feedback, module 3 mid-way.
    start = now - 28 * day
    pia = services.enroll(
        actor=therapist,
        patient=patient("patient@example.org"),
        version=version,
        guidance_mode="guided",
        pacing_policy="weekly",
        interval_days=7,
        started_at=start,
    )
    user = pia.patient.user
    services.agree_pace(actor=user, enrollment=pia, per_week="1", now=start + day)
    _work(user, pia, 0, start + 1 * day, complete=True)
    services.record_module_feedback(
        actor=therapist, enrollment=pia, module_key=_key(pia, 0), now=start + 4 * day
    )
    _work(user, pia, 1, start + 8 * day, complete=True)
    services.record_module_feedback(
        actor=therapist, enrollment=pia, module_key=_key(pia, 1), now=start + 13 * day
    )
    _work(user, pia, 2, start + 15 * day, complete=False)

    # Leena: self-guided, sequential, module 1 done.
    leena = services.enroll(
        actor=therapist,
        patient=patient("patient3@example.org"),
        version=version,
        guidance_mode="self_guided",
        pacing_policy="sequential",
        started_at=now - 20 * day,
    )
    _work(leena.patient.user, leena, 0, now - 18 * day, complete=True)

    # Mikael: blended, next module after feedback; module 1 done and waiting for feedback.
    mikael = services.enroll(
        actor=therapist,
        patient=patient("patient4@example.org"),
        version=version,
        guidance_mode="blended",
        pacing_policy="after_feedback",
        started_at=now - 12 * day,
    )
    _work(mikael.patient.user, mikael, 0, now - 3 * day, complete=True)

    # Sara: guided, weekly, paused after two modules.
    sara = services.enroll(
        actor=therapist,
        patient=patient("patient5@example.org"),
        version=version,
        guidance_mode="guided",
        pacing_policy="weekly",
        started_at=now - 60 * day,
    )
    _work(sara.patient.user, sara, 0, now - 59 * day, complete=True)
    _work(sara.patient.user, sara, 1, now - 50 * day, complete=True)
    services.set_status(actor=therapist, enrollment=sara, status="paused", now=now - 10 * day)

    # Oskari: discontinued after the first module.
    oskari = services.enroll(
        actor=therapist,
        patient=patient("patient6@example.org"),
        version=version,
        guidance_mode="guided",
        pacing_policy="weekly",
        started_at=now - 45 * day,
    )
    _work(oskari.patient.user, oskari, 0, now - 40 * day, complete=True)
    services.set_status(
        actor=therapist,
        enrollment=oskari,
        status="discontinued",
        now=now - 20 * day,
        reason="Moved to face-to-face therapy at the outpatient clinic.",
    )
    # Elina (patient7) is not enrolled, so the enroll form can be tried.


def _key(enrollment: Enrollment, index: int) -> str:
    return services.slots(enrollment)[index].key


def _work(user: User, enrollment: Enrollment, index: int, at: datetime, *, complete: bool) -> None:
    """Read a module page by page (all of it when completing, half of it otherwise)."""
    slot = services.slots(enrollment)[index]
    pages = slot.module.pages
    if not complete:
        pages = pages[: max(1, (len(pages) + 1) // 2)]
    for offset, page in enumerate(pages):
        services.view_page(
            actor=user,
            enrollment=enrollment,
            module_key=slot.key,
            page_id=page.id,
            now=at + timedelta(minutes=5 * offset),
        )
    if complete:
        services.complete_module(
            actor=user, enrollment=enrollment, module_key=slot.key, now=at + timedelta(days=2)
        )
