"""Versioning: a changed package becomes a new version, loading is idempotent, an enrolled
patient stays on their version with their progress readable, and a move is explicit."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.core.models import Event
from tandem.programs import catalog, services
from tandem.programs.models import ModuleProgress, ProgramMedia, ProgramVersion
from tests.programs.engine import STEPS, T0, copy_package, enroll, fresh, load

DAY = timedelta(days=1)
pytestmark = pytest.mark.django_db
WELCOME = "modules/01-intro/pages/welcome.en.md"
SECOND = "## Hello again\n\nThis is the **second** edition.\n"


@pytest.fixture
def package(tmp_path):
    return copy_package(tmp_path, STEPS)


def change(package, text: str = SECOND) -> None:  # type: ignore[no-untyped-def]
    (package / WELCOME).write_text(text)


def test_loading_twice_is_idempotent(package):
    first = catalog.load(package)
    second = catalog.load(package)
    assert first.created and not second.created
    assert ProgramVersion.objects.filter(program__code="steps").count() == 1
    assert ProgramMedia.objects.filter(version__program__code="steps").count() == 1


def test_a_changed_package_is_a_new_current_version(package):
    old = load(package)
    change(package)
    result = catalog.load(package)
    assert result.created
    assert result.version.startswith("1.0.0+")  # content changed without a version bump
    new = ProgramVersion.objects.get(program__code="steps", is_current=True)
    assert new.pk != old.pk
    old.refresh_from_db()
    assert not old.is_current
    assert ProgramMedia.objects.filter(version=new).count() == 1
    assert not catalog.load(package).created


def test_reverting_the_package_makes_the_old_version_current_again(package):
    old = load(package)
    original = (package / WELCOME).read_text()
    change(package)
    load(package)
    change(package, original)
    result = catalog.load(package)
    assert not result.created
    assert ProgramVersion.objects.get(program__code="steps", is_current=True).pk == old.pk


def test_an_enrolled_patient_stays_on_their_version_with_progress(personas, package, login):
    enrollment = enroll(personas, version=load(package), pacing_policy="all_open")
    user = personas.patient.user
    with time_machine.travel(T0 + DAY, tick=False):
        services.complete_module(actor=user, enrollment=fresh(enrollment), module_key="intro")
        services.view_page(
            actor=user, enrollment=fresh(enrollment), module_key="thoughts", page_id="two"
        )
        change(package)
        new = load(package)
        enrollment = fresh(enrollment)
        assert enrollment.version_id != new.pk
        client = login(user)
        page = client.get(reverse("module_page", args=[enrollment.uuid, "intro", "welcome"]))
        html = page.content.decode()
        assert "<strong>first</strong>" in html  # the old text
        assert "You completed this module" not in html  # (only on the last page)
        overview = client.get(reverse("journey_program", args=[enrollment.uuid])).content.decode()
        assert "Done" in overview
        assert "you are on page 2 of 3" in overview
        detail = (
            login(personas.therapist)
            .get(reverse("enrollment_detail", args=[enrollment.uuid]))
            .content.decode()
        )
        assert "A newer version is available" in detail


def test_moving_to_the_new_version_is_explicit_and_keeps_progress(personas, package, login):
    old = load(package)
    enrollment = enroll(personas, version=old, pacing_policy="all_open")
    user = personas.patient.user
    with time_machine.travel(T0 + DAY, tick=False):
        services.complete_module(actor=user, enrollment=fresh(enrollment), module_key="intro")
        services.view_page(
            actor=user, enrollment=fresh(enrollment), module_key="bonus", page_id="main"
        )
        # The new version drops the bonus module and rewrites the welcome page.
        change(package)
        manifest = package / "manifest.yaml"
        manifest.write_text(
            manifest.read_text().replace("  - id: bonus\n    optional: true\n    minutes: 10\n", "")
        )
        shutil.rmtree(package / "modules/05-bonus")
        new = load(package)
        with pytest.raises(ValidationError):
            services.move_to_version(
                actor=personas.therapist, enrollment=fresh(enrollment), version=old
            )
        client = login(personas.therapist)
        response = client.post(
            reverse("enrollment_move", args=[enrollment.uuid]), {"version": new.uuid}
        )
        assert response.status_code == 302
        enrollment = fresh(enrollment)
        assert enrollment.version_id == new.pk
        assert enrollment.modules_completed == 1
        assert Event.objects.filter(kind="enrollment.version_changed").count() == 1
        # Old rows stay on the old version; matching modules are carried over.
        assert ModuleProgress.objects.filter(enrollment=enrollment, version=old).count() == 2
        carried = ModuleProgress.objects.get(enrollment=enrollment, version=new)
        assert carried.module_key == "intro" and carried.completed_at is not None
        detail = client.get(reverse("enrollment_detail", args=[enrollment.uuid])).content.decode()
        assert "Progress on earlier versions" in detail
        assert "A newer version is available" not in detail
        page = login(user).get(reverse("module_page", args=[enrollment.uuid, "intro", "welcome"]))
        assert "<strong>second</strong>" in page.content.decode()
        # Moving again is a no-op.
        client.post(reverse("enrollment_move", args=[enrollment.uuid]), {"version": new.uuid})
        assert Event.objects.filter(kind="enrollment.version_changed").count() == 1


def test_a_stale_move_form_does_not_move(personas, package, login):
    enrollment = enroll(personas, version=load(package))
    change(package)
    load(package)
    client = login(personas.therapist)
    client.post(reverse("enrollment_move", args=[enrollment.uuid]), {"version": "not-it"})
    assert fresh(enrollment).version.is_current is False
