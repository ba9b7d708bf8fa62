"""The shipped depression package through the exercises app: every exercise renders and
accepts a plausible answer, and the demo data (after the programs demo) is complete."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tandem.exercises import demo
from tandem.exercises.content import resolve
from tandem.exercises.models import EntryStatus, ExerciseEntry, HardMoment
from tandem.exercises.types import worksheet_class
from tandem.programs import catalog
from tandem.programs.content import validate_package
from tandem.programs.models import Enrollment, ProgramVersion

pytestmark = pytest.mark.django_db

DEPRESSION = Path(settings.CONTENT_DIR) / "programs" / "depression"


def _loaded() -> ProgramVersion:
    if not DEPRESSION.is_dir():
        pytest.skip("the depression package is not there")
    report = validate_package(DEPRESSION, instruments_dir=catalog.instruments_dir())
    if not report.ok:
        pytest.skip(f"the depression package does not validate yet: {report.errors[0]}")
    result = catalog.load(DEPRESSION)
    assert result.report.ok
    return ProgramVersion.objects.get(program__code="depression", is_current=True)


def test_every_depression_exercise_renders_and_takes_an_answer(personas, login):
    version = _loaded()
    enrollment = Enrollment.objects.create(
        patient=personas.patient,
        version=version,
        guidance_mode="guided",
        pacing_policy="all_open",
        enrolled_by=personas.therapist,
    )
    client = login(personas.patient.user)
    count = 0
    for module in version.package.program.modules:
        for exercise in module.exercises:
            url = f"/enrollments/{enrollment.uuid}/modules/{module.id}/exercises/{exercise.id}/"
            response = client.get(url)
            assert response.status_code == 200, (module.id, exercise.id)
            data = demo.sample(exercise, timezone.now() - timezone.timedelta(hours=1))
            ws = worksheet_class(exercise.type)(exercise, data=data)
            assert ws.is_valid(), (exercise.id, ws.errors)
            response = client.post(url, {**data, "token": str(uuid.uuid4())})
            assert response.status_code == 302, (exercise.id, response.content[:500])
            count += 1
    assert ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).count() == count > 0


def test_demo_after_the_programs_demo():
    _loaded()
    from tandem.accounts import demo as accounts_demo
    from tandem.programs import demo as programs_demo

    demo.seed()  # nobody enrolled yet: skipped quietly
    assert not ExerciseEntry.objects.exists()
    accounts_demo.seed()
    programs_demo.seed()
    demo.seed()
    enrollment = Enrollment.objects.get(
        patient__user__email=demo.PATIENT, version__program__code="depression"
    )
    entries = ExerciseEntry.objects.filter(enrollment=enrollment)
    submitted = entries.filter(status=EntryStatus.SUBMITTED)
    assert submitted.filter(feedback_at__isnull=True).exists()
    assert submitted.filter(feedback_at__isnull=False).exists()
    assert submitted.filter(exercise_type="diary").count() >= 8
    assert entries.filter(status=EntryStatus.DRAFT).exists()
    assert HardMoment.objects.filter(enrollment=enrollment).count() == 1
    enrollment.refresh_from_db()
    assert enrollment.exercises_submitted == submitted.count()
    assert (
        enrollment.exercises_awaiting_feedback == submitted.filter(feedback_at__isnull=True).count()
    )
    assert resolve(enrollment, "starting-out", "mood-diary") is not None
