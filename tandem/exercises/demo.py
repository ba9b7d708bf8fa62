"""Demo exercises for `make run` (after the programs demo, which enrolls
patient@example.org in the depression program with modules 1–2 done).

Pia has submissions with feedback and some awaiting it, a mood diary of about ten
entries, a thought record in progress (a draft) and one "this is hard" moment. Every
answer goes through its worksheet's validation and the services, with past times, so
events and counters are real. Without that enrollment the demo is skipped.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from tandem.accounts.models import User
from tandem.exercises import services
from tandem.exercises.content import ExerciseRef, resolve
from tandem.exercises.models import ExerciseEntry
from tandem.exercises.types import worksheet_class
from tandem.exercises.types.base import PREFIX
from tandem.programs.content import Exercise
from tandem.programs.models import Enrollment

logger = logging.getLogger(__name__)

PATIENT = "patient@example.org"
THERAPIST = "therapist@example.org"
MOODS = [3, 4, 3, 5, 4, 6, 5, 6, 7, 6]
TEXTS = [
    "Mostly I stay in bed longer and cancel plans with friends.",
    "I would go swimming again and call my sister more often.",
    "Walking the dog in the morning and talking to my sister.",
    "Sunday evening: I thought the week would go wrong. I felt heavy and tired, "
    "stayed on the sofa and my shoulders were tense.",
]


def _put(data: dict[str, list[str]], key: str, value: Any) -> None:
    data[f"{PREFIX}-{key}"] = [str(value)]


def _rows(data: dict[str, list[str]], name: str, rows: list[dict[str, Any]]) -> None:
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is not None:
                _put(data, f"{name}-{index}-{key}", value)


def sample(exercise: Exercise, when: datetime, n: int = 0) -> dict[str, list[str]]:
    """Plausible worksheet form data for any exercise type (demo only)."""
    config: Any = exercise.config
    data: dict[str, list[str]] = {}
    day = when.date()
    if exercise.type == "reflection":
        for index, prompt in enumerate(config.prompts):
            _put(data, prompt.id, TEXTS[index % len(TEXTS)])
    elif exercise.type == "goals":
        _rows(
            data,
            "goals",
            [
                {
                    "goal": "Walk 15 minutes on three mornings a week",
                    "specific": "Round the park before breakfast",
                    "measurable": "Tick it in my calendar",
                    "achievable": "I used to walk every day",
                    "relevant": "I feel clearer after walking",
                    "deadline": (day + timedelta(days=28)).isoformat(),
                    "progress": 20,
                },
                {"goal": "Call my sister once a week", "progress": 50},
            ][: config.max_goals],
        )
    elif exercise.type == "diary":
        for spec in config.fields:
            if spec.kind == "time":
                stamp = timezone.localtime(when)
                _put(
                    data,
                    spec.id,
                    stamp.strftime("%Y-%m-%dT%H:%M" if spec.include_date else "%H:%M"),
                )
            elif spec.kind == "scale":
                low, high = int(spec.min or 0), int(spec.max or 10)
                _put(data, spec.id, min(high, max(low, MOODS[n % len(MOODS)])))
            elif spec.kind == "number":
                low = spec.min if spec.min is not None else 0
                high = spec.max if spec.max is not None else low + 10
                step = spec.step or 1
                target = low + (high - low) * (0.28 + 0.03 * (n % 3))
                value = min(high, low + step * round((target - low) / step))
                _put(data, spec.id, f"{value:g}")
            elif spec.kind == "choice" and spec.choices:
                _put(data, spec.id, spec.choices[n % len(spec.choices)].id)
            elif spec.kind == "text":
                _put(data, spec.id, ["work, walk", "sofa, TV", "met a friend"][n % 3])
    elif exercise.type == "card_sort":
        counts = {pile.id: 0 for pile in config.piles}
        for index, card in enumerate(config.cards):
            for pile in config.piles[index % len(config.piles) :] + config.piles:
                if pile.max_cards is None or counts[pile.id] < pile.max_cards:
                    counts[pile.id] += 1
                    _put(data, f"card__{card.id}", pile.id)
                    break
    elif exercise.type == "activity_plan":
        names = [s.text("en") for s in config.suggestions] or ["Walk", "Call a friend"]
        _rows(
            data,
            "activities",
            [
                {
                    "day": (day + timedelta(days=i)).isoformat(),
                    "activity": names[i % len(names)],
                    "done": "on" if i % 3 != 2 else None,
                    **({r: (4 + i) % 10 for r in config.ratings} if i % 3 != 2 else {}),
                }
                for i in range(5)
            ],
        )
    elif exercise.type == "thought_record":
        _put(data, "situation", "My colleague did not answer my message.")
        _put(data, "automatic_thoughts", "She is annoyed with me. I always mess things up.")
        _put(data, "evidence_for", "She answered others.")
        _put(data, "evidence_against", "She is busy with a deadline; she was friendly yesterday.")
        _put(data, "balanced_thought", "She is probably busy; I can ask her tomorrow.")
        if config.thinking_patterns:
            data[f"{PREFIX}-thinking_patterns"] = [p.id for p in config.thinking_patterns[:2]]
        _rows(
            data,
            "emotions",
            [
                {"name": "Sad", "intensity": 70, "rerate": 40},
                {"name": "Anxious", "intensity": 50, "rerate": 30},
            ],
        )
    elif exercise.type == "checklist":
        half = max(1, len(config.items) // 2)
        data[f"{PREFIX}-checked"] = [item.id for item in config.items[:half]]
    elif exercise.type == "exposure_ladder":
        _rows(
            data,
            "steps",
            [
                {"situation": "Say hello to a neighbour", "distress": 30},
                {"situation": "Take the bus at rush hour", "distress": 55},
                {"situation": "Eat lunch in a full canteen", "distress": 75},
            ][: config.max_steps],
        )
        _rows(
            data,
            "practice",
            [
                {
                    "date": day.isoformat(),
                    "step": 0,
                    "minutes": 10,
                    "before": 30,
                    "peak": 40,
                    "after": 15,
                }
            ],
        )
    elif exercise.type == "sleep_diary":
        night = {
            "bedtime": "23:00",
            "lights_out": "23:15",
            "sleep_latency_minutes": 20 + n,
            "awakenings": 1,
            "awake_minutes": 15,
            "final_wake": "06:45",
            "out_of_bed": "07:00",
            "quality": 3,
            "naps_minutes": 0,
            "notes": "Tea in the evening",
        }
        _put(data, "night", (day - timedelta(days=1)).isoformat())
        for name in config.fields:
            _put(data, name, night[name])
    return data


def _answers(ref: ExerciseRef, data: dict[str, list[str]]) -> dict[str, Any]:
    ws = worksheet_class(ref.exercise.type)(ref.exercise, data=data)
    if not ws.is_valid():
        raise ValueError(f"demo answers for {ref.exercise.id} do not validate")
    return ws.answers()


def _submit(
    user: User, enrollment: Enrollment, ref: ExerciseRef, when: datetime, n: int = 0
) -> ExerciseEntry:
    return services.submit(
        actor=user,
        enrollment=enrollment,
        ref=ref,
        answers=_answers(ref, sample(ref.exercise, when, n)),
        token=uuid.uuid4(),
        now=when,
    ).entry


def _feedback(therapist: User, entry: ExerciseEntry, ref: ExerciseRef, when: datetime) -> None:
    template = ref.exercise.feedback[0] if ref.exercise.feedback else None
    text = (
        services.fill_template(
            template.text.text("en"), patient=entry.enrollment.patient, therapist=therapist
        )
        if template
        else "Thank you — I read this carefully."
    )
    services.give_feedback(
        actor=therapist,
        entry=entry,
        text=text,
        template_key=template.id if template else "",
        now=when,
    )


def seed() -> None:
    enrollment = (
        Enrollment.objects.filter(patient__user__email=PATIENT, version__program__code="depression")
        .select_related("version__program", "patient__user", "patient__clinic")
        .first()
    )
    therapist = User.objects.filter(email=THERAPIST).first()
    if enrollment is None or therapist is None:
        logger.warning("demo exercises skipped: %s is not enrolled in depression", PATIENT)
        return
    user = enrollment.patient.user
    start = enrollment.started_at
    day = timedelta(days=1)
    now = timezone.now()
    found = {}
    for module in enrollment.version.package.program.modules:
        for exercise in module.exercises:
            ref = resolve(enrollment, module.id, exercise.id)
            if ref is not None:
                found[exercise.type] = found.get(exercise.type) or ref
    diary = found.get("diary")
    reflection = found.get("reflection")
    goals = found.get("goals")
    cards = found.get("card_sort")
    plan = found.get("activity_plan")
    record = found.get("thought_record")

    if reflection:
        entry = _submit(user, enrollment, reflection, start + 2 * day)
        _feedback(therapist, entry, reflection, start + 3 * day)
    if goals:
        entry = _submit(user, enrollment, goals, start + 3 * day)
        _feedback(therapist, entry, goals, start + 4 * day)
    if diary:
        entries = []
        for n in range(10):
            when = start + (2 + n * 2.5) * day
            if when < now:
                entries.append(_submit(user, enrollment, diary, when, n))
        if len(entries) > 4:
            _feedback(therapist, entries[3], diary, entries[3].submitted_at + day)
    if plan:
        first = _submit(user, enrollment, plan, start + 9 * day)
        _feedback(therapist, first, plan, start + 12 * day)
        _submit(user, enrollment, plan, start + 16 * day, 1)
    if cards:
        _submit(user, enrollment, cards, start + 10 * day)
    if record:
        services.save_draft(
            actor=user,
            enrollment=enrollment,
            ref=record,
            data=sample(record.exercise, now - day),
            now=now - day,
        )
        services.report_hard(
            actor=user,
            enrollment=enrollment,
            ref=record,
            distress=7,
            note="I get stuck on the evidence part. It all feels true.",
            now=now - day + timedelta(hours=1),
        )
