"""What happened since the last session, read from the event stream: modules completed,
exercises submitted (with short excerpts of the patient's answers), score changes, the
mood trend of check-ins, messages, homework done and not done, and safety alerts.

One digest costs a constant number of queries whatever the number of events: the events
of the window, the exercise entries they name, the homework, the open alerts and the
conversation (plus one for modules added from other programs). Answers are decrypted in
memory only; nothing of them is written anywhere.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from tandem.blended.models import Appointment, AppointmentStatus, Homework
from tandem.blended.services.common import now_or
from tandem.blended.services.describe import instrument_name, modules_of, title
from tandem.core.models import Event
from tandem.programs.content import Module
from tandem.programs.models import Enrollment

KINDS = (
    "module.completed",
    "exercise.submitted",
    "exercise.skipped",
    "questionnaire.completed",
    "score.reliable_change",
    "checkin.recorded",
    "message.sent",
    "alert.raised",
)
EXCERPT_CHARS = 140
EXCERPTS = 3


@dataclass(frozen=True)
class ModuleDone:
    key: str
    title: str
    at: datetime


@dataclass(frozen=True)
class ExerciseDone:
    entry_uuid: Any
    title: str
    module_title: str
    at: datetime
    excerpts: tuple[str, ...]
    awaiting_feedback: bool


@dataclass(frozen=True)
class ScoreChange:
    code: str
    name: str
    first: float | None
    last: float | None
    band: str
    change: str  # improved | deteriorated | "" (no reliable change)
    count: int
    at: datetime


@dataclass(frozen=True)
class MoodTrend:
    count: int
    first: int
    last: int
    average: float
    lowest: int
    highest: int

    @property
    def direction(self) -> str:
        if self.count < 2 or abs(self.last - self.first) < 2:
            return "steady"
        return "up" if self.last > self.first else "down"


@dataclass(frozen=True)
class MessageFacts:
    from_patient: int
    from_team: int
    unanswered_since: datetime | None


@dataclass(frozen=True)
class HomeworkLine:
    homework: Homework
    title: str
    state: str  # done | not_done | open


@dataclass
class Digest:
    enrollment: Enrollment
    since: datetime
    until: datetime
    previous: Appointment | None
    modules: list[ModuleDone] = field(default_factory=list)
    exercises: list[ExerciseDone] = field(default_factory=list)
    skipped: int = 0
    scores: list[ScoreChange] = field(default_factory=list)
    mood: MoodTrend | None = None
    messages: MessageFacts | None = None
    homework: list[HomeworkLine] = field(default_factory=list)
    alerts_open: list[Any] = field(default_factory=list)
    alerts_raised: int = 0
    events: int = 0

    @property
    def homework_done(self) -> list[HomeworkLine]:
        return [h for h in self.homework if h.state == "done"]

    @property
    def homework_not_done(self) -> list[HomeworkLine]:
        return [h for h in self.homework if h.state == "not_done"]

    @property
    def homework_open(self) -> list[HomeworkLine]:
        return [h for h in self.homework if h.state == "open"]

    @property
    def is_quiet(self) -> bool:
        return not (
            self.modules
            or self.exercises
            or self.scores
            or self.mood
            or (self.messages and (self.messages.from_patient or self.messages.from_team))
            or self.homework
            or self.alerts_open
        )


def excerpts(answers: Any, *, limit: int = EXCERPTS, chars: int = EXCERPT_CHARS) -> tuple[str, ...]:
    """The patient's own words from a worksheet, shortened: free-text values only (not
    codes, dates or numbers), in the worksheet's order."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if len(found) >= limit:
            return
        if isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            text = " ".join(value.split())
            if len(text) >= 12 and " " in text and text not in found:
                found.append(text if len(text) <= chars else text[: chars - 1].rstrip() + "…")

    walk(answers)
    return tuple(found)


def since_for(enrollment: Enrollment, previous: Appointment | None) -> datetime:
    return previous.starts_at if previous is not None else enrollment.started_at


def last_attended(enrollment: Enrollment, before: datetime) -> Appointment | None:
    return (
        Appointment.objects.filter(
            enrollment=enrollment, status=AppointmentStatus.ATTENDED, starts_at__lt=before
        )
        .order_by("-starts_at")
        .first()
    )


def build(
    *,
    enrollment: Enrollment,
    until: datetime | None = None,
    previous: Appointment | None = None,
    find_previous: bool = True,
    lang: str = "en",
    modules: Mapping[str, Module] | None = None,
) -> Digest:
    """The digest of ``enrollment`` from its last attended session before ``until`` (or
    its start) to ``until`` (now by default)."""
    until = now_or(until)
    if previous is None and find_previous:
        previous = last_attended(enrollment, until)
    since = since_for(enrollment, previous)
    digest = Digest(enrollment=enrollment, since=since, until=until, previous=previous)
    modules = modules if modules is not None else modules_of(enrollment)
    rows = list(
        Event.objects.filter(
            patient_id=enrollment.patient_id,
            kind__in=KINDS,
            occurred_at__gte=since,
            occurred_at__lt=until,
        )
        .only("kind", "occurred_at", "data", "ref_uuid", "ref_type")
        .order_by("occurred_at", "id")
    )
    digest.events = len(rows)
    _modules(digest, rows, modules, lang)
    _exercises(digest, rows, lang)
    _scores(digest, rows)
    _mood(digest, rows)
    _messages(digest, rows, enrollment)
    _homework(digest, enrollment, since, until, modules, lang)
    _alerts(digest, rows, enrollment)
    return digest


def _modules(
    digest: Digest, rows: Iterable[Event], modules: Mapping[str, Module], lang: str
) -> None:
    seen = set()
    for event in rows:
        if event.kind != "module.completed":
            continue
        key = str((event.data or {}).get("module", ""))
        if key in seen:
            continue
        seen.add(key)
        module = modules.get(key)
        digest.modules.append(
            ModuleDone(key, module.title.text(lang) if module else key, event.occurred_at)
        )


def _exercises(digest: Digest, rows: Iterable[Event], lang: str) -> None:
    from tandem.exercises.models import ExerciseEntry

    submitted = [e for e in rows if e.kind == "exercise.submitted"]
    digest.skipped = sum(1 for e in rows if e.kind == "exercise.skipped")
    keys = [e.ref_uuid for e in submitted if e.ref_uuid is not None]
    if not keys:
        return
    entries = {
        entry.uuid: entry
        for entry in ExerciseEntry.objects.filter(
            uuid__in=keys, enrollment_id=digest.enrollment.pk
        ).select_related("version")
    }
    for event in submitted:
        entry = entries.get(event.ref_uuid)
        if entry is None:
            continue
        program = entry.version.package.program
        module = program.module(entry.module_key)
        exercise = module.exercise(entry.exercise_key) if module else None
        digest.exercises.append(
            ExerciseDone(
                entry.uuid,
                exercise.title.text(lang) if exercise else entry.exercise_key,
                module.title.text(lang) if module else entry.module_key,
                event.occurred_at,
                excerpts(entry.answers),
                entry.awaiting_feedback,
            )
        )


def _scores(digest: Digest, rows: Iterable[Event]) -> None:
    by_code: OrderedDict[str, list[Event]] = OrderedDict()
    reliable: dict[str, str] = {}
    for event in rows:
        data = event.data or {}
        if event.kind == "questionnaire.completed":
            by_code.setdefault(str(data.get("code", "")), []).append(event)
        elif event.kind == "score.reliable_change":
            reliable[str(data.get("code", ""))] = str(data.get("change", ""))
    for code, events in by_code.items():
        first, last = events[0].data or {}, events[-1].data or {}
        digest.scores.append(
            ScoreChange(
                code=code,
                name=instrument_name(code),
                first=first.get("total"),
                last=last.get("total"),
                band=str(last.get("band", "")),
                change=reliable.get(code, "")
                or (
                    str(last.get("change", ""))
                    if last.get("change") in ("improved", "deteriorated")
                    else ""
                ),
                count=len(events),
                at=events[-1].occurred_at,
            )
        )


def _mood(digest: Digest, rows: Iterable[Event]) -> None:
    moods = [
        int(m)
        for e in rows
        if e.kind == "checkin.recorded"
        and isinstance((m := (e.data or {}).get("mood")), int | float)
    ]
    if moods:
        digest.mood = MoodTrend(
            count=len(moods),
            first=moods[0],
            last=moods[-1],
            average=round(sum(moods) / len(moods), 1),
            lowest=min(moods),
            highest=max(moods),
        )


def _messages(digest: Digest, rows: Iterable[Event], enrollment: Enrollment) -> None:
    from tandem.messaging.models import Conversation, Direction

    sent = [e for e in rows if e.kind == "message.sent"]
    waiting = (
        Conversation.objects.filter(enrollment=enrollment)
        .values_list("awaiting_reply_since", flat=True)
        .first()
    )
    digest.messages = MessageFacts(
        from_patient=sum(
            1 for e in sent if (e.data or {}).get("direction") == Direction.PATIENT_TO_TEAM
        ),
        from_team=sum(
            1 for e in sent if (e.data or {}).get("direction") == Direction.TEAM_TO_PATIENT
        ),
        unanswered_since=waiting,
    )


def _homework(
    digest: Digest,
    enrollment: Enrollment,
    since: datetime,
    until: datetime,
    modules: Mapping[str, Module],
    lang: str,
) -> None:
    """Homework in play since the last session: given since then, or still open from
    before. Done (by ``until``), not done (due by ``until``) or still open."""
    rows = (
        Homework.objects.current()
        .filter(enrollment=enrollment, assigned_at__lt=until)
        .filter(
            Q(assigned_at__gte=since) | Q(completed_at__isnull=True) | Q(completed_at__gte=since)
        )
        .order_by("due_at", "id")
    )
    for homework in rows:
        if homework.completed_at is not None and homework.completed_at <= until:
            state = "done"
        elif homework.due_at <= until:
            state = "not_done"
        else:
            state = "open"
        digest.homework.append(
            HomeworkLine(homework, title(homework, lang=lang, modules=modules), state)
        )


def _alerts(digest: Digest, rows: Iterable[Event], enrollment: Enrollment) -> None:
    from tandem.safety.models import Alert

    digest.alerts_raised = sum(1 for e in rows if e.kind == "alert.raised")
    digest.alerts_open = list(
        Alert.objects.filter(patient_id=enrollment.patient_id)
        .open()
        .order_by("raised_at", "pk")[:10]
    )


def mood_label(trend: MoodTrend) -> str:
    return {
        "up": _("rising"),
        "down": _("falling"),
        "steady": _("steady"),
    }[trend.direction]
