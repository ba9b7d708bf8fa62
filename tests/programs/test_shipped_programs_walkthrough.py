"""Every shipped program can be worked through by a patient: each module page renders
(in English, Finnish and Swedish, with fallback), every worksheet opens, and every module
can be completed. Walks the real packages through the real views."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tandem.programs import catalog, services
from tandem.programs.models import Enrollment, ProgramVersion

PROGRAMS = sorted(p.name for p in catalog.package_dirs(Path("content/programs")))


@pytest.mark.django_db
@pytest.mark.parametrize("code", PROGRAMS)
def test_a_patient_can_work_through_the_program(code, personas, login):
    assert len(PROGRAMS) == 9
    result = catalog.load(Path("content/programs") / code)
    assert result.report.ok, result.report.format()
    version = ProgramVersion.objects.get(program__code=code, is_current=True)
    enrollment = services.enroll(
        actor=personas.therapist,
        patient=personas.patient,
        version=version,
        guidance_mode="guided",
        pacing_policy="all_open",
    )
    client = login(personas.patient.user)
    program = version.package.program
    for module in program.modules:
        for page in module.pages:
            url = reverse("module_page", args=[enrollment.uuid, module.id, page.id])
            response = client.get(url)
            assert response.status_code == 200, (code, module.id, page.id)
            html = response.content.decode()
            assert "<script" not in html.split('<main id="main"')[1].split("</main>")[0]
            # Reading moves on through the POST that records progress.
            assert client.post(url, {"to": page.id}).status_code == 302
        for exercise in module.exercises:
            url = reverse("exercise_fill", args=[enrollment.uuid, module.id, exercise.id])
            response = client.get(url)
            assert response.status_code == 200, (code, module.id, exercise.id)
            assert re.search(r"<label", response.content.decode())
        complete = reverse("module_complete", args=[enrollment.uuid, module.id])
        assert client.post(complete).status_code == 302
    enrollment = Enrollment.objects.get(pk=enrollment.pk)
    assert enrollment.modules_completed == len(program.modules)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fi", "sv"])
def test_depression_reads_in_the_patients_language(language, personas, login):
    catalog.load(Path("content/programs/depression"))
    version = ProgramVersion.objects.get(program__code="depression", is_current=True)
    enrollment = services.enroll(
        actor=personas.therapist,
        patient=personas.patient,
        version=version,
        guidance_mode="guided",
        pacing_policy="all_open",
    )
    user = personas.patient.user
    user.language = language
    user.save(update_fields=["language"])
    client = login(user)
    module = version.package.program.modules[-1]
    page = module.pages[0]
    html = client.get(
        reverse("module_page", args=[enrollment.uuid, module.id, page.id])
    ).content.decode()
    assert f'lang="{language}"' in html
    assert page.body.text(language)[:40].split("\n")[0].strip("# ")[:20] in html
