"""Issue 9 in a real browser: the patient, on a phone, opens each of the nine shipped
programs from their home page, reads the first module page by page with the Next button,
opens the module's first worksheet and completes the module — no page errors, no request
to another origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tandem.programs import catalog
from tandem.programs import services as programs
from tandem.programs.models import ProgramVersion
from tests.e2e.conftest import log_of

pytestmark = pytest.mark.e2e

ROOT = Path(settings.CONTENT_DIR) / "programs"


def test_each_program_can_be_worked_through_on_a_phone(live_server, personas, phone_page, sign_in):
    versions = []
    for path in catalog.package_dirs(ROOT):
        catalog.load(path)
        version = ProgramVersion.objects.get(program__code=path.name, is_current=True)
        programs.enroll(
            actor=personas.therapist,
            patient=personas.patient,
            version=version,
            guidance_mode="guided",
            pacing_policy="sequential",
        )
        versions.append(version)
    assert len(versions) == 9
    page = sign_in(phone_page, personas.patient.user.email, totp=False)
    for version in versions:
        program = version.package.program
        module = program.modules[0]
        page.goto(live_server.url + "/journey/")
        page.get_by_role("link", name=program.title.text("en")).first.click()
        page.get_by_role("link", name=module.title.text("en")).first.click()
        for index, first_page in enumerate(module.pages):
            assert (
                page.locator("main h1").first.inner_text().strip()
                == first_page.title.text("en").strip()
            ), (program.code, first_page.id)
            if index + 1 < len(module.pages):
                with page.expect_navigation():
                    page.get_by_role("button", name="Next →").click()
        if module.exercises:
            worksheet = page.locator("main a[href*='/exercises/']").first
            if worksheet.count():
                worksheet.click()
                assert page.locator("main form label").count() > 0, program.code
                page.go_back()
        with page.expect_navigation():
            page.get_by_role("button", name="Mark module complete").click()
        assert "completed" in page.inner_text("main").lower(), program.code
    log = log_of(page)
    assert not log.page_errors
    assert not log.foreign_requests(live_server.url)
