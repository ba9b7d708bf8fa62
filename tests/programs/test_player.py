"""The module player and program overview (patient side) and program media: pages with
progress, resume, completion, events, locked and foreign modules, and bad ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.core.models import Event
from tandem.programs import services
from tests.programs.engine import T0, enroll, fresh, load

DAY = timedelta(days=1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(T0 + DAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient_client(personas, login, frozen):
    return login(personas.patient.user)


def main(response) -> str:  # type: ignore[no-untyped-def]
    """The page's own content, without the navigation other apps add to."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def page_url(enrollment, module="intro", page="welcome") -> str:  # type: ignore[no-untyped-def]
    return reverse("module_page", args=[enrollment.uuid, module, page])


def test_a_page_with_progress_markdown_media_and_exercises(personas, patient_client):
    enrollment = enroll(personas)
    response = patient_client.get(page_url(enrollment))
    html = main(response)
    assert response.status_code == 200
    assert "Page 1 of 2" in html
    assert "<strong>first</strong>" in html
    media = reverse("program_media", args=[enrollment.version.uuid, "lake.png"])
    assert f'src="{media}"' in html
    # The exercise placed after this page is listed here; the end-of-module one is not.
    assert "My hopes" in html
    assert "Check-in" not in html
    assert 'name="to" value="goals"' in html  # next (a POST that records the page read)
    last = main(patient_client.get(page_url(enrollment, page="goals")))
    assert "Page 2 of 2" in last
    assert "Check-in" in last
    assert "My hopes" not in last
    assert reverse("module_complete", args=[enrollment.uuid, "intro"]) in last


def test_page_html_is_sanitised_whatever_the_source(personas):
    from tandem.journey.services import page_html
    from tandem.programs.content import Localized, Page

    version = load()
    unsafe = Page(
        "x",
        Localized.of({"en": "X"}),
        Localized.of(
            {
                "en": "<script>steal()</script>**hi** <img src=https://evil.example/x.png>"
                "[link](javascript:alert(1))",
            }
        ),
    )
    html = str(page_html(version, unsafe, "en"))
    assert "<script" not in html
    assert "steal()" not in html
    assert "evil.example" not in html
    assert "javascript:" not in html
    assert "<strong>hi</strong>" in html


def test_resume_goes_to_the_last_page_read(personas, patient_client):
    enrollment = enroll(personas)
    start = reverse("module_start", args=[enrollment.uuid, "intro"])
    assert patient_client.get(start)["Location"] == page_url(enrollment)
    moved = patient_client.post(page_url(enrollment), {"to": "goals"})
    assert moved["Location"] == page_url(enrollment, page="goals")
    assert patient_client.get(start)["Location"] == page_url(enrollment, page="goals")
    home = patient_client.get(reverse("journey_home")).content.decode()
    assert "Continue where I left off" in home
    assert page_url(enrollment, page="goals") in home
    overview = patient_client.get(reverse("journey_program", args=[enrollment.uuid]))
    assert "you are on page 2 of 2" in overview.content.decode()


def test_events_opened_once_and_page_views_once_per_page_per_day(personas, login, frozen):
    enrollment = enroll(personas)
    client = login(personas.patient.user)
    for _ in range(3):
        client.get(page_url(enrollment))
    assert not Event.objects.filter(kind__startswith="module.").exists()  # GET records nothing
    for _ in range(3):
        client.post(page_url(enrollment), {"to": "welcome"})
    client.post(page_url(enrollment), {"to": "goals"})
    assert Event.objects.filter(kind="module.opened").count() == 1
    assert Event.objects.filter(kind="module.page_viewed").count() == 2
    frozen.shift(DAY)
    client = login(personas.patient.user)
    client.post(page_url(enrollment, page="goals"), {"to": "welcome"})
    assert Event.objects.filter(kind="module.page_viewed").count() == 4
    progress = fresh(enrollment).progress.get()
    assert progress.last_page == "welcome"
    assert progress.pages_viewed == ["welcome", "goals"]


def test_complete_twice_is_one_completion(personas, patient_client):
    enrollment = enroll(personas)
    url = reverse("module_complete", args=[enrollment.uuid, "intro"])
    first = patient_client.post(url, follow=True)
    assert "Well done" in first.content.decode()
    second = patient_client.post(url, follow=True)
    assert "Well done" not in second.content.decode()
    assert Event.objects.filter(kind="module.completed").count() == 1
    assert fresh(enrollment).modules_completed == 1
    assert patient_client.get(url).status_code == 405  # GET never completes
    last = patient_client.get(page_url(enrollment, page="goals")).content.decode()
    assert "You completed this module" in last


def test_overview_says_in_plain_words_what_is_open_locked_and_done(personas, patient_client):
    enrollment = enroll(personas)
    services.complete_module(
        actor=personas.patient.user, enrollment=fresh(enrollment), module_key="intro"
    )
    html = patient_client.get(reverse("journey_program", args=[enrollment.uuid])).content.decode()
    assert "Done" in html
    assert "Opens on" in html
    assert "optional" in html
    assert reverse("module_start", args=[enrollment.uuid, "intro"]) in html  # revisit
    assert reverse("module_start", args=[enrollment.uuid, "thoughts"]) not in html  # locked


def test_locked_and_unknown_modules_and_pages_are_404(personas, patient_client):
    enrollment = enroll(personas)
    for url in (
        page_url(enrollment, "thoughts", "one"),
        reverse("module_start", args=[enrollment.uuid, "thoughts"]),
        page_url(enrollment, "intro", "nope"),
        page_url(enrollment, "nope", "welcome"),
        page_url(enrollment, "..", "welcome"),
        page_url(enrollment, "extras.sleep", "habits"),
    ):
        assert patient_client.get(url).status_code == 404, url
    response = patient_client.post(reverse("module_complete", args=[enrollment.uuid, "thoughts"]))
    assert response.status_code == 404
    assert not Event.objects.filter(kind="module.completed").exists()


def test_another_patients_enrollment_is_404(personas, login, frozen):
    enrollment = enroll(personas)
    other = login(personas.other_patient.user)
    for url in (
        reverse("journey_program", args=[enrollment.uuid]),
        reverse("journey_pace", args=[enrollment.uuid]),
        reverse("module_start", args=[enrollment.uuid, "intro"]),
        page_url(enrollment),
    ):
        assert other.get(url).status_code == 404
    assert (
        other.post(reverse("module_complete", args=[enrollment.uuid, "intro"])).status_code == 404
    )
    assert not fresh(enrollment).progress.exists()


@pytest.mark.parametrize("who", ["therapist", "supervisor", "admin", "outsider"])
def test_staff_do_not_use_the_player(personas, login, frozen, who):
    enrollment = enroll(personas)
    client = login(personas.all_users()[who])
    assert client.get(page_url(enrollment)).status_code == 404
    assert client.get(reverse("journey_home")).status_code == 404


def test_malformed_ids_are_404_not_500(personas, patient_client):
    enroll(personas)
    for path in (
        "/journey/not-a-uuid/",
        "/journey/12345/modules/intro/",
        "/journey/00000000-0000-0000-0000-000000000000/",
        "/journey/00000000-0000-0000-0000-000000000000/modules/intro/pages/welcome/",
        "/enrollments/xyz/",
        "/programs/media/not-a-uuid/lake.png",
    ):
        assert patient_client.get(path).status_code == 404, path


def test_an_ended_enrollment_can_be_reread_but_not_changed(personas, patient_client):
    enrollment = enroll(personas)
    services.view_page(
        actor=personas.patient.user,
        enrollment=fresh(enrollment),
        module_key="intro",
        page_id="welcome",
    )
    services.set_status(
        actor=personas.therapist,
        enrollment=fresh(enrollment),
        status="discontinued",
        reason="Moved away.",
    )
    before = Event.objects.count()
    assert patient_client.get(page_url(enrollment)).status_code == 200
    assert patient_client.get(page_url(enrollment, "thoughts", "one")).status_code == 404
    assert (
        patient_client.post(reverse("module_complete", args=[enrollment.uuid, "intro"])).status_code
        == 404
    )
    assert Event.objects.count() == before
    pace = patient_client.get(reverse("journey_pace", args=[enrollment.uuid]))
    assert pace.status_code == 302


def test_finnish_with_english_fallback(personas, login, frozen):
    user = personas.patient.user
    user.language = "fi"
    user.save(update_fields=["language"])
    enrollment = enroll(personas, pacing_policy="all_open")
    client = login(user)
    finnish = client.get(page_url(enrollment)).content.decode()
    assert "Tervetuloa" in finnish
    assert '<article class="card page" lang="fi">' in finnish
    fallback = client.get(page_url(enrollment, "thoughts", "two")).content.decode()
    assert "English text two" in fallback
    assert '<article class="card page" lang="en">' in fallback


def test_exercise_links_follow_the_exercise_url_when_it_exists(personas, patient_client):
    from django.urls import NoReverseMatch

    enrollment = enroll(personas)
    html = patient_client.get(page_url(enrollment)).content.decode()
    try:
        url = reverse(
            "exercise_fill",
            kwargs={
                "enrollment": enrollment.uuid,
                "module": "intro",
                "exercise": "hopes",
            },
        )
    except NoReverseMatch:
        assert "My hopes" in html  # listed, not linked, until the exercise view exists
    else:
        assert f'href="{url}"' in html


# --- query counts --------------------------------------------------------------------------------


def _package(root, modules: int):  # type: ignore[no-untyped-def]
    package = root / f"size{modules}"
    lines = [
        f"code: size{modules}",
        'version: "1.0.0"',
        "languages: [en]",
        "title: {en: Size}",
        "summary: {en: Size.}",
        "condition: {label: {en: Low mood}, icd10: [F32.0]}",
        "default_pacing: {policy: all_open}",
        "sources:",
        '  - citation: "Test source."',
        "modules:",
    ]
    for n in range(1, modules + 1):
        lines.append(f"  - {{id: m{n}, minutes: 10}}")
        directory = package / "modules" / f"{n:02d}-m{n}"
        (directory / "pages").mkdir(parents=True)
        (directory / "module.yaml").write_text(
            f"title: {{en: Module {n}}}\nsummary: {{en: About {n}.}}\n"
            "pages:\n  - {id: p1, title: {en: Page}}\n"
        )
        (directory / "pages" / "p1.en.md").write_text(f"Text {n}.\n")
    (package / "manifest.yaml").write_text("\n".join(lines) + "\n")
    return package


def _overview_queries(personas, login, version) -> int:  # type: ignore[no-untyped-def]
    enrollment = enroll(personas, version=version, pacing_policy="all_open")
    user = personas.patient.user
    for slot in services.slots(enrollment)[:2]:
        services.complete_module(actor=user, enrollment=fresh(enrollment), module_key=slot.key)
    client = login(user)
    url = reverse("journey_program", args=[enrollment.uuid])
    client.get(url)  # warm the per-process package cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    services.set_status(actor=personas.therapist, enrollment=fresh(enrollment), status="completed")
    return len(queries)


def test_overview_queries_do_not_grow_with_modules(personas, login, frozen, tmp_path):
    small = _overview_queries(personas, login, load(_package(tmp_path, 3)))
    large = _overview_queries(personas, login, load(_package(tmp_path, 15)))
    assert small == large


# --- media ---------------------------------------------------------------------------------------


def media_url(enrollment, path="lake.png") -> str:  # type: ignore[no-untyped-def]
    return reverse("program_media", args=[enrollment.version.uuid, path])


@pytest.mark.parametrize("who", ["patient", "therapist", "cover", "supervisor"])
def test_media_for_the_enrolled_patient_and_their_staff(personas, login, frozen, who):
    enrollment = enroll(personas)
    response = login(personas.all_users()[who]).get(media_url(enrollment))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "who",
    [
        "other_patient",
        "other_therapist",
        "former_therapist",
        "admin",
        "researcher",
        "outsider",
        "outsider_supervisor",
    ],
)
def test_media_for_nobody_else(personas, login, frozen, who):
    enrollment = enroll(personas)
    assert login(personas.all_users()[who]).get(media_url(enrollment)).status_code == 404


def test_media_is_rechecked_on_every_download(personas, login, frozen):
    enrollment = enroll(personas)
    client = login(personas.therapist)
    assert client.get(media_url(enrollment)).status_code == 200
    member = personas.patient.care_team.get(therapist=personas.therapist)
    member.ended_at = T0
    member.save(update_fields=["ended_at"])
    assert client.get(media_url(enrollment)).status_code == 404


def test_media_unknown_paths_and_ranges(personas, patient_client):
    enrollment = enroll(personas)
    assert patient_client.get(media_url(enrollment, "nope.png")).status_code == 404
    assert patient_client.get(media_url(enrollment, "../manifest.yaml")).status_code == 404
    partial = patient_client.get(media_url(enrollment), HTTP_RANGE="bytes=0-3")
    assert partial.status_code == 206
    assert partial.content == b"\x89PNG"
    assert partial["Content-Range"].startswith("bytes 0-3/")
    beyond = patient_client.get(media_url(enrollment), HTTP_RANGE="bytes=99999-")
    assert beyond.status_code == 416


def test_media_of_an_added_module_for_its_patient(personas, login, frozen):
    from tests.programs.engine import EXTRAS

    steps = load()
    extras = load(EXTRAS)
    enrollment = enroll(personas, version=load(EXTRAS))
    services.add_module(
        actor=personas.therapist, enrollment=enrollment, version=steps, module_id="intro"
    )
    assert extras.pk == enrollment.version_id
    response = login(personas.patient.user).get(
        reverse("program_media", args=[steps.uuid, "lake.png"])
    )
    assert response.status_code == 200
