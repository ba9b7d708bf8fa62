"""Program schedules: baseline at enrollment, each module, weekly, end, follow-up; overdue
and missed; the periodic command is idempotent."""

from __future__ import annotations

import shutil
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from tandem.assessments import schedules
from tandem.assessments.models import Assignment
from tandem.core.models import Event
from tandem.programs import catalog
from tandem.programs import services as programs
from tandem.programs.models import ProgramVersion

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def _load(path: Path) -> ProgramVersion:
    result = catalog.load(path)
    assert result.report.ok, result.report.format()
    return ProgramVersion.objects.select_related("program").get(
        program__code=result.code, is_current=True
    )


@pytest.fixture
def depression() -> ProgramVersion:
    """The shipped depression program: PHQ-9 + GAD-7 at baseline and end, PHQ-9 weekly,
    both 90 days after the end."""
    return _load(catalog.programs_dir() / "depression")


@pytest.fixture
def with_each_module(tmp_path) -> ProgramVersion:  # type: ignore[no-untyped-def]
    target = tmp_path / "depression"
    shutil.copytree(catalog.programs_dir() / "depression", target)
    manifest = target / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text("utf-8"))
    data["instruments"].append({"instrument": "gad7", "when": "each_module"})
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return _load(target)


def _enroll(personas, version, started_at, pacing="all_open"):  # type: ignore[no-untyped-def]
    return programs.enroll(
        actor=personas.therapist,
        patient=personas.patient,
        version=version,
        guidance_mode="guided",
        pacing_policy=pacing,
        started_at=started_at,
    )


def keys(**filters) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted(Assignment.objects.filter(**filters).values_list("instrument", "schedule_key"))


def test_enrolling_gives_the_baseline_questionnaires(
    personas, depression, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = _enroll(personas, depression, timezone.now())
    assert keys() == [("gad7", "baseline"), ("phq9", "baseline")]
    baseline = Assignment.objects.get(instrument="phq9")
    assert baseline.enrollment == enrollment and baseline.source == "schedule"
    assert baseline.state() == "due"
    assert Event.objects.filter(kind="questionnaire.assigned").count() == 2
    schedules.on_enrolled(enrollment)  # again: nothing new
    assert Assignment.objects.count() == 2


def test_weekly_questionnaires_are_created_once_a_week(personas, depression):
    now = timezone.now()
    enrollment = _enroll(personas, depression, now - 15 * DAY)
    schedules.run(now)
    assert ("phq9", "weekly:2") in keys(enrollment=enrollment)
    assert ("phq9", "weekly:1") not in keys()  # missed weeks are not back-filled
    weekly = Assignment.objects.get(schedule_key="weekly:2")
    assert weekly.available_at == enrollment.started_at + 14 * DAY
    assert weekly.due_at == weekly.available_at + 3 * DAY
    count = Assignment.objects.count()
    schedules.run(now)
    schedules.run(now + timedelta(hours=5))
    assert Assignment.objects.count() == count  # idempotent
    schedules.run(now + 7 * DAY)
    assert ("phq9", "weekly:3") in keys()


def test_the_job_catches_up_a_missing_baseline_of_a_recent_enrollment(personas, depression):
    now = timezone.now()
    _enroll(personas, depression, now - 2 * DAY)  # the handler did not run (no commit)
    assert not Assignment.objects.exists()
    schedules.run(now)
    assert ("phq9", "baseline") in keys() and ("gad7", "baseline") in keys()


def test_a_paused_enrollment_gets_no_weekly_questionnaires(personas, depression):
    now = timezone.now()
    enrollment = _enroll(personas, depression, now - 15 * DAY)
    programs.set_status(actor=personas.therapist, enrollment=enrollment, status="paused")
    schedules.run(now)
    assert not Assignment.objects.filter(schedule_key__startswith="weekly").exists()


def test_completing_a_module_gives_each_module_questionnaires(
    personas, with_each_module, django_capture_on_commit_callbacks
):
    enrollment = _enroll(personas, with_each_module, timezone.now() - DAY)
    key = programs.slots(enrollment)[0].key
    with django_capture_on_commit_callbacks(execute=True):
        programs.complete_module(actor=personas.patient.user, enrollment=enrollment, module_key=key)
    assert ("gad7", f"module:{key}") in keys()
    assert Assignment.objects.get(schedule_key=f"module:{key}").source == "schedule"


def test_the_end_and_the_followup(personas, depression, django_capture_on_commit_callbacks):
    now = timezone.now()
    enrollment = _enroll(personas, depression, now - 60 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        programs.set_status(actor=personas.therapist, enrollment=enrollment, status="completed")
    assert ("gad7", "end") in keys() and ("phq9", "end") in keys()
    schedules.run(now + 89 * DAY)
    assert not Assignment.objects.filter(schedule_key__startswith="followup").exists()
    schedules.run(now + 91 * DAY)
    assert ("gad7", "followup:90") in keys() and ("phq9", "followup:90") in keys()
    followup = Assignment.objects.get(instrument="phq9", schedule_key="followup:90")
    assert abs(followup.available_at - (enrollment.ended_at + 90 * DAY)) < timedelta(seconds=5)


def test_overdue_and_missed_are_marked_once(personas, depression):
    now = timezone.now()
    enrollment = _enroll(personas, depression, now - 2 * DAY)
    schedules.on_enrolled(enrollment)
    baseline = Assignment.objects.get(instrument="phq9")
    summary = schedules.run(enrollment.started_at + 4 * DAY)
    baseline.refresh_from_db()
    assert summary.overdue == 2 and baseline.overdue_at is not None
    assert baseline.state(enrollment.started_at + 4 * DAY) == "overdue"
    assert schedules.run(enrollment.started_at + 5 * DAY).overdue == 0
    summary = schedules.run(enrollment.started_at + 15 * DAY)
    baseline.refresh_from_db()
    assert summary.missed >= 2 and baseline.missed_at is not None
    assert baseline.state() == "missed"
    assert Event.objects.filter(kind="questionnaire.missed", ref_uuid=baseline.uuid).count() == 1
    assert Event.objects.filter(kind="questionnaire.overdue", ref_uuid=baseline.uuid).count() == 1


def test_the_command_runs_and_reports(personas, depression):
    _enroll(personas, depression, timezone.now() - 8 * DAY)
    out = StringIO()
    call_command("assessments_schedule", stdout=out)
    assert "created" in out.getvalue() and Assignment.objects.exists()
    again = StringIO()
    call_command("assessments_schedule", stdout=again)
    assert again.getvalue().startswith("0 created")


def test_before_session_is_available_to_blended_care(personas, tmp_path):
    target = tmp_path / "depression"
    shutil.copytree(catalog.programs_dir() / "depression", target)
    manifest = target / "manifest.yaml"
    data = yaml.safe_load(manifest.read_text("utf-8"))
    data["instruments"] = [{"instrument": "phq9", "when": "before_session"}]
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    enrollment = _enroll(personas, _load(target), timezone.now())
    session_at = timezone.now() + 3 * DAY
    given = schedules.before_session(enrollment, session_key="abc", session_at=session_at)
    assert [a.schedule_key for a in given] == ["session:abc"]
    assert given[0].available_at == session_at - 2 * DAY
    assert (
        schedules.before_session(enrollment, session_key="abc", session_at=session_at)[0].pk
        == given[0].pk
    )
