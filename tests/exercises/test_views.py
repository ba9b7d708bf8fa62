"""The worksheet in the browser's terms: fill, autosave, submit, feedback, skip and "this
is hard for me" — with the access rules, bad input and nothing lost."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.auth_events import SESSION_LAST_SEEN
from tandem.core.models import Event
from tandem.exercises.models import EntryStatus, ExerciseEntry, Feedback, HardMoment
from tandem.programs.models import Enrollment, ModuleProgress
from tests.exercises import factories
from tests.exercises.data import EXERCISES, XSS, good, with_payload

pytestmark = pytest.mark.django_db

ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


def fill(enrollment, exercise="reflection", module=factories.MODULE):  # type: ignore[no-untyped-def]
    return factories.url("exercise_fill", enrollment, exercise, module)


def autosave(enrollment, exercise="reflection", module=factories.MODULE):  # type: ignore[no-untyped-def]
    return factories.url("exercise_autosave", enrollment, exercise, module)


def token_of(html: str) -> str:
    match = re.search(r'name="token" id="exercise-token" value="([0-9a-f-]+)"', html)
    assert match, "the worksheet has no token"
    return match.group(1)


class Inputs(HTMLParser):
    """Visible form controls and the ids that a <label for> points at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.in_label: list[bool] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a.get("id") or f"<{tag} name={a.get('name')} without id>")


# --- rendering and labels --------------------------------------------------------------------


@pytest.mark.parametrize("exercise", sorted(EXERCISES))
def test_every_worksheet_renders_with_a_label_on_every_input(exercise, enrollment, patient_client):
    response = patient_client.get(fill(enrollment, exercise))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-post="' + autosave(enrollment, exercise) + '"' in html
    assert "input changed delay:1500ms" in html
    assert "exercises/autosave.js" in html
    parser = Inputs()
    parser.feed(html)
    unlabelled = [c for c in parser.controls if c not in parser.labelled]
    assert not unlabelled, f"inputs without a label: {unlabelled}"
    assert "<fieldset" in html and "<legend" in html
    assert not ExerciseEntry.objects.exists()  # GET changes nothing


@pytest.mark.parametrize("exercise", sorted(EXERCISES))
def test_submit_then_patient_and_therapist_see_the_answer_escaped(
    exercise,
    personas,
    enrollment,
    patient_client,
    login,
):
    response = patient_client.post(
        fill(enrollment, exercise), {**with_payload(exercise), "token": str(uuid.uuid4())}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = ExerciseEntry.objects.get(status=EntryStatus.SUBMITTED)
    assert response["Location"] == reverse("exercise_entry", args=[entry.uuid])
    for client in (patient_client, login(personas.therapist), login(personas.supervisor)):
        html = client.get(response["Location"]).content.decode()
        assert ESCAPED in html
        assert XSS not in html
    html = (
        login(personas.therapist)
        .get(reverse("patient_exercises", args=[personas.patient.uuid]))
        .content.decode()
    )
    assert XSS not in html
    assert "<script>alert" not in html


# --- autosave and drafts ---------------------------------------------------------------------


def test_autosave_creates_then_updates_one_draft(enrollment, patient_client):
    response = patient_client.post(
        autosave(enrollment), {"ws-matters": "first", "token": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved" in html and 'hx-swap-oob="true"' in html
    token = token_of(html)
    patient_client.post(autosave(enrollment), {"ws-matters": "second", "token": token})
    drafts = ExerciseEntry.objects.filter(status=EntryStatus.DRAFT)
    assert drafts.count() == 1
    draft = drafts.get()
    assert draft.answers == {"ws-matters": ["second"]}
    assert str(draft.submission_token) == token
    # the worksheet comes back as typed, with the draft's token
    html = patient_client.get(fill(enrollment)).content.decode()
    assert "second</textarea>" in html
    assert token_of(html) == token


def test_a_second_device_continues_the_same_draft(personas, enrollment, login):
    phone, laptop = login(personas.patient.user), login(personas.patient.user)
    phone.post(autosave(enrollment), {"ws-matters": "typed on the phone", "token": ""})
    html = laptop.get(fill(enrollment)).content.decode()
    assert "typed on the phone" in html
    laptop.post(
        autosave(enrollment), {"ws-matters": "continued on the laptop", "token": token_of(html)}
    )
    assert ExerciseEntry.objects.filter(status=EntryStatus.DRAFT).count() == 1


def test_draft_survives_logout(personas, enrollment, login):
    client = login(personas.patient.user)
    client.post(autosave(enrollment), {"ws-matters": "before logout", "token": ""})
    client.post(reverse("account_logout"))
    assert client.get(fill(enrollment)).status_code == 302
    again = login(personas.patient.user, Client())
    assert "before logout" in again.get(fill(enrollment)).content.decode()


def test_autosave_after_session_expiry_redirects_to_login_and_keeps_the_draft(
    personas,
    enrollment,
    login,
):
    client = login(personas.patient.user)
    client.post(autosave(enrollment), {"ws-matters": "saved while typing", "token": ""})
    session = client.session
    session[SESSION_LAST_SEEN] = timezone.now().timestamp() - 31 * 60
    session.save()
    response = client.post(
        autosave(enrollment), {"ws-matters": "after expiry", "token": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert "/account/login/" in response["HX-Redirect"]
    # The way back leads to the worksheet, and what was typed after expiry is kept.
    assert "next=" + quote(fill(enrollment), safe="") in response["HX-Redirect"]
    # Once signed out, a beacon and the submit button get a plain redirect; never a 500.
    assert client.post(autosave(enrollment), {"ws-matters": "x"}).status_code == 302
    assert client.post(fill(enrollment), {"ws-matters": "x"}).status_code == 302
    again = login(personas.patient.user, Client())
    html = again.get(fill(enrollment)).content.decode()
    assert "after expiry" in html
    assert not ExerciseEntry.objects.filter(status="submitted").exists()


def test_submit_into_an_expired_session_keeps_the_text_and_comes_back(personas, enrollment, login):
    client = login(personas.patient.user)
    session = client.session
    session[SESSION_LAST_SEEN] = timezone.now().timestamp() - 31 * 60
    session.save()
    response = client.post(fill(enrollment), {"ws-matters": "typed before pressing submit"})
    assert response.status_code == 302
    assert response["Location"].endswith("?next=" + quote(fill(enrollment), safe=""))
    again = login(personas.patient.user, Client())
    assert "typed before pressing submit" in again.get(fill(enrollment)).content.decode()
    assert not ExerciseEntry.objects.filter(status="submitted").exists()  # only a draft


def test_expired_session_without_a_valid_csrf_token_keeps_nothing(personas, enrollment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        personas.patient.user, backend="allauth.account.auth_backends.AuthenticationBackend"
    )
    session = client.session
    session[SESSION_LAST_SEEN] = timezone.now().timestamp() - 31 * 60
    session.save()
    response = client.post(fill(enrollment), {"ws-matters": "forged"})
    assert response.status_code == 302
    assert not ExerciseEntry.objects.exists()


def test_invalid_submission_is_kept_as_the_draft(enrollment, patient_client):
    response = patient_client.post(
        fill(enrollment), {"ws-matters": "", "ws-notice": "noticed", "token": str(uuid.uuid4())}
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    draft = ExerciseEntry.objects.get()
    assert draft.status == EntryStatus.DRAFT
    assert draft.answers["ws-notice"] == ["noticed"]


def test_draft_saved_event_at_most_once_an_hour(personas, enrollment, login):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = login(personas.patient.user)
        for text in ("a", "ab", "abc"):
            client.post(autosave(enrollment), {"ws-matters": text})
    assert Event.objects.filter(kind="exercise.draft_saved").count() == 1
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        login(personas.patient.user).post(autosave(enrollment), {"ws-matters": "abc!"})
    assert Event.objects.filter(kind="exercise.draft_saved").count() == 1
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        login(personas.patient.user).post(autosave(enrollment), {"ws-matters": "abcd"})
    assert Event.objects.filter(kind="exercise.draft_saved").count() == 2
    enrollment.refresh_from_db()
    assert enrollment.last_activity_at is not None


# --- submitting ------------------------------------------------------------------------------


def test_double_submit_creates_one_submission(enrollment, patient_client):
    html = patient_client.get(fill(enrollment)).content.decode()
    data = {**good("reflection"), "token": token_of(html)}
    first = patient_client.post(fill(enrollment), data)
    second = patient_client.post(fill(enrollment), data)  # double click / back button
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).count() == 1
    # another tab with its own token: still one submission of a non-repeatable exercise
    third = patient_client.post(fill(enrollment), {**data, "token": str(uuid.uuid4())})
    assert third["Location"] == first["Location"]
    assert ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).count() == 1
    enrollment.refresh_from_db()
    assert enrollment.exercises_submitted == 1
    assert enrollment.exercises_awaiting_feedback == 1
    assert Event.objects.filter(kind="exercise.submitted").count() == 1
    # a late autosave of the submitted worksheet stores nothing
    late = patient_client.post(autosave(enrollment), {"ws-matters": "late", "token": data["token"]})
    assert "submitted already" in late.content.decode()
    assert not ExerciseEntry.objects.filter(status=EntryStatus.DRAFT).exists()


def test_the_draft_becomes_the_submission(enrollment, patient_client):
    patient_client.post(autosave(enrollment), {"ws-matters": "draft"})
    draft = ExerciseEntry.objects.get()
    patient_client.post(
        fill(enrollment), {**good("reflection"), "token": str(draft.submission_token)}
    )
    entry = ExerciseEntry.objects.get()
    assert entry.pk == draft.pk and entry.status == EntryStatus.SUBMITTED
    assert entry.answers == {"responses": {"matters": "My family", "notice": ""}}


def test_repeatable_exercise_takes_many_entries_one_per_token(enrollment, patient_client):
    for day in ("2026-01-05T20:00", "2026-01-06T20:00"):
        data = {**good("mood-diary", **{"ws-when": day}), "token": str(uuid.uuid4())}
        patient_client.post(fill(enrollment, "mood-diary"), data)
        patient_client.post(fill(enrollment, "mood-diary"), data)
    assert ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).count() == 2
    html = patient_client.get(fill(enrollment, "mood-diary")).content.decode()
    assert "Your earlier entries" in html and "<form" in html


def test_a_non_repeatable_exercise_can_be_revised(enrollment, patient_client):
    first = factories.submitted(enrollment, "reflection", {"responses": {"matters": "v1"}})
    html = patient_client.get(fill(enrollment)).content.decode()
    assert "Change your answers" in html and 'id="exercise-token"' not in html
    html = patient_client.get(fill(enrollment) + "?revise=1").content.decode()
    assert "v1</textarea>" in html and f'value="{first.uuid}"' in html
    data = {
        **good("reflection", **{"ws-matters": "v2"}),
        "token": token_of(html),
        "revision_of": str(first.uuid),
    }
    patient_client.post(fill(enrollment), data)
    patient_client.post(fill(enrollment), data)
    assert ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).count() == 2


def test_oversized_field_is_refused_and_nothing_is_stored(enrollment, patient_client):
    big = "x" * 60_000
    response = patient_client.post(
        fill(enrollment), {"ws-matters": "ok", "ws-notice": big, "token": str(uuid.uuid4())}
    )
    assert response.status_code == 200
    assert not ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).exists()
    assert not ExerciseEntry.objects.exists()  # not even a partial draft
    response = patient_client.post(autosave(enrollment), {"ws-matters": "ok", "ws-notice": big})
    assert response.status_code == 200
    assert "longer than 50 kB" in response.content.decode()
    assert not ExerciseEntry.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"ws-when": "2026-01-05T20:00", "ws-mood": "140"},
        {"ws-when": ["a", "b"], "ws-mood": {"x": 1}},
        {"ws-hours": "NaN", "ws-mood": "5", "ws-when": "2026-01-05T20:00"},
        {"ws-mood": "5", "ws-when": "\x00"},
    ],
)
def test_wrong_types_and_ranges_are_field_errors_never_500(data, enrollment, patient_client):
    response = patient_client.post(fill(enrollment, "mood-diary"), {**data, "token": "nope"})
    assert response.status_code == 200
    assert not ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).exists()


# --- access -----------------------------------------------------------------------------------


def test_locked_module_is_404_until_it_opens(personas, enrollment, patient_client):
    for url in (fill(enrollment, "later-reflection", factories.LATER),):
        assert patient_client.get(url).status_code == 404
        assert patient_client.post(url, {"ws-what": "x"}).status_code == 404
    assert (
        patient_client.post(
            autosave(enrollment, "later-reflection", factories.LATER), {"ws-what": "x"}
        ).status_code
        == 404
    )
    assert not ExerciseEntry.objects.exists()
    ModuleProgress.objects.create(
        enrollment=enrollment,
        version=enrollment.version,
        module_key=factories.MODULE,
        completed_at=timezone.now(),
    )
    assert (
        patient_client.get(fill(enrollment, "later-reflection", factories.LATER)).status_code == 200
    )


def test_unknown_module_or_exercise_is_404(enrollment, patient_client):
    assert patient_client.get(fill(enrollment, "nope")).status_code == 404
    assert patient_client.get(fill(enrollment, "reflection", "nope")).status_code == 404


def test_another_patients_enrollment_and_entries_are_404(personas, enrollment, login):
    entry = factories.submitted(enrollment, "reflection", {"responses": {"matters": "mine"}})
    intruder = login(personas.other_patient.user)
    assert intruder.get(fill(enrollment)).status_code == 404
    assert intruder.post(autosave(enrollment), {"ws-matters": "x"}).status_code == 404
    assert intruder.post(fill(enrollment), good("reflection")).status_code == 404
    for user in (
        personas.other_patient.user,
        personas.other_therapist,
        personas.outsider,
        personas.former_therapist,
        personas.outsider_supervisor,
        personas.admin,
    ):
        assert login(user).get(reverse("exercise_entry", args=[entry.uuid])).status_code == 404
    assert ExerciseEntry.objects.count() == 1


def test_staff_never_see_drafts(personas, enrollment, patient_client, login):
    patient_client.post(autosave(enrollment), {"ws-matters": "private draft"})
    draft = ExerciseEntry.objects.get()
    url = reverse("exercise_entry", args=[draft.uuid])
    assert login(personas.therapist).get(url).status_code == 404
    assert patient_client.get(url).status_code == 302  # the patient goes to the worksheet
    html = (
        login(personas.therapist)
        .get(reverse("patient_exercises", args=[personas.patient.uuid]))
        .content.decode()
    )
    assert "private draft" not in html


# --- feedback ---------------------------------------------------------------------------------


def test_feedback_only_by_the_care_team(personas, enrollment, login):
    entry = factories.submitted(enrollment, "reflection", {"responses": {"matters": "x"}})
    url = reverse("exercise_feedback", args=[entry.uuid])
    for user in (
        personas.supervisor,
        personas.other_therapist,
        personas.outsider,
        personas.former_therapist,
        personas.patient.user,
        personas.admin,
    ):
        assert login(user).post(url, {"text": "hello"}).status_code == 404
    assert not Feedback.objects.exists()
    # the supervisor reads the entry but gets no feedback form
    html = (
        login(personas.supervisor)
        .get(reverse("exercise_entry", args=[entry.uuid]))
        .content.decode()
    )
    assert "Send feedback" not in html
    assert login(personas.cover).post(url, {"text": "From cover"}).status_code == 302
    assert Feedback.objects.count() == 1


def test_feedback_flow(personas, enrollment, patient_client, login):
    entry = factories.submitted(enrollment, "reflection", {"responses": {"matters": "x"}})
    therapist = login(personas.therapist)
    entry_url = reverse("exercise_entry", args=[entry.uuid])
    html = therapist.get(entry_url + "?template=thanks").content.decode()
    assert "Thank you for writing this, Pat. — Theo Therapist</textarea>" in html
    assert (
        therapist.post(reverse("exercise_feedback", args=[entry.uuid]), {"text": ""}).status_code
        == 200
    )  # required
    response = therapist.post(
        reverse("exercise_feedback", args=[entry.uuid]),
        {"text": f"Well done {XSS}", "template": "thanks"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.feedback_at is not None
    enrollment.refresh_from_db()
    assert enrollment.exercises_awaiting_feedback == 0
    assert enrollment.exercises_submitted == 1
    progress = ModuleProgress.objects.get(enrollment=enrollment, module_key=factories.MODULE)
    assert progress.feedback_at is not None
    assert Event.objects.filter(kind="exercise.feedback_given").count() == 1
    html = patient_client.get(entry_url).content.decode()
    assert "Well done" in html and ESCAPED in html and XSS not in html
    assert reverse("exercise_feedback_seen", args=[entry.uuid]) in html
    assert (
        patient_client.post(reverse("exercise_feedback_seen", args=[entry.uuid])).status_code == 204
    )
    assert Feedback.objects.get().seen_by_patient_at is not None
    assert "read by the patient" in therapist.get(entry_url).content.decode()


def test_feedback_on_a_diary_answers_the_whole_series(personas, enrollment, login):
    entries = [
        factories.submitted(enrollment, "mood-diary", {"values": {"mood": m}}) for m in (3, 4, 5)
    ]
    enrollment.refresh_from_db()
    assert enrollment.exercises_awaiting_feedback == 3
    login(personas.therapist).post(
        reverse("exercise_feedback", args=[entries[1].uuid]), {"text": "Thanks for the diary"}
    )
    enrollment.refresh_from_db()
    assert enrollment.exercises_awaiting_feedback == 1
    assert [e.feedback_at is not None for e in ExerciseEntry.objects.order_by("submitted_at")] == [
        True,
        True,
        False,
    ]


# --- skip and "this is hard" ------------------------------------------------------------------


def test_skip_an_optional_exercise_with_a_reason(personas, enrollment, patient_client, login):
    url = factories.url("exercise_skip", enrollment, "checklist")
    assert patient_client.post(url, {"reason_code": "other"}).status_code == 200  # say why
    response = patient_client.post(url, {"reason_code": "other", "reason": "Not for me"})
    assert response.status_code == 302
    entry = ExerciseEntry.objects.get()
    assert entry.status == EntryStatus.SKIPPED and entry.skip_reason == "Not for me"
    html = (
        login(personas.therapist)
        .get(reverse("patient_exercises", args=[personas.patient.uuid]))
        .content.decode()
    )
    assert "Another reason" in html
    # a required exercise cannot be skipped
    assert (
        patient_client.post(
            factories.url("exercise_skip", enrollment, "reflection"), {"reason_code": "no_time"}
        ).status_code
        == 404
    )


def test_this_is_hard_for_me(personas, enrollment, patient_client, login):
    url = factories.url("exercise_hard", enrollment, "reflection")
    assert patient_client.post(url, {"distress": "140"}).status_code == 200
    assert not HardMoment.objects.exists()
    patient_client.post(autosave(enrollment), {"ws-matters": "half"})
    response = patient_client.post(url, {"distress": "8", "note": f"stuck {XSS}"})
    assert response.status_code == 302 and response["Location"].endswith("#hard")
    moment = HardMoment.objects.get()
    assert moment.distress == 8 and moment.entry is not None
    assert moment.answer_due_on > timezone.localdate()
    assert Event.objects.get(kind="exercise.hard_reported").data["distress"] == 8
    html = patient_client.get(fill(enrollment)).content.decode()
    assert "Not seen yet" in html
    assert "within 2 working days" in html
    assert "count to four" in html and "112" in html
    therapist = login(personas.therapist)
    listing = therapist.get(reverse("patient_exercises", args=[personas.patient.uuid]))
    assert ESCAPED in listing.content.decode() and XSS not in listing.content.decode()
    seen_url = reverse("exercise_hard_seen", args=[moment.uuid])
    assert login(personas.supervisor).post(seen_url).status_code == 404
    assert therapist.post(seen_url).status_code == 302
    moment.refresh_from_db()
    assert moment.seen_by == personas.therapist
    assert (
        "Theo Therapist saw your message" in patient_client.get(fill(enrollment)).content.decode()
    )
    assert Event.objects.filter(kind="exercise.hard_seen").count() == 1


def test_an_ended_program_is_read_only(enrollment, patient_client):
    factories.submitted(enrollment, "reflection", {"responses": {"matters": "kept"}})
    Enrollment.objects.filter(pk=enrollment.pk).update(status="discontinued")
    ModuleProgress.objects.create(
        enrollment=enrollment,
        version=enrollment.version,
        module_key=factories.MODULE,
        opened_at=timezone.now(),
    )
    html = patient_client.get(fill(enrollment)).content.decode()
    assert "kept" in html and "This program has ended" in html
    assert patient_client.post(fill(enrollment), good("reflection")).status_code == 404
    assert patient_client.post(autosave(enrollment), {"ws-matters": "x"}).status_code == 404


def test_add_a_row_keeps_the_draft_and_shows_one_more_row(enrollment, patient_client):
    url = fill(enrollment, "thought-record")
    html = patient_client.get(url).content.decode()
    assert html.count('<fieldset class="row">') == 3
    assert 'name="more" value="ws-emotions"' in html
    response = patient_client.post(
        url,
        {
            "ws-situation": "kept",
            "ws-emotions-TOTAL_FORMS": "3",
            "more": "ws-emotions",
            "token": token_of(html),
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#ws-emotions")
    html = patient_client.get(url).content.decode()
    assert html.count('<fieldset class="row">') == 4
    assert "kept</textarea>" in html
    assert not ExerciseEntry.objects.filter(status=EntryStatus.SUBMITTED).exists()
