"""The benchmark's data generator: a clinic with realistic histories, seeded in bulk.

``manage.py bench_data --patients N --therapists M --weeks W`` (and ``python -m bench``)
write rows with one ``executemany`` per table batch on SQLite and ``COPY ... FROM STDIN``
(psycopg ``cursor.copy``) on PostgreSQL — never row by row through the ORM. Primary keys
are assigned here (so rows can refer to each other without reading back), and the
PostgreSQL identity sequences are moved past them at the end.

Each patient gets one enrollment in the depression program, started up to W weeks ago,
with an engagement profile (engaged, slowing, dropped out, never started) that decides
their history week by week: modules opened and completed, exercises submitted (some
awaiting feedback), weekly PHQ-9 and GAD-7 (some missed, a few critical, some reliably
worse), messages both ways (some unread, some waiting for a reply), check-ins, the odd
"this is hard". Clinical free text is encrypted like the app does it, from a small pool
of ciphertexts (encrypting millions of rows would only time Fernet).

The caseload rows and signals are *not* written here: ``care_signals`` builds them from
this state, and the benchmark times that.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max

BATCH = 20_000
PASSWORD = "!bench-unusable"  # noqa: S105  # an unusable password hash: nobody signs in


@dataclass(frozen=True)
class Plan:
    """What to generate. ``caseloads``: the named therapists' caseload sizes (the rest
    of the patients are spread over the other therapists)."""

    patients: int = 12_000
    therapists: int = 10
    weeks: int = 8
    caseloads: tuple[int, ...] = (50, 500, 5000)
    seed: int = 7

    @property
    def slug(self) -> str:
        sizes = "-".join(str(c) for c in self.caseloads)
        return f"bench-{self.patients}-{self.therapists}-{self.weeks}-{sizes}-{self.seed}"

    def sizes(self) -> list[int]:
        """Patients per therapist: the named caseloads first, the rest spread evenly."""
        named = [c for c in self.caseloads if c > 0]
        if sum(named) > self.patients or len(named) > self.therapists:
            raise ValueError(
                f"{self.patients} patients and {self.therapists} therapists cannot hold "
                f"caseloads of {named}"
            )
        rest = self.patients - sum(named)
        others = self.therapists - len(named)
        if others == 0:
            if rest:
                raise ValueError("patients left over: add therapists")
            return named
        base, extra = divmod(rest, others)
        return named + [base + (1 if i < extra else 0) for i in range(others)]


@dataclass
class Stats:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> str:
        total = sum(self.rows.values())
        parts = ", ".join(f"{k} {v:,}" for k, v in self.rows.items())
        return f"{total:,} rows in {self.seconds:.1f}s ({parts})"


# --- writing ------------------------------------------------------------------------------------


def _sqlite_dt(value: datetime | None) -> str | None:
    return None if value is None else str(value.astimezone(UTC).replace(tzinfo=None))


def _converter(field: models.Field) -> Callable[[Any], Any]:
    kind = field.get_internal_type()
    sqlite = connection.vendor == "sqlite"
    if kind == "DateTimeField":
        return _sqlite_dt if sqlite else (lambda v: v)
    if kind == "UUIDField":
        return (lambda v: None if v is None else v.hex) if sqlite else (lambda v: v)
    if kind == "JSONField":
        return lambda v: json.dumps(v)
    if kind == "BooleanField":
        return (lambda v: int(v)) if sqlite else (lambda v: bool(v))
    if kind == "DateField":
        return (lambda v: None if v is None else v.isoformat()) if sqlite else (lambda v: v)
    if kind == "DecimalField":
        return (lambda v: str(v)) if sqlite else (lambda v: Decimal(v))
    return lambda v: v


class Table:
    """Rows of one model: the given fields per row, the fields' constant defaults for the
    others (computed once), written in batches."""

    def __init__(self, writer: Writer, model: type[models.Model], fields: Sequence[str]):
        self.writer = writer
        self.model = model
        meta = model._meta
        given = [meta.get_field(name) for name in fields]
        self.columns = [f.column for f in given]
        self.converters = [_converter(f) for f in given]
        constants = []
        for f in meta.concrete_fields:
            if f.name in fields or f.primary_key:
                continue
            if f.has_default():
                if callable(f.default) and f.get_internal_type() not in ("JSONField",):
                    raise ValueError(f"{meta.label}.{f.name} has a per-row default: give it")
                value = f.get_default()
            elif f.null:
                continue
            elif f.empty_strings_allowed:
                value = ""
            else:
                raise ValueError(f"{meta.label}.{f.name} is required")
            constants.append((f.column, f.get_db_prep_save(value, connection)))
        if "id" not in fields:
            raise ValueError(f"{meta.label}: give the primary key")
        self.columns += [c for c, _ in constants]
        self.constants = tuple(v for _, v in constants)
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, *values: Any) -> None:
        self.rows.append(
            tuple(conv(v) for conv, v in zip(self.converters, values, strict=True)) + self.constants
        )
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write(self.model._meta.db_table, self.columns, self.rows)
            self.count += len(self.rows)
            self.rows = []


class Writer:
    """``executemany`` on SQLite, ``COPY`` on PostgreSQL."""

    def __init__(self) -> None:
        self.tables: list[Table] = []

    def table(self, model: type[models.Model], fields: Sequence[str]) -> Table:
        table = Table(self, model, fields)
        self.tables.append(table)
        return table

    def write(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cols = ", ".join(columns)
                with cursor.cursor.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"  # nosec B608
                cursor.executemany(sql, rows)

    def flush(self) -> None:
        for table in self.tables:
            table.flush()


class Ids:
    """Primary keys handed out past what each table holds already."""

    def __init__(self) -> None:
        self.next: dict[type[models.Model], int] = {}

    def __call__(self, model: type[models.Model]) -> int:
        if model not in self.next:
            self.next[model] = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


def _replica_mode(on: bool) -> None:
    """PostgreSQL: skip the per-row foreign-key triggers while copying rows that are
    consistent by construction (needs a superuser; without one the checks just run)."""
    from django.db import DatabaseError

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET session_replication_role = {'replica' if on else 'origin'}")
    except DatabaseError:
        pass


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest key by itself
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


# --- scores -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    answers: dict[str, int | None]
    total: float
    raw_total: float
    max_total: float
    band: str
    band_index: int | None
    critical: bool
    tier: str
    critical_items: list[int]
    version: str


def score_pool(code: str, rng: random.Random) -> dict[int, list[Scored]]:
    """Answer patterns for every total, scored once by the real scoring module."""
    from tandem.assessments import definitions, scoring

    definition = definitions.get(code)
    scored_items = [i.number for i in definition.items if i.required]
    extra = [i.number for i in definition.items if not i.required]
    critical_item = 9 if code == "phq9" else None
    pool: dict[int, list[Scored]] = {}
    top = 3 * len(scored_items)
    for total in range(top + 1):
        for variant in range(3):
            values = dict.fromkeys(scored_items, 0)
            left = total
            order = scored_items[:]
            rng.shuffle(order)
            if critical_item is not None and variant < 2:
                order.remove(critical_item)  # item 9 only in the third variant
            while left > 0 and order:
                for number in order:
                    if left == 0:
                        break
                    if values[number] < 3:
                        values[number] += 1
                        left -= 1
                if all(values[n] == 3 for n in order):
                    break
            for number in extra:
                values[number] = rng.randint(0, 3)
            result = scoring.score(code, values)
            pool.setdefault(int(result.total or 0), []).append(
                Scored(
                    answers={str(k): v for k, v in sorted(values.items())},
                    total=float(result.total or 0),
                    raw_total=float(result.raw_total or 0),
                    max_total=float(result.max_total),
                    band=result.band or "",
                    band_index=result.band_index,
                    critical=result.critical,
                    tier=result.critical_tier or "",
                    critical_items=list(result.critical_items),
                    version=result.version,
                )
            )
    return pool


# --- the clinic -----------------------------------------------------------------------------


PROFILES = (("engaged", 0.58), ("slowing", 0.22), ("dropped", 0.12), ("never", 0.08))
GUIDANCE = (("guided", 0.7), ("blended", 0.15), ("self_guided", 0.15))


def _pick(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    roll = rng.random()
    for value, share in table:
        roll -= share
        if roll <= 0:
            return value
    return table[-1][0]


def _load_program() -> Any:
    from tandem.programs import catalog
    from tandem.programs.models import ProgramVersion

    version = ProgramVersion.objects.filter(program__code="depression", is_current=True).first()
    if version is None:
        catalog.load(Path(settings.CONTENT_DIR) / "programs" / "depression")
        version = ProgramVersion.objects.get(program__code="depression", is_current=True)
    return version


def _ciphertexts(texts: Sequence[str]) -> list[str]:
    from tandem.core import crypto

    return [crypto.encrypt(t) for t in texts]


MESSAGES_IN = [
    "I did the activity plan but it was hard to start.",
    "This week was better, I went for a walk twice.",
    "I could not sleep much, is that normal?",
    "Thank you for the feedback, it helped.",
    "I missed the questionnaire, sorry.",
]
MESSAGES_OUT = [
    "Thank you for writing. Starting is often the hardest part — well done.",
    "Good to hear about the walks. What made them possible?",
    "Sleep often changes when mood is low. Let's look at it together.",
    "I am glad it helped. Keep going at your own pace.",
]
ANSWERS = [json.dumps({"responses": {"matters": "My family", "notice": "Felt calmer"}})]


def generate(
    plan: Plan, *, now: datetime | None = None, log: Callable[[str], None] = print
) -> Stats:
    """Seed one clinic per ``plan`` (idempotent: an existing clinic of the plan is kept)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt

    from tandem.accounts.demo import DEMO_TOTP_SECRET
    from tandem.accounts.models import CareTeamMember, Clinic, Patient, User
    from tandem.assessments.models import Assignment, Response
    from tandem.core.models import Event
    from tandem.exercises.models import ExerciseEntry, HardMoment
    from tandem.messaging.models import Conversation, Message
    from tandem.programs.models import Enrollment, ModuleProgress
    from tandem.safety.models import Alert

    started = time.perf_counter()
    stats = Stats()
    if Clinic.objects.filter(slug=plan.slug).exists():
        log(f"clinic {plan.slug} exists: kept")
        return stats
    if Clinic.objects.filter(slug=plan.slug + "-partial").exists():
        raise RuntimeError(f"a generation of {plan.slug} was interrupted: use a fresh database")
    rng = random.Random(plan.seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    version = _load_program()
    modules = [
        (m.id, [p.id for p in m.pages], [e for e in m.exercises])
        for m in version.package.program.modules
    ]
    pools = {code: score_pool(code, rng) for code in ("phq9", "gad7")}
    inbox = _ciphertexts(MESSAGES_IN)
    outbox = _ciphertexts(MESSAGES_OUT)
    answers = _ciphertexts(ANSWERS)
    empty = _ciphertexts([""])[0]
    note = _ciphertexts(["stuck on this one"])[0]
    ack = _ciphertexts(["Phoned the patient; safety plan reviewed."])[0]
    alert_detail = _ciphertexts([json.dumps({"instrument": "phq9"})])[0]

    writer = Writer()
    ids = Ids()
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    else:
        _replica_mode(True)

    with transaction.atomic():
        clinic = Clinic.objects.create(name="Bench Clinic", slug=plan.slug + "-partial")
        staff = []
        for n, size in enumerate(plan.sizes()):
            therapist = User.objects.create_user(
                f"t{n}.{plan.slug}@bench.example",
                None,
                full_name=f"Therapist {size} #{n}",
                role="therapist",
                clinic=clinic,
            )
            staff.append((therapist, size))
        supervisor = User.objects.create_user(
            f"supervisor.{plan.slug}@bench.example",
            None,
            full_name="Bench Supervisor",
            role="supervisor",
            clinic=clinic,
        )
        Authenticator.objects.bulk_create(
            Authenticator(
                user=u, type=Authenticator.Type.TOTP, data={"secret": encrypt(DEMO_TOTP_SECRET)}
            )
            for u in [*(t for t, _ in staff), supervisor]
        )

    users = writer.table(
        User,
        ["id", "uuid", "password", "email", "full_name", "role", "clinic", "date_joined"],
    )
    patients = writer.table(Patient, ["id", "uuid", "created_at", "updated_at", "user", "clinic"])
    members = writer.table(
        CareTeamMember,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "patient",
            "therapist",
            "team_role",
            "started_at",
        ],
    )
    enrollments = writer.table(
        Enrollment,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "patient",
            "version",
            "guidance_mode",
            "pacing_policy",
            "status",
            "status_reason",
            "started_at",
            "enrolled_by",
            "pace_per_week",
            "last_activity_at",
            "modules_completed",
            "exercises_submitted",
            "exercises_awaiting_feedback",
        ],
    )
    progress = writer.table(
        ModuleProgress,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "enrollment",
            "version",
            "module_key",
            "opened_at",
            "last_page",
            "pages_viewed",
            "completed_at",
            "feedback_at",
        ],
    )
    event_rows = writer.table(
        Event,
        ["id", "uuid", "patient", "actor", "kind", "occurred_at", "ref_type", "ref_uuid", "data"],
    )
    assignments = writer.table(
        Assignment,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "patient",
            "enrollment",
            "instrument",
            "source",
            "schedule_key",
            "available_at",
            "due_at",
            "expires_at",
            "missed_at",
            "completed_at",
        ],
    )
    responses = writer.table(
        Response,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "assignment",
            "patient",
            "instrument",
            "definition_version",
            "answers",
            "total",
            "raw_total",
            "max_total",
            "band",
            "band_index",
            "critical",
            "tier",
            "critical_items",
            "baseline",
            "change",
            "submitted_at",
            "submitted_by",
        ],
    )
    conversations = writer.table(
        Conversation,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "enrollment",
            "patient",
            "clinic",
            "last_message_at",
            "awaiting_reply_since",
            "message_count",
        ],
    )
    messages = writer.table(
        Message,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "conversation",
            "sender",
            "direction",
            "body",
            "client_token",
            "sent_at",
            "read_at",
            "read_by",
        ],
    )
    entries = writer.table(
        ExerciseEntry,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "enrollment",
            "version",
            "module_key",
            "exercise_key",
            "exercise_type",
            "status",
            "answers",
            "submitted_at",
            "skip_reason",
            "submission_token",
            "feedback_at",
        ],
    )
    moments = writer.table(
        HardMoment,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "enrollment",
            "version",
            "module_key",
            "exercise_key",
            "distress",
            "note",
            "answer_due_on",
        ],
    )
    alerts = writer.table(
        Alert,
        [
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "patient",
            "clinic",
            "source",
            "tier",
            "reason",
            "ref_type",
            "ref_key",
            "detail",
            "raised_at",
            "last_raised_at",
            "assigned_to",
            "due_at",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledgement_note",
        ],
    )

    def event(
        patient_id: int,
        actor: int | None,
        kind: str,
        at: datetime,
        ref_type: str,
        ref: uuid.UUID | None,
        data: dict[str, Any],
    ) -> None:
        event_rows.add(ids(Event), uuid.uuid4(), patient_id, actor, kind, at, ref_type, ref, data)

    ordinal = 0
    with transaction.atomic():
        for therapist, size in staff:
            for _ in range(size):
                ordinal += 1
                _patient(
                    ordinal,
                    therapist.pk,
                    clinic.pk,
                    plan,
                    now,
                    rng,
                    version,
                    modules,
                    pools,
                    inbox,
                    outbox,
                    answers,
                    empty,
                    note,
                    ack,
                    alert_detail,
                    ids,
                    event,
                    users,
                    patients,
                    members,
                    enrollments,
                    progress,
                    assignments,
                    responses,
                    conversations,
                    messages,
                    entries,
                    moments,
                    alerts,
                )
                if ordinal % 5000 == 0:
                    log(f"  {ordinal:,} patients")
        writer.flush()
        Clinic.objects.filter(pk=clinic.pk).update(slug=plan.slug)
    if connection.vendor == "postgresql":
        _replica_mode(False)
    reset_sequences(
        [
            User,
            Patient,
            CareTeamMember,
            Enrollment,
            ModuleProgress,
            Event,
            Assignment,
            Response,
            Conversation,
            Message,
            ExerciseEntry,
            HardMoment,
            Alert,
        ]
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    stats.rows = {t.model._meta.label: t.count for t in writer.tables}
    stats.seconds = time.perf_counter() - started
    return stats


def _patient(
    n: int,
    therapist_id: int,
    clinic_id: int,
    plan: Plan,
    now: datetime,
    rng: random.Random,
    version: Any,
    modules: list[Any],
    pools: dict[str, dict[int, list[Scored]]],
    inbox: list[str],
    outbox: list[str],
    answers: list[str],
    empty: str,
    note: str,
    ack: str,
    alert_detail: str,
    ids: Ids,
    event: Callable[..., None],
    users: Table,
    patients: Table,
    members: Table,
    enrollments: Table,
    progress: Table,
    assignments: Table,
    responses: Table,
    conversations: Table,
    messages: Table,
    entries: Table,
    moments: Table,
    alerts: Table,
) -> None:
    """One patient's account, enrollment and history."""
    from tandem.accounts.models import CareTeamMember, Patient, User
    from tandem.assessments.models import Assignment, Response
    from tandem.assessments.scoring import reliable_change
    from tandem.exercises.models import ExerciseEntry, HardMoment
    from tandem.messaging.models import Conversation, Message
    from tandem.programs.models import Enrollment, ModuleProgress
    from tandem.safety.models import Alert

    user_id, patient_id, enrollment_id = ids(User), ids(Patient), ids(Enrollment)
    patient_uuid, enrollment_uuid = uuid.uuid4(), uuid.uuid4()
    weeks_in = rng.randint(1, plan.weeks) if rng.random() < 0.8 else plan.weeks
    start = now - timedelta(weeks=weeks_in, hours=rng.randint(0, 160))
    profile = _pick(rng, PROFILES)
    guidance = _pick(rng, GUIDANCE)
    if profile == "never":
        active_until = start
    elif profile == "dropped":
        active_until = start + (now - start) * rng.uniform(0.1, 0.5)
    elif profile == "slowing":
        active_until = now - timedelta(days=rng.uniform(3, 12))
    else:
        active_until = now - timedelta(hours=rng.uniform(1, 60))
    users.add(
        user_id,
        uuid.uuid4(),
        PASSWORD,
        f"p{n}.{plan.slug}@bench.example",
        f"Patient {n:06d} {rng.choice(NAMES)}",
        "patient",
        clinic_id,
        start,
    )
    patients.add(patient_id, patient_uuid, start, start, user_id, clinic_id)
    members.add(
        ids(CareTeamMember), uuid.uuid4(), start, start, patient_id, therapist_id, "primary", start
    )
    event(patient_id, user_id, "patient.activated", start, "accounts.patient", patient_uuid, {})
    program = {"program": "depression", "version": version.version}
    event(
        patient_id,
        therapist_id,
        "enrollment.created",
        start,
        "programs.enrollment",
        enrollment_uuid,
        {**program, "guidance_mode": guidance, "pacing_policy": "weekly", "interval_days": 7},
    )
    conversation_id, conversation_uuid = ids(Conversation), uuid.uuid4()
    last_activity: datetime | None = None
    completed = submitted = awaiting = 0
    opened_index = -1  # a module opened and not finished stalls the patient there
    message_count = 0
    last_message: datetime | None = None
    awaiting_since: datetime | None = None
    baseline: dict[str, tuple[int, float]] = {}
    slow = 0.6 if profile == "slowing" else 0.9
    trend = rng.choice((-0.8, -0.5, -0.3, 0.0, 0.6))
    base_score = {"phq9": rng.randint(7, 19), "gad7": rng.randint(5, 15)}
    for week in range(weeks_in + 1):
        week_start = start + timedelta(weeks=week)
        if week_start > now:
            break
        active = week_start < active_until
        day = week_start + timedelta(days=rng.uniform(0.2, 2.5))
        if active and day < active_until and day < now:
            if completed < len(modules) and opened_index != completed and rng.random() < slow:
                opened_index = completed
                key, pages, exercises = modules[completed]
                opened = day
                done_at = day + timedelta(hours=rng.uniform(0.3, 30))
                finished = done_at < min(active_until, now) and rng.random() < 0.9
                event(
                    patient_id,
                    user_id,
                    "module.opened",
                    opened,
                    "programs.enrollment",
                    enrollment_uuid,
                    {**program, "module": key},
                )
                progress.add(
                    ids(ModuleProgress),
                    uuid.uuid4(),
                    opened,
                    opened,
                    enrollment_id,
                    version.pk,
                    key,
                    opened,
                    pages[-1] if finished else pages[0],
                    pages if finished else pages[:1],
                    done_at if finished else None,
                    None,
                )
                last_activity = max(filter(None, (last_activity, opened)))
                if finished:
                    completed += 1
                    event(
                        patient_id,
                        user_id,
                        "module.completed",
                        done_at,
                        "programs.enrollment",
                        enrollment_uuid,
                        {**program, "module": key},
                    )
                    last_activity = max(last_activity, done_at)
                    if exercises:
                        exercise = exercises[rng.randrange(len(exercises))]
                        entry_uuid = uuid.uuid4()
                        feedback = None
                        answered = now - done_at > timedelta(days=4) or rng.random() < 0.6
                        if guidance != "self_guided" and answered:
                            feedback = done_at + timedelta(hours=rng.uniform(4, 70))
                            if feedback > now:
                                feedback = None
                        entries.add(
                            ids(ExerciseEntry),
                            entry_uuid,
                            done_at,
                            done_at,
                            enrollment_id,
                            version.pk,
                            key,
                            exercise.id,
                            exercise.type,
                            "submitted",
                            answers[0],
                            done_at,
                            empty,
                            uuid.uuid4(),
                            feedback,
                        )
                        submitted += 1
                        data = {
                            "module": key,
                            "exercise": exercise.id,
                            "type": exercise.type,
                            "entry": str(entry_uuid),
                        }
                        event(
                            patient_id,
                            user_id,
                            "exercise.submitted",
                            done_at,
                            "exercises.exerciseentry",
                            entry_uuid,
                            data,
                        )
                        if feedback is not None:
                            event(
                                patient_id,
                                therapist_id,
                                "exercise.feedback_given",
                                feedback,
                                "exercises.exerciseentry",
                                entry_uuid,
                                data,
                            )
                        elif guidance != "self_guided":
                            awaiting += 1
                        if rng.random() < 0.02:
                            moment_uuid = uuid.uuid4()
                            moments.add(
                                ids(HardMoment),
                                moment_uuid,
                                done_at,
                                done_at,
                                enrollment_id,
                                version.pk,
                                key,
                                exercise.id,
                                rng.randint(4, 9),
                                note,
                                (done_at + timedelta(days=1)).date(),
                            )
                            event(
                                patient_id,
                                user_id,
                                "exercise.hard_reported",
                                done_at,
                                "exercises.hardmoment",
                                moment_uuid,
                                {"module": key, "exercise": exercise.id, "distress": 6},
                            )
            if rng.random() < 0.5:
                event(
                    patient_id,
                    user_id,
                    "checkin.recorded",
                    day + timedelta(hours=20),
                    "wellbeing.checkin",
                    uuid.uuid4(),
                    {"mood": rng.randint(2, 8), "emotions": [], "has_note": False},
                )
                last_activity = max(filter(None, (last_activity, day + timedelta(hours=20))))
        # weekly questionnaires
        for code in ("phq9", "gad7"):
            available = week_start
            due = available + timedelta(days=3)
            expires = available + timedelta(days=14)
            if available > now:
                continue
            assignment_id, assignment_uuid = ids(Assignment), uuid.uuid4()
            answered_at = available + timedelta(hours=rng.uniform(2, 60))
            answered = active and answered_at < min(active_until, now) and rng.random() < 0.85
            missed = not answered and expires <= now
            assignments.add(
                assignment_id,
                assignment_uuid,
                available,
                available,
                patient_id,
                enrollment_id,
                code,
                "schedule",
                f"weekly:{week}",
                available,
                due,
                expires,
                expires if missed else None,
                answered_at if answered else None,
            )
            if missed:
                event(
                    patient_id,
                    None,
                    "questionnaire.missed",
                    expires,
                    "assessments.assignment",
                    assignment_uuid,
                    {"code": code},
                )
            if not answered:
                continue
            pool = pools[code]
            target = base_score[code] + trend * week + rng.uniform(-2, 2)
            target = int(max(0, min(max(pool), round(target))))
            choices = pool.get(target) or pool[min(pool, key=lambda t: abs(t - target))]
            critical_roll = code == "phq9" and rng.random() < 0.01
            scored = (
                choices[-1] if critical_roll else choices[rng.randrange(max(len(choices) - 1, 1))]
            )
            response_id, response_uuid = ids(Response), uuid.uuid4()
            if code in baseline:
                response_baseline = baseline[code][0]
                change = reliable_change(code, baseline[code][1], scored.total) or ""
            else:
                baseline[code] = (response_id, scored.total)
                response_baseline, change = None, ""
            responses.add(
                response_id,
                response_uuid,
                answered_at,
                answered_at,
                assignment_id,
                patient_id,
                code,
                scored.version,
                scored.answers,
                scored.total,
                scored.raw_total,
                scored.max_total,
                scored.band,
                scored.band_index,
                scored.critical,
                scored.tier,
                scored.critical_items,
                response_baseline,
                change,
                answered_at,
                user_id,
            )
            event(
                patient_id,
                user_id,
                "questionnaire.completed",
                answered_at,
                "assessments.response",
                response_uuid,
                {
                    "code": code,
                    "total": scored.total,
                    "band": scored.band,
                    "change": change,
                    "complete": True,
                },
            )
            last_activity = max(filter(None, (last_activity, answered_at)))
            if change in ("improved", "deteriorated"):
                event(
                    patient_id,
                    user_id,
                    "score.reliable_change",
                    answered_at,
                    "assessments.response",
                    response_uuid,
                    {
                        "code": code,
                        "change": change,
                        "total": scored.total,
                        "baseline_total": baseline[code][1],
                    },
                )
            if scored.critical:
                alert_uuid = uuid.uuid4()
                acknowledged = now - answered_at > timedelta(days=2) or rng.random() < 0.5
                alerts.add(
                    ids(Alert),
                    alert_uuid,
                    answered_at,
                    answered_at,
                    patient_id,
                    clinic_id,
                    "assessment",
                    scored.tier or "review",
                    "phq9.item9",
                    "assessments.response",
                    str(response_uuid),
                    alert_detail,
                    answered_at,
                    answered_at,
                    therapist_id,
                    answered_at + timedelta(hours=8),
                    answered_at + timedelta(hours=3) if acknowledged else None,
                    therapist_id if acknowledged else None,
                    ack if acknowledged else empty,
                )
                event(
                    patient_id,
                    user_id,
                    "alert.raised",
                    answered_at,
                    "safety.alert",
                    alert_uuid,
                    {
                        "source": "assessment",
                        "tier": scored.tier or "review",
                        "reason": "phq9.item9",
                    },
                )
                if acknowledged:
                    event(
                        patient_id,
                        therapist_id,
                        "alert.acknowledged",
                        answered_at + timedelta(hours=3),
                        "safety.alert",
                        alert_uuid,
                        {"tier": scored.tier or "review", "reason": "phq9.item9"},
                    )
        # messages both ways
        if active and rng.random() < 0.45:
            sent = week_start + timedelta(days=rng.uniform(0.5, 6))
            if sent < min(now, active_until + timedelta(days=1)):
                message_uuid = uuid.uuid4()
                reply_at = sent + timedelta(hours=rng.uniform(3, 50))
                replied = reply_at < now and rng.random() < 0.92
                read_at = (
                    reply_at
                    if replied
                    else (
                        sent + timedelta(hours=2)
                        if rng.random() < 0.6 and sent + timedelta(hours=2) < now
                        else None
                    )
                )
                messages.add(
                    ids(Message),
                    message_uuid,
                    sent,
                    sent,
                    conversation_id,
                    user_id,
                    "patient_to_team",
                    rng.choice(inbox),
                    uuid.uuid4(),
                    sent,
                    read_at,
                    therapist_id if read_at else None,
                )
                event(
                    patient_id,
                    user_id,
                    "message.sent",
                    sent,
                    "messaging.message",
                    message_uuid,
                    {
                        "direction": "patient_to_team",
                        "conversation": str(conversation_uuid),
                        "enrollment": str(enrollment_uuid),
                        "functions": [],
                    },
                )
                message_count += 1
                last_message = sent
                last_activity = max(filter(None, (last_activity, sent)))
                if replied:
                    reply_uuid = uuid.uuid4()
                    patient_read = (
                        reply_at + timedelta(hours=5)
                        if reply_at + timedelta(hours=5) < now and rng.random() < 0.8
                        else None
                    )
                    messages.add(
                        ids(Message),
                        reply_uuid,
                        reply_at,
                        reply_at,
                        conversation_id,
                        therapist_id,
                        "team_to_patient",
                        rng.choice(outbox),
                        uuid.uuid4(),
                        reply_at,
                        patient_read,
                        user_id if patient_read else None,
                    )
                    event(
                        patient_id,
                        therapist_id,
                        "message.sent",
                        reply_at,
                        "messaging.message",
                        reply_uuid,
                        {
                            "direction": "team_to_patient",
                            "conversation": str(conversation_uuid),
                            "enrollment": str(enrollment_uuid),
                            "functions": [],
                        },
                    )
                    message_count += 1
                    last_message = reply_at
                    awaiting_since = None
                elif awaiting_since is None:
                    awaiting_since = sent
    conversations.add(
        conversation_id,
        conversation_uuid,
        start,
        start,
        enrollment_id,
        patient_id,
        clinic_id,
        last_message,
        awaiting_since,
        message_count,
    )
    enrollments.add(
        enrollment_id,
        enrollment_uuid,
        start,
        start,
        patient_id,
        version.pk,
        guidance,
        "weekly",
        "active",
        empty,
        start,
        therapist_id,
        Decimal("1.0"),
        last_activity,
        completed,
        submitted,
        awaiting,
    )


NAMES = (
    "Aalto",
    "Berg",
    "Core",
    "Dahl",
    "Eskola",
    "Forsman",
    "Granlund",
    "Hakala",
    "Ilves",
    "Jokinen",
    "Koski",
    "Laine",
    "Mäki",
    "Nieminen",
    "Ojala",
    "Peltonen",
    "Rantanen",
    "Salo",
    "Toivonen",
    "Virtanen",
)
