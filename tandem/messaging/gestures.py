"""Gestures: from a context (a submitted exercise, a silent week, …) to a suggested,
editable message; the template library; what a reference points at; the taxonomy
summary.

Contexts arrive as ``?context=<kind>&ref=<uuid>``. Each kind has a small resolver that
reads the event stream (and, where it can, the referenced object) defensively: an
unknown kind or id gives no context, never an error. The lower apps' event kinds are
listed here in one place.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tandem.core.models import Event
from tandem.messaging import templating
from tandem.messaging.models import FUNCTION_CODES, Message, MessageTemplate, RefType

logger = logging.getLogger(__name__)

# Event kinds of the lower apps, as they record them (several spellings tolerated).
EXERCISE_SUBMITTED = ("exercise.submitted",)
EXERCISE_FEEDBACK = (
    "exercise.feedback_given",
    "exercise.feedback",
    "exercise.feedback_sent",
    "feedback.given",
)
MODULE_COMPLETED = ("module.completed",)
SCORE_RECORDED = ("score.reliable_change", "questionnaire.completed", "score.recorded")
QUESTIONNAIRE_MISSED = ("questionnaire.missed", "questionnaire.overdue")
ACTIVITY_KINDS = (*EXERCISE_SUBMITTED, *MODULE_COMPLETED, *SCORE_RECORDED, "message.sent")

DEFAULTS_FILE = Path(__file__).parent / "data" / "templates.yaml"
QUOTE_LIMIT = 140


# --- the template library ------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateChoice:
    key: str  # "default:<key>" for shipped templates, "db:<uuid>" for the library
    title: str
    body: str
    context: str
    language: str
    functions: tuple[str, ...]
    scope: str  # "mine", "clinic" or "default"


@lru_cache(maxsize=1)
def _default_data() -> tuple[dict[str, Any], ...]:
    data = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8")) or []
    for entry in data:
        for body in entry["body"].values():
            templating.check(body)
    return tuple(data)


def default_templates(*, context: str | None = None, language: str) -> list[TemplateChoice]:
    out = []
    for entry in _default_data():
        if context and entry["context"] != context:
            continue
        lang = language if language in entry["body"] else "en"
        out.append(
            TemplateChoice(
                key=f"default:{entry['key']}",
                title=entry["title"].get(lang, entry["title"]["en"]),
                body=entry["body"][lang],
                context=entry["context"],
                language=lang,
                functions=tuple(entry.get("functions") or ()),
                scope="default",
            )
        )
    return out


def _choice(template: MessageTemplate, user: Any) -> TemplateChoice:
    return TemplateChoice(
        key=template.key,
        title=template.title,
        body=template.body,
        context=template.context,
        language=template.language,
        functions=tuple(template.functions),
        scope="mine" if template.owner_id == getattr(user, "pk", None) else "clinic",
    )


def library_queryset(user: Any):  # type: ignore[no-untyped-def]
    """Templates ``user`` may use: their own and their clinic's shared ones."""
    return MessageTemplate.objects.filter(clinic_id=user.clinic_id).filter(
        Q(owner__isnull=True) | Q(owner=user)
    )


def templates_for(*, user: Any, context: str, language: str) -> list[TemplateChoice]:
    """Candidates for a context, best first: mine, the clinic's, then the defaults."""
    rows = library_queryset(user).filter(context=context, language=language, is_active=True)
    mine = [_choice(t, user) for t in rows if t.owner_id == user.pk]
    clinic = [_choice(t, user) for t in rows if t.owner_id is None]
    return [*mine, *clinic, *default_templates(context=context, language=language)]


def find_template(*, user: Any, key: str, language: str) -> TemplateChoice | None:
    if key.startswith("default:"):
        name = key.split(":", 1)[1]
        return next(
            (t for t in default_templates(language=language) if t.key == f"default:{name}"), None
        )
    if key.startswith("db:"):
        try:
            key_uuid = uuid.UUID(key.split(":", 1)[1])
        except ValueError:
            return None
        row = library_queryset(user).filter(uuid=key_uuid).first()
        return _choice(row, user) if row else None
    return None


# --- contexts ----------------------------------------------------------------------------------


@dataclass
class Context:
    kind: str
    work: str = ""
    quote: str = ""
    change: str = ""
    ref_type: str = ""
    ref_uuid: uuid.UUID | None = None
    ref_label: str = ""
    ref_key: str = ""
    # The patient's own words the context is about (for the "quotes their words" check).
    source_text: str = ""


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _event(patient: Any, kinds: Iterable[str], ref: uuid.UUID | None) -> Event | None:
    events = Event.objects.filter(patient=patient, kind__in=list(kinds))
    if ref is not None:
        events = events.filter(Q(uuid=ref) | Q(ref_uuid=ref))
    return events.order_by("-occurred_at", "-id").first()


def _localized(value: object, language: str) -> str:
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    return str(value or "")


def _content(enrollment: Any) -> Any:
    """The enrollment's program content (parsed once per version and process)."""
    version = getattr(enrollment, "version", None)
    return version.package.program if version is not None else None


def _module_title(enrollment: Any, module_id: str, language: str) -> str:
    program = _content(enrollment)
    for module in program.modules if program else ():
        if module.id == module_id:
            return module.title.text(language)
    return ""


def _exercise_title(enrollment: Any, exercise_id: str, language: str) -> str:
    program = _content(enrollment)
    for module in program.modules if program else ():
        for exercise in module.exercises:
            if exercise.id == exercise_id:
                return exercise.title.text(language)
    return ""


def _label(data: dict[str, Any], language: str, *keys: str) -> str:
    for key in keys:
        if data.get(key):
            return _localized(data[key], language)[:120]
    return ""


def _longest_text(value: object) -> str:
    """The longest piece of free text inside an answer (dict, list or string)."""
    if isinstance(value, str):
        return value
    items: Iterable[object] = ()
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    return max((_longest_text(v) for v in items), key=len, default="")


def _answer_text(event: Event) -> str:
    """The patient's own words in the object an event points at, if it can be read."""
    if not event.ref_type or not event.ref_uuid:
        return ""
    try:
        model = apps.get_model(event.ref_type)
        obj = model._default_manager.filter(uuid=event.ref_uuid, **_patient_filter(model, event))
        obj = obj.first()
    except Exception:  # an unknown model, or one without these fields
        logger.debug("no answer text for %s", event.ref_type, exc_info=True)
        return ""
    if obj is None:
        return ""
    for attr in ("answers", "answer", "data", "values", "content", "fields", "text"):
        value = getattr(obj, attr, None)
        if value:
            return _longest_text(value)
    return ""


def _patient_filter(model: Any, event: Event) -> dict[str, Any]:
    names = {f.name for f in model._meta.get_fields()}
    if "patient" in names:
        return {"patient_id": event.patient_id}
    if "enrollment" in names:
        return {"enrollment__patient_id": event.patient_id}
    return {}


def _exercise_submitted(patient: Any, enrollment: Any, ref: uuid.UUID | None, lang: str) -> Context:
    ctx = Context("exercise_submitted", ref_type=RefType.EXERCISE)
    event = _event(patient, EXERCISE_SUBMITTED, ref)
    if event is None:
        return ctx
    data = event.data or {}
    ctx.work = _label(data, lang, "title", "exercise_title", "label", "name") or _exercise_title(
        enrollment, str(data.get("exercise") or data.get("exercise_id") or ""), lang
    )
    ctx.source_text = _answer_text(event)
    ctx.quote = templating.shorten(ctx.source_text, QUOTE_LIMIT)
    ctx.ref_uuid = event.ref_uuid or event.uuid
    ctx.ref_label = ctx.work or _("Exercise")
    return ctx


def _module_completed(patient: Any, enrollment: Any, ref: uuid.UUID | None, lang: str) -> Context:
    ctx = Context("module_completed", ref_type=RefType.MODULE)
    event = _event(patient, MODULE_COMPLETED, ref)
    if event is None:
        return ctx
    data = event.data or {}
    module_key = str(data.get("module") or data.get("module_key") or "")
    ctx.work = _label(data, lang, "title", "module_title", "label") or _module_title(
        enrollment, module_key, lang
    )
    # The programs app records module events with the enrollment as their ref: the
    # event itself identifies the completion, the module key the module.
    ctx.ref_uuid = event.uuid
    ctx.ref_key = module_key[:80]
    ctx.ref_label = ctx.work or _("Module")
    return ctx


def _silent_week(patient: Any, enrollment: Any, ref: uuid.UUID | None, lang: str) -> Context:
    ctx = Context("silent_week")
    last = getattr(enrollment, "last_activity_at", None)
    if last is None:
        event = _event(patient, ACTIVITY_KINDS, None)
        last = event.occurred_at if event else None
    if last is not None:
        days = max((timezone.now() - last).days, 0)
        if days >= 1:
            ctx.change = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    return ctx


def _score_improved(patient: Any, enrollment: Any, ref: uuid.UUID | None, lang: str) -> Context:
    ctx = Context("score_improved", ref_type=RefType.SCORE)
    event = _event(patient, SCORE_RECORDED, ref)
    if event is None:
        return ctx
    data = event.data or {}
    instrument = _label(data, lang, "instrument_name", "instrument") or _code_label(data)
    total = data.get("total", data.get("score"))
    before = data.get("baseline_total", data.get("previous", data.get("baseline")))
    if instrument and total is not None and before is not None:
        ctx.change = _("%(instrument)s from %(before)s to %(after)s") % {
            "instrument": instrument,
            "before": before,
            "after": total,
        }
    ctx.work = instrument
    ctx.ref_uuid = event.ref_uuid or event.uuid
    ctx.ref_label = instrument or _("Score")
    return ctx


def _questionnaire_missed(
    patient: Any, enrollment: Any, ref: uuid.UUID | None, lang: str
) -> Context:
    ctx = Context("questionnaire_missed")
    event = _event(patient, QUESTIONNAIRE_MISSED, ref)
    if event is not None:
        data = event.data or {}
        ctx.work = _label(data, lang, "instrument_name", "instrument", "title") or _code_label(data)
    return ctx


def _code_label(data: dict[str, Any]) -> str:
    """An instrument code as people write it ("phq9" → "PHQ-9")."""
    code = str(data.get("code") or "")
    match = re.fullmatch(r"([a-z]+)(\d+)", code)
    return f"{match.group(1).upper()}-{match.group(2)}" if match else code.upper()


RESOLVERS: dict[str, Callable[[Any, Any, uuid.UUID | None, str], Context]] = {
    "exercise_submitted": _exercise_submitted,
    "module_completed": _module_completed,
    "silent_week": _silent_week,
    "score_improved": _score_improved,
    "questionnaire_missed": _questionnaire_missed,
}


def resolve_context(
    kind: str, *, patient: Any, enrollment: Any, ref: object, language: str
) -> Context | None:
    """The context of a gesture, or None for an unknown kind (a plain composer)."""
    resolver = RESOLVERS.get(kind or "")
    if resolver is None:
        return None
    return resolver(patient, enrollment, _as_uuid(ref), language)


def first_name(full_name: str) -> str:
    parts = (full_name or "").split()
    return parts[0] if parts else ""


def suggest(
    *, context: Context, template: TemplateChoice, patient_name: str, therapist_name: str
) -> str:
    return templating.render(
        template.body,
        {
            "first_name": first_name(patient_name),
            "work": context.work,
            "quote": context.quote,
            "change": context.change,
            "therapist_name": therapist_name,
        },
    )


# --- what a reference points at -------------------------------------------------------------

REF_KINDS = {
    RefType.EXERCISE: EXERCISE_SUBMITTED,
    RefType.MODULE: MODULE_COMPLETED,
    RefType.SCORE: SCORE_RECORDED,
}


def resolve_ref(ref_type: str, ref: object, *, patient: Any, enrollment: Any, language: str):  # type: ignore[no-untyped-def]
    """(type, uuid, label) of an exercise, module or score of this patient, or None."""
    key = _as_uuid(ref)
    if ref_type not in REF_KINDS or key is None:
        return None
    event = _event(patient, REF_KINDS[ref_type], key)
    if event is None:
        return None
    data = event.data or {}
    module_key = str(data.get("module") or data.get("module_key") or "")
    label = _label(
        data,
        language,
        "title",
        "exercise_title",
        "module_title",
        "instrument_name",
        "instrument",
        "label",
    )
    if not label and ref_type == RefType.MODULE:
        label = _module_title(enrollment, module_key, language)
    if not label and ref_type == RefType.EXERCISE:
        label = _exercise_title(enrollment, str(data.get("exercise") or ""), language)
    if not label and ref_type == RefType.SCORE:
        label = _code_label(data)
    if ref_type == RefType.MODULE:
        return ref_type, event.uuid, (label or str(RefType(ref_type).label))[:120], module_key
    return ref_type, event.ref_uuid or event.uuid, (label or str(RefType(ref_type).label))[:120], ""


# --- taxonomy summaries ----------------------------------------------------------------------


def _summary(messages) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = messages.aggregate(
        messages=Count("id"),
        autonomy=Count("id", filter=Q(fn_autonomy=True)),
        alliance=Count("id", filter=Q(fn_alliance=True)),
        emotion_regulation=Count("id", filter=Q(fn_emotion_regulation=True)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def function_summary(
    *,
    patient: Any = None,
    clinic: Any = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """Care-team messages and how many carried each support function (for exports)."""
    messages = Message.objects.filter(direction="team_to_patient")
    if patient is not None:
        messages = messages.filter(conversation__patient=patient)
    if clinic is not None:
        messages = messages.filter(conversation__clinic=clinic)
    if since is not None:
        messages = messages.filter(sent_at__gte=since)
    if until is not None:
        messages = messages.filter(sent_at__lt=until)
    return _summary(messages)


def function_summary_by_patient(*, clinic: Any, since: datetime | None = None) -> dict[Any, dict]:
    """Per patient id: message count and count per function (one query)."""
    messages = Message.objects.filter(direction="team_to_patient", conversation__clinic=clinic)
    if since is not None:
        messages = messages.filter(sent_at__gte=since)
    rows = messages.values("conversation__patient_id").annotate(
        messages=Count("id"),
        autonomy=Count("id", filter=Q(fn_autonomy=True)),
        alliance=Count("id", filter=Q(fn_alliance=True)),
        emotion_regulation=Count("id", filter=Q(fn_emotion_regulation=True)),
    )
    return {
        row["conversation__patient_id"]: {k: row[k] for k in ("messages", *FUNCTION_CODES)}
        for row in rows
    }


def function_counts(functions: Iterable[str]) -> Counter[str]:
    return Counter(code for code in functions if code in FUNCTION_CODES)
