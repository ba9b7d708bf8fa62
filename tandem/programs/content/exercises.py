"""Parsing and checking of exercises declared in ``module.yaml``."""

from __future__ import annotations

from .model import (
    ActivityPlanConfig,
    CardSortConfig,
    ChecklistConfig,
    Choice,
    DiaryConfig,
    Exercise,
    ExposureLadderConfig,
    FeedbackTemplate,
    FieldSpec,
    GoalsConfig,
    Item,
    Pile,
    Prompt,
    ReflectionConfig,
    SleepDiaryConfig,
    ThoughtRecordConfig,
)
from .schema import (
    ACTIVITY_RATINGS,
    EXERCISE_TYPES,
    FEEDBACK_PLACEHOLDERS,
    FIELD_KINDS,
    PLACEHOLDER_RE,
    SLEEP_DIARY_FIELDS,
    THOUGHT_RECORD_STEPS,
    Checker,
)
from .yamlio import YList, YMap

COMMON_KEYS = (
    "id",
    "type",
    "title",
    "instructions",
    "optional",
    "repeatable",
    "after_page",
    "feedback",
)
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "reflection": ("prompts",),
    "thought_record": ("steps", "emotion_suggestions", "thinking_patterns"),
    "activity_plan": ("ratings", "suggestions"),
    "exposure_ladder": ("max_steps", "examples"),
    "sleep_diary": ("fields",),
    "goals": ("max_goals", "smart_prompts", "examples"),
    "checklist": ("items",),
    "card_sort": ("cards", "piles", "allow_custom"),
    "diary": ("fields", "chart"),
}
FIELD_COMMON = ("id", "kind", "label", "help", "required")
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "time": ("include_date",),
    "number": ("min", "max", "step", "unit"),
    "scale": ("min", "max", "min_label", "max_label"),
    "choice": ("choices", "multiple"),
    "text": ("max_length", "multiline"),
}
MAX_TEXT_LENGTH = 20000


def parse_exercise(ck: Checker, raw: object, line: int) -> Exercise | None:
    m = ck.mapping(raw, line, "exercise")
    if m is None:
        return None
    ex_id = ck.identifier(m, "id", "exercise")
    where = f"exercise '{ex_id or '?'}'"
    ex_type = ck.get(m, "type", str, where, required=True)
    if ex_type is not None and ex_type not in EXERCISE_TYPES:
        ck.error(
            m.line_of("type"),
            f"{where}: unknown exercise type '{ex_type}' (known types: "
            f"{', '.join(EXERCISE_TYPES)})",
            "unknown-exercise-type",
        )
        ex_type = None
    if ex_type is not None:
        ck.keys(m, COMMON_KEYS + TYPE_KEYS[ex_type], where)
    title = ck.localized(m, "title", where)
    instructions = ck.localized(m, "instructions", where)
    optional = ck.flag(m, "optional", where)
    repeatable = ck.flag(m, "repeatable", where)
    after_page = ck.identifier(m, "after_page", where) if "after_page" in m else None
    feedback = _feedback(ck, m, where)
    config = _CONFIG_PARSERS[ex_type](ck, m, where) if ex_type else None
    if None in (ex_id, title, instructions, config):
        return None
    return Exercise(
        id=ex_id,
        type=ex_type,
        title=title,
        instructions=instructions,
        config=config,
        optional=optional,
        repeatable=repeatable,
        after_page=after_page,
        feedback=feedback,
    )


def _feedback(ck: Checker, m: YMap, where: str) -> tuple[FeedbackTemplate, ...]:
    if "feedback" not in m:
        ck.warn(m.line, f"{where}: no feedback templates for the therapist", "no-feedback")
        return ()
    out = []
    ids = []
    seq = ck.items(m, "feedback", where)
    for index, raw in enumerate(seq):
        t = ck.mapping(raw, seq.line_of(index), f"{where} feedback template")
        if t is None:
            continue
        t_id = ck.identifier(t, "id", f"{where} feedback template")
        ids.append((t_id, t.line))
        tw = f"{where} feedback '{t_id}'"
        ck.keys(t, ("id", "label", "text"), tw)
        label = ck.localized(t, "label", tw)
        text = ck.localized(t, "text", tw)
        if text is not None:
            for lang, body in text.values:
                for name in PLACEHOLDER_RE.findall(body):
                    if name not in FEEDBACK_PLACEHOLDERS:
                        ck.error(
                            t.line_of("text"),
                            f"{tw}: unknown placeholder '{{{name}}}' in the '{lang}' text "
                            f"(allowed: {', '.join('{' + p + '}' for p in FEEDBACK_PLACEHOLDERS)})",
                            "bad-placeholder",
                        )
        if t_id and label and text:
            out.append(FeedbackTemplate(t_id, label, text))
    ck.unique(ids, "feedback template")
    return tuple(out)


def _entries(ck: Checker, m: YMap, key: str, where: str, *, minimum: int) -> list[YMap]:
    """A list of mappings with unique ``id``s; at least ``minimum`` of them."""
    seq = ck.items(m, key, where, required=minimum > 0)
    if key in m and isinstance(seq, YList) and len(seq) < minimum:
        ck.error(m.line_of(key), f"{where}: '{key}' needs at least {minimum} entries", "too-few")
    out = []
    ids = []
    for index, raw in enumerate(seq):
        entry = ck.mapping(raw, seq.line_of(index), f"{where} '{key}' entry")
        if entry is not None:
            out.append(entry)
            ids.append((entry.get("id") if isinstance(entry.get("id"), str) else None, entry.line))
    ck.unique(ids, f"{where} '{key}'")
    return out


def _items(
    ck: Checker,
    m: YMap,
    key: str,
    where: str,
    *,
    minimum: int,
    text_key: str = "text",
    described: bool = False,
) -> tuple[Item, ...]:
    out = []
    for entry in _entries(ck, m, key, where, minimum=minimum):
        item_id = ck.identifier(entry, "id", f"{where} '{key}' entry")
        iw = f"{where} '{key}' entry '{item_id}'"
        ck.keys(entry, ("id", text_key, "description") if described else ("id", text_key), iw)
        text = ck.localized(entry, text_key, iw)
        description = ck.localized(entry, "description", iw, required=False)
        if item_id and text:
            out.append(Item(item_id, text, description))
    return tuple(out)


def _subset(
    ck: Checker,
    m: YMap,
    key: str,
    where: str,
    allowed: tuple[str, ...],
    default: tuple[str, ...],
    *,
    ordered: bool,
) -> tuple[str, ...]:
    if key not in m:
        return default
    seq = ck.items(m, key, where)
    out: list[str] = []
    for index, value in enumerate(seq):
        line = seq.line_of(index)
        if value not in allowed:
            ck.error(
                line,
                f"{where}: unknown {key} value '{value}' (allowed: {', '.join(allowed)})",
                "bad-value",
            )
        elif value in out:
            ck.error(line, f"{where}: '{value}' is listed twice in '{key}'", "duplicate-id")
        else:
            out.append(value)
    if ordered and out != sorted(out, key=allowed.index):
        ck.error(
            seq.line, f"{where}: '{key}' must keep this order: {', '.join(allowed)}", "bad-value"
        )
    if not out and seq:
        return default
    if not out:
        ck.error(seq.line, f"{where}: '{key}' must not be empty", "too-few")
    return tuple(out)


def _reflection(ck: Checker, m: YMap, where: str) -> ReflectionConfig | None:
    prompts = []
    for entry in _entries(ck, m, "prompts", where, minimum=1):
        p_id = ck.identifier(entry, "id", f"{where} prompt")
        pw = f"{where} prompt '{p_id}'"
        ck.keys(entry, ("id", "text", "required", "max_length"), pw)
        text = ck.localized(entry, "text", pw)
        required = ck.flag(entry, "required", pw)
        max_length = ck.integer(entry, "max_length", pw, low=1, high=MAX_TEXT_LENGTH)
        if p_id and text:
            prompts.append(Prompt(p_id, text, required, max_length))
    return ReflectionConfig(tuple(prompts)) if prompts else None


def _thought_record(ck: Checker, m: YMap, where: str) -> ThoughtRecordConfig:
    patterns = _items(
        ck, m, "thinking_patterns", where, minimum=0, text_key="label", described=True
    )
    default = tuple(s for s in THOUGHT_RECORD_STEPS if s != "thinking_patterns" or patterns)
    steps = _subset(ck, m, "steps", where, THOUGHT_RECORD_STEPS, default, ordered=True)
    if "thinking_patterns" in steps and not patterns:
        ck.error(
            m.line_of("steps"),
            f"{where}: the 'thinking_patterns' step needs a 'thinking_patterns' list",
            "missing-field",
        )
    if "rerate" in steps and "emotions" not in steps:
        ck.error(m.line_of("steps"), f"{where}: 'rerate' needs the 'emotions' step", "bad-value")
    suggestions = ck.localized_list(m, "emotion_suggestions", where)
    return ThoughtRecordConfig(steps, suggestions, patterns)


def _activity_plan(ck: Checker, m: YMap, where: str) -> ActivityPlanConfig:
    ratings = _subset(
        ck, m, "ratings", where, ACTIVITY_RATINGS, ("mastery", "pleasure"), ordered=False
    )
    return ActivityPlanConfig(ratings, 10, ck.localized_list(m, "suggestions", where))


def _exposure_ladder(ck: Checker, m: YMap, where: str) -> ExposureLadderConfig:
    max_steps = ck.integer(m, "max_steps", where, default=10, low=3, high=20)
    return ExposureLadderConfig(max_steps, 100, ck.localized_list(m, "examples", where))


def _sleep_diary(ck: Checker, m: YMap, where: str) -> SleepDiaryConfig:
    return SleepDiaryConfig(
        _subset(ck, m, "fields", where, SLEEP_DIARY_FIELDS, SLEEP_DIARY_FIELDS, ordered=True)
    )


def _goals(ck: Checker, m: YMap, where: str) -> GoalsConfig:
    return GoalsConfig(
        ck.integer(m, "max_goals", where, default=3, low=1, high=10),
        ck.flag(m, "smart_prompts", where, default=True),
        ck.localized_list(m, "examples", where),
    )


def _checklist(ck: Checker, m: YMap, where: str) -> ChecklistConfig | None:
    items = _items(ck, m, "items", where, minimum=1)
    return ChecklistConfig(items) if items else None


def _card_sort(ck: Checker, m: YMap, where: str) -> CardSortConfig | None:
    cards = _items(ck, m, "cards", where, minimum=2, described=True)
    piles = []
    for entry in _entries(ck, m, "piles", where, minimum=2):
        p_id = ck.identifier(entry, "id", f"{where} pile")
        pw = f"{where} pile '{p_id}'"
        ck.keys(entry, ("id", "label", "max_cards"), pw)
        label = ck.localized(entry, "label", pw)
        max_cards = ck.integer(entry, "max_cards", pw, low=1)
        if p_id and label:
            piles.append(Pile(p_id, label, max_cards))
    allow_custom = ck.flag(m, "allow_custom", where)
    if len(cards) < 2 or len(piles) < 2:
        return None
    return CardSortConfig(cards, tuple(piles), allow_custom)


def _diary(ck: Checker, m: YMap, where: str) -> DiaryConfig | None:
    fields = []
    for entry in _entries(ck, m, "fields", where, minimum=1):
        spec = parse_field(ck, entry, where)
        if spec is not None:
            fields.append(spec)
    chart: list[str] = []
    kinds = {f.id: f.kind for f in fields}
    seq = ck.items(m, "chart", where)
    for index, value in enumerate(seq):
        if kinds.get(value) not in ("number", "scale"):
            ck.error(
                seq.line_of(index),
                f"{where}: chart '{value}' must name a number or scale field of this diary",
                "broken-reference",
            )
        else:
            chart.append(value)
    return DiaryConfig(tuple(fields), tuple(chart)) if fields else None


def parse_field(ck: Checker, f: YMap, where: str) -> FieldSpec | None:
    f_id = ck.identifier(f, "id", f"{where} field")
    fw = f"{where} field '{f_id}'"
    kind = ck.get(f, "kind", str, fw, required=True)
    if kind is not None and kind not in FIELD_KINDS:
        ck.error(
            f.line_of("kind"),
            f"{fw}: unknown field kind '{kind}' (allowed: {', '.join(FIELD_KINDS)})",
            "bad-field-kind",
        )
        kind = None
    if kind is not None:
        ck.keys(f, FIELD_COMMON + FIELD_KEYS[kind], fw)
    label = ck.localized(f, "label", fw)
    help_text = ck.localized(f, "help", fw, required=False)
    required = ck.flag(f, "required", fw)
    if kind is None or f_id is None or label is None:
        return None
    spec: dict[str, object] = {}
    if kind in ("number", "scale"):
        numeric = (int, float) if kind == "number" else int
        low = ck.get(f, "min", numeric, fw, required=kind == "scale")
        high = ck.get(f, "max", numeric, fw, required=kind == "scale")
        if low is not None and high is not None and low >= high:
            ck.error(
                f.line_of("min"),
                f"{fw}: min ({low}) must be smaller than max ({high})",
                "bad-range",
            )
            return None
        if kind == "scale" and low is not None and high is not None and high - low > 100:
            ck.error(f.line_of("max"), f"{fw}: a scale may span at most 100 points", "bad-range")
        spec.update(min=low, max=high)
        if kind == "number":
            step = ck.get(f, "step", (int, float), fw)
            if step is not None and step <= 0:
                ck.error(f.line_of("step"), f"{fw}: step must be positive", "bad-range")
                step = None
            spec.update(step=step, unit=ck.localized(f, "unit", fw, required=False))
        else:
            spec.update(
                min_label=ck.localized(f, "min_label", fw, required=False),
                max_label=ck.localized(f, "max_label", fw, required=False),
            )
    elif kind == "choice":
        choices = []
        for entry in _entries(ck, f, "choices", fw, minimum=2):
            c_id = ck.identifier(entry, "id", f"{fw} choice")
            ck.keys(entry, ("id", "label"), f"{fw} choice '{c_id}'")
            c_label = ck.localized(entry, "label", f"{fw} choice '{c_id}'")
            if c_id and c_label:
                choices.append(Choice(c_id, c_label))
        if len(choices) < 2:
            return None
        spec.update(choices=tuple(choices), multiple=ck.flag(f, "multiple", fw))
    elif kind == "text":
        spec.update(
            max_length=ck.integer(f, "max_length", fw, default=1000, low=1, high=MAX_TEXT_LENGTH),
            multiline=ck.flag(f, "multiline", fw),
        )
    elif kind == "time":
        spec.update(include_date=ck.flag(f, "include_date", fw, default=True))
    return FieldSpec(id=f_id, kind=kind, label=label, required=required, help=help_text, **spec)


_CONFIG_PARSERS = {
    "reflection": _reflection,
    "thought_record": _thought_record,
    "activity_plan": _activity_plan,
    "exposure_ladder": _exposure_ladder,
    "sleep_diary": _sleep_diary,
    "goals": _goals,
    "checklist": _checklist,
    "card_sort": _card_sort,
    "diary": _diary,
}
