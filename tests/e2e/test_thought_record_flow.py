"""Issue 3 in a real browser: a patient on a phone fills a thought record of the depression
program by typing (htmx autosaves the draft), loses the session mid-way (it ends on the
server), goes on typing and presses the button, is asked to sign in, comes back to the
worksheet and finds the draft, completes and submits it (one submission); the therapist
answers it on a desktop and the patient reads the feedback next to their answer. No
request leaves the origin and no page logs an error.

Time: the phone's clock is Playwright's (``page.clock``). It flows as usual, except that
the test stops it twice: after the session ended, so that the button (not an autosave
timer) is what meets the ended session; and while the worksheet is submitted, so that no
autosave runs at the same moment (the live server's threads share one in-memory SQLite
connection)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from tandem.exercises.models import EntryStatus, ExerciseEntry, Feedback
from tandem.programs import catalog
from tandem.programs import services as programs
from tandem.programs.models import ProgramVersion
from tests.e2e.conftest import log_of
from tests.personas import PASSWORD

pytestmark = pytest.mark.e2e

DEPRESSION = Path(settings.CONTENT_DIR) / "programs" / "depression"
MODULE, EXERCISE = "thoughts", "thought-record"  # modules/03-thoughts/module.yaml

SITUATION = "Sunday evening at home. Anna cancelled our dinner with a short text."
EMOTION, INTENSITY = "Sad", "80"
THOUGHTS = "Nobody really wants to spend time with me."
EVIDENCE_FOR = "She cancelled at the last minute."  # typed after the session ended
EVIDENCE_AGAINST = "She asked to meet next week instead."
BALANCED = "Anna is busy; she still wants to see me."
RERATE = "40"
FEEDBACK = "Thank you, Pat. Your balanced thought is fair, and the sadness eased from 80 to 40."


@dataclass
class Watch:
    """What went wrong on a page: failed responses and console errors, except the 404 of
    the browser's own request for /favicon.ico (Tandem declares no icon, so Chromium asks
    for one by itself; that is no error of the page)."""

    failed: list[tuple[int, str]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def _watch(page, origin: str) -> Watch:  # type: ignore[no-untyped-def]
    watch = Watch()
    favicon = origin.rstrip("/") + "/favicon.ico"

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error" and message.location.get("url") != favicon:
            watch.console.append(f"{message.text} ({message.location.get('url')})")

    def on_response(response) -> None:  # type: ignore[no-untyped-def]
        if response.status >= 400:
            watch.failed.append((response.status, response.url))

    page.on("response", on_response)
    page.on("console", on_console)
    return watch


def _assert_clean(page, watch: Watch, origin: str) -> None:  # type: ignore[no-untyped-def]
    log = log_of(page)
    assert not log.foreign_requests(origin), f"requests to another origin: {log.requests}"
    assert not watch.failed, f"failed responses: {watch.failed}"
    assert not watch.console, f"console errors: {watch.console}"
    assert not log.page_errors, f"uncaught script errors: {log.page_errors}"


def _posted(response, autosave_path: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The form data of an autosave POST (empty for any other response)."""
    request = response.request
    if request.method != "POST" or urlsplit(response.url).path != autosave_path:
        return {}
    return parse_qs(request.post_data or "", keep_blank_values=True)


def _autosaved(autosave_path: str, **expected: str):  # type: ignore[no-untyped-def]
    """Predicate: a successful autosave whose form data holds every expected value."""

    def match(response) -> bool:  # type: ignore[no-untyped-def]
        data = _posted(response, autosave_path)
        return response.ok and all(data.get(f"ws-{k}") == [v] for k, v in expected.items())

    return match


def _sign_in_here(page, email: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the login page the browser is on (keeping its ?next=)."""
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form[action^='/account/login/'] button[type=submit]").click()
    assert "/account/login/" not in page.url, f"still on the login page: {page.url}"


def _pause(page) -> None:  # type: ignore[no-untyped-def]
    """Stop the page's clock: no timer fires (no autosave) until ``page.clock.resume()``.

    It stops a second ahead of the page's time, as the clock goes on while this call
    travels (it cannot be moved back); timers due within that second fire once."""
    now_ms = page.evaluate("() => Date.now()")
    page.clock.pause_at(datetime.fromtimestamp(now_ms / 1000 + 1, tz=UTC))


def _settle(page, form) -> None:  # type: ignore[no-untyped-def]
    """Stop the clock and wait until no autosave is on its way (htmx marks the form with
    ``htmx-request`` while its request runs; a queued one starts as the last ends)."""
    _pause(page)
    expect(form).not_to_have_class(re.compile(r"\bhtmx-request\b"))


def test_thought_record_survives_session_loss_and_gets_feedback(
    personas, new_page, sign_in, live_server
):
    origin = live_server.url
    result = catalog.load(DEPRESSION)
    assert result.report.ok, result.report.format()
    version = ProgramVersion.objects.get(program__code="depression", is_current=True)
    enrollment = programs.enroll(
        actor=personas.therapist,
        patient=personas.patient,
        version=version,
        guidance_mode="guided",
        pacing_policy="all_open",
    )
    kwargs = {"enrollment": enrollment.uuid, "module": MODULE, "exercise": EXERCISE}
    fill_path = reverse("exercise_fill", kwargs=kwargs)
    autosave_path = reverse("exercise_autosave", kwargs=kwargs)
    saved = re.compile(r"^Saved \d{1,2}:\d{2}$")

    # --- on a phone, the patient opens the program and its thought record ----------------
    phone = new_page("phone")
    phone.clock.install()  # flows as usual until the test stops it
    phone_watch = _watch(phone, origin)
    sign_in(phone, personas.patient.user.email, totp=False)
    phone.goto(origin + reverse("journey_program", args=[enrollment.uuid]))
    with phone.expect_navigation():
        phone.get_by_role("link", name="Thought record", exact=True).click()
    assert urlsplit(phone.url).path == fill_path, phone.url
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thought record")

    form = phone.locator("form[data-autosave]")
    status = form.locator("#autosave-status")
    situation = form.get_by_label("Situation")
    first_emotion = form.get_by_role("group", name="Emotion 1")
    emotion = first_emotion.get_by_label(re.compile(r"^Emotion"))
    intensity = first_emotion.get_by_label(re.compile(r"^Intensity \("))
    rerate = first_emotion.get_by_label(re.compile(r"^Intensity now"))
    thoughts = form.get_by_label("Automatic thoughts")
    evidence_for = form.get_by_label("Evidence for the thought")
    evidence_against = form.get_by_label("Evidence against the thought")
    balanced = form.get_by_label("A more balanced thought")
    expect(status).to_have_text("Your answers are saved as you type.")

    # --- typing; htmx autosaves the draft as the patient goes ----------------------------
    with phone.expect_response(
        _autosaved(
            autosave_path,
            situation=SITUATION,
            **{"emotions-0-name": EMOTION, "emotions-0-intensity": INTENSITY},
            automatic_thoughts=THOUGHTS,
        )
    ):
        situation.press_sequentially(SITUATION, delay=15)
        emotion.press_sequentially(EMOTION, delay=15)
        intensity.press_sequentially(INTENSITY, delay=15)
        thoughts.press_sequentially(THOUGHTS, delay=15)
    expect(status).to_have_text(saved)
    _settle(phone, form)
    draft = ExerciseEntry.objects.get(enrollment=enrollment)
    assert draft.status == EntryStatus.DRAFT
    assert draft.answers["ws-situation"] == [SITUATION]
    assert draft.answers["ws-emotions-0-intensity"] == [INTENSITY]
    assert draft.answers["ws-automatic_thoughts"] == [THOUGHTS]

    # --- mid-way, the session ends on the server (expired, or signed out elsewhere) ------
    cookie = next(c for c in phone.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    deleted, _ = Session.objects.filter(session_key=cookie["value"]).delete()
    assert deleted == 1

    # The patient goes on typing and presses the button (the clock still stands, so no
    # autosave gets there first) and is asked to sign in, to come back here afterwards.
    sent = len(log_of(phone).requests)
    evidence_for.press_sequentially(EVIDENCE_FOR, delay=15)
    with phone.expect_navigation(url=re.compile(r"/account/login/\?")):
        form.get_by_role("button", name="Save this entry").click()
    phone.clock.resume()
    assert not [url for url in log_of(phone).requests[sent:] if autosave_path in url]
    assert parse_qs(urlsplit(phone.url).query).get("next") == [fill_path], phone.url
    assert not ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).exists()

    # --- signing in again leads back to the worksheet, and the draft is there ------------
    _sign_in_here(phone, personas.patient.user.email)
    assert urlsplit(phone.url).path == fill_path, phone.url
    expect(situation).to_have_value(SITUATION)
    expect(emotion).to_have_value(EMOTION)
    expect(intensity).to_have_value(INTENSITY)
    expect(thoughts).to_have_value(THOUGHTS)
    expect(status).to_have_text(saved)
    # Only what reached the server before the session ended is kept: the words typed
    # afterwards were in the refused request, so the patient writes them again (`fill`
    # replaces whatever the field holds).
    evidence_for.fill(EVIDENCE_FOR)
    form.get_by_label("Mind reading").check()
    with phone.expect_response(
        _autosaved(
            autosave_path,
            evidence_for=EVIDENCE_FOR,
            evidence_against=EVIDENCE_AGAINST,
            balanced_thought=BALANCED,
            **{"emotions-0-rerate": RERATE},
        )
    ):
        evidence_against.press_sequentially(EVIDENCE_AGAINST, delay=15)
        balanced.press_sequentially(BALANCED, delay=15)
        rerate.press_sequentially(RERATE, delay=15)
    expect(status).to_have_text(saved)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390, (
        "the worksheet must not scroll sideways on a phone"
    )
    _settle(phone, form)
    with phone.expect_navigation():
        form.get_by_role("button", name="Save this entry").click()
    phone.clock.resume()

    # One submission, and it is the draft (same entry; no draft left over).
    entry = ExerciseEntry.objects.get(enrollment=enrollment)
    assert entry.pk == draft.pk and entry.status == EntryStatus.SUBMITTED
    assert entry.answers["situation"] == SITUATION
    assert entry.answers["automatic_thoughts"] == THOUGHTS
    assert entry.answers["thinking_patterns"] == ["mind-reading"]
    assert entry.answers["evidence_for"] == EVIDENCE_FOR
    assert entry.answers["evidence_against"] == EVIDENCE_AGAINST
    assert entry.answers["balanced_thought"] == BALANCED
    assert entry.answers["emotions"] == [{"name": EMOTION, "intensity": 80, "rerate": 40}]
    entry_path = reverse("exercise_entry", args=[entry.uuid])
    assert urlsplit(phone.url).path == entry_path, phone.url
    expect(phone.get_by_role("status").filter(has_text="Submitted.")).to_be_visible()
    _assert_clean(phone, phone_watch, origin)

    # --- the therapist answers it on a desktop -------------------------------------------
    desk = new_page("desktop")
    desk_watch = _watch(desk, origin)
    sign_in(desk, personas.therapist.email)  # password and TOTP, through the real forms
    desk.goto(origin + reverse("patient_exercises", args=[personas.patient.uuid]))
    awaiting = desk.get_by_role("region", name=re.compile(r"^Waiting for feedback"))
    expect(awaiting.get_by_role("listitem")).to_have_count(1)
    with desk.expect_navigation():
        awaiting.get_by_role("link", name="Thought record").click()
    assert urlsplit(desk.url).path == entry_path, desk.url
    answer = desk.get_by_role("region", name="Answer")
    expect(answer).to_contain_text(SITUATION)
    expect(answer).to_contain_text("Mind reading")
    expect(answer).to_contain_text(BALANCED)
    desk.get_by_label("Your feedback").fill(FEEDBACK)
    with desk.expect_navigation():
        desk.get_by_role("button", name="Send feedback").click()
    expect(desk.get_by_text("Feedback sent. The patient is notified.")).to_be_visible()
    feedback = Feedback.objects.get(entry=entry)
    assert feedback.author == personas.therapist and feedback.text == FEEDBACK
    assert feedback.seen_by_patient_at is None
    _assert_clean(desk, desk_watch, origin)

    # --- the patient reads the feedback next to their answer -----------------------------
    seen_path = reverse("exercise_feedback_seen", args=[entry.uuid])
    mine = phone.get_by_role("region", name="Your answer")
    from_team = phone.get_by_role("region", name="Feedback from your care team")
    with phone.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == seen_path
    ) as seen:
        phone.reload()
        expect(mine).to_contain_text(SITUATION)
        expect(mine).to_contain_text(EVIDENCE_AGAINST)
        from_team.scroll_into_view_if_needed()  # seen when it has been on the screen
        expect(from_team).to_contain_text(FEEDBACK)
        expect(from_team).to_contain_text(personas.therapist.full_name)
    assert seen.value.status == 204
    feedback.refresh_from_db()
    assert feedback.seen_by_patient_at is not None
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390, (
        "the answer and its feedback must not scroll sideways on a phone"
    )
    assert ExerciseEntry.objects.filter(enrollment=enrollment).count() == 1
    _assert_clean(phone, phone_watch, origin)
