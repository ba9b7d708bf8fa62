"""Vocabulary of the package format and small helpers to check YAML values.

The helpers report into a ``Report`` with the file and line of the offending key
and return a usable value (or ``None``) so one run finds as many problems as it can.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import DEFAULT_LANGUAGE, Localized, Report
from .yamlio import YList, YMap

FORMAT_VERSION = 1

CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # program code
ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")  # modules, pages, exercises, fields...
INSTRUMENT_RE = re.compile(r"^[a-z0-9]+$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
ICD10_RE = re.compile(r"^[A-Z]\d{2}(?:\.\d{1,2})?$")
MODULE_DIR_RE = re.compile(r"^(\d{2})-(.+)$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
MAX_ID_LENGTH = 64

PACING_POLICIES = ("all_open", "sequential", "weekly", "after_feedback", "therapist")
SCHEDULE_WHEN = ("baseline", "each_module", "weekly", "before_session", "end", "followup")
EXERCISE_TYPES = (
    "reflection",
    "thought_record",
    "activity_plan",
    "exposure_ladder",
    "sleep_diary",
    "goals",
    "checklist",
    "card_sort",
    "diary",
)
FIELD_KINDS = ("time", "number", "scale", "choice", "text")
THOUGHT_RECORD_STEPS = (
    "situation",
    "emotions",
    "automatic_thoughts",
    "thinking_patterns",
    "evidence_for",
    "evidence_against",
    "balanced_thought",
    "rerate",
)
ACTIVITY_RATINGS = ("mastery", "pleasure", "mood")
SLEEP_DIARY_FIELDS = (
    "bedtime",
    "lights_out",
    "sleep_latency_minutes",
    "awakenings",
    "awake_minutes",
    "final_wake",
    "out_of_bed",
    "quality",
    "naps_minutes",
    "notes",
)
FEEDBACK_PLACEHOLDERS = ("name", "therapist")


class Checker:
    """Reports problems found in one file of the package."""

    def __init__(self, report: Report, file: str, languages: Iterable[str]) -> None:
        self.report = report
        self.file = file
        self.languages = tuple(languages)
        # language -> [count, first line] of texts lacking that translation
        self.missing: dict[str, list[int]] = {}

    # -- reporting --
    def error(self, line: int | None, message: str, code: str = "invalid") -> None:
        self.report.error(self.file, line, message, code)

    def warn(self, line: int | None, message: str, code: str = "invalid") -> None:
        self.report.warn(self.file, line, message, code)

    def flush_translations(self) -> None:
        """One warning per missing language in this file, pointing at the first gap."""
        for lang, (count, first) in sorted(self.missing.items()):
            noun = "text has" if count == 1 else "texts have"
            self.warn(
                first,
                f"{count} {noun} no '{lang}' translation (first at line {first}); "
                "English is shown instead",
                "missing-translation",
            )
        self.missing.clear()

    # -- structure --
    def mapping(self, value: object, line: int, where: str) -> YMap | None:
        if isinstance(value, YMap):
            return value
        self.error(line, f"{where} must be a mapping (key: value lines)", "wrong-type")
        return None

    def keys(self, m: YMap, allowed: Iterable[str], where: str) -> None:
        allowed = tuple(allowed)
        for key in m:
            if key not in allowed:
                hint = ", ".join(allowed)
                self.error(
                    m.line_of(key),
                    f"unknown field '{key}' in {where} (allowed: {hint})",
                    "unknown-field",
                )

    def get(
        self,
        m: YMap,
        key: str,
        kind: type | tuple[type, ...],
        where: str,
        *,
        required: bool = False,
        default: object = None,
    ) -> object:
        if key not in m or m[key] is None:
            if required:
                self.error(m.line, f"{where}: required field '{key}' is missing", "missing-field")
            return default
        value = m[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        is_bool = isinstance(value, bool)
        ok = isinstance(value, kinds) and not (is_bool and bool not in kinds)
        if int in kinds and float not in kinds and isinstance(value, float):
            ok = False
        if not ok:
            self.error(
                m.line_of(key),
                f"{where}: '{key}' must be {_type_name(kinds)}, not {_type_name(type(value))}",
                "wrong-type",
            )
            return default
        return value

    def text(self, m: YMap, key: str, where: str, *, required: bool = False) -> str | None:
        value = self.get(m, key, str, where, required=required)
        if isinstance(value, str) and not value.strip():
            self.error(m.line_of(key), f"{where}: '{key}' must not be empty", "missing-field")
            return None
        return value if isinstance(value, str) else None

    def flag(self, m: YMap, key: str, where: str, default: bool = False) -> bool:
        value = self.get(m, key, bool, where, default=default)
        return bool(value)

    def integer(
        self,
        m: YMap,
        key: str,
        where: str,
        *,
        required: bool = False,
        default: int | None = None,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
        value = self.get(m, key, int, where, required=required, default=None)
        if value is None:
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.error(m.line_of(key), f"{where}: '{key}' must be {bounds}", "out-of-range")
            return default
        return value

    def identifier(self, m: YMap, key: str, where: str, pattern: re.Pattern = ID_RE) -> str | None:
        value = self.get(m, key, str, where, required=True)
        if value is None:
            return None
        if len(value) > MAX_ID_LENGTH or not pattern.match(value):
            self.error(
                m.line_of(key),
                f"{where}: '{value}' is not a valid id (use lowercase letters, digits and "
                "hyphens, at most 64 characters)",
                "bad-id",
            )
            return None
        return value

    def items(self, m: YMap, key: str, where: str, *, required: bool = False) -> YList:
        value = self.get(m, key, list, where, required=required)
        if value is None:
            return YList(m.line_of(key))
        return value

    def localized(
        self, m: YMap, key: str, where: str, *, required: bool = True
    ) -> Localized | None:
        if key not in m or m[key] is None:
            if required:
                self.error(m.line, f"{where}: required field '{key}' is missing", "missing-field")
            return None
        return self.localized_value(m[key], m.line_of(key), f"{where} '{key}'")

    def localized_value(self, value: object, line: int, where: str) -> Localized | None:
        if isinstance(value, str):
            self.error(
                line,
                f"{where} must give the text per language, e.g. 'en: ...' on the next line",
                "wrong-type",
            )
            return None
        if not isinstance(value, YMap):
            self.error(line, f"{where} must be a mapping of language to text", "wrong-type")
            return None
        texts: dict[str, str] = {}
        for lang, text in value.items():
            at = value.line_of(lang)
            if not isinstance(lang, str) or lang not in self.languages:
                self.error(
                    at,
                    f"{where}: language '{lang}' is not listed in the manifest's languages",
                    "unknown-language",
                )
                continue
            if not isinstance(text, str) or not text.strip():
                self.error(at, f"{where}: the '{lang}' text must be non-empty text", "wrong-type")
                continue
            texts[lang] = text.strip()
        if DEFAULT_LANGUAGE not in texts:
            if DEFAULT_LANGUAGE not in value:
                self.error(
                    value.line, f"{where}: the English ('en') text is required", "missing-field"
                )
            return None
        for lang in self.languages:
            if lang not in texts and lang not in value:
                entry = self.missing.setdefault(lang, [0, value.line])
                entry[0] += 1
        return Localized(tuple((lang, texts[lang]) for lang in self.languages if lang in texts))

    def localized_list(self, m: YMap, key: str, where: str) -> tuple[Localized, ...]:
        out = []
        seq = self.items(m, key, where)
        for index, value in enumerate(seq):
            loc = self.localized_value(value, seq.line_of(index), f"{where} '{key}' item")
            if loc is not None:
                out.append(loc)
        return tuple(out)

    def unique(self, ids: list[tuple[str | None, int]], what: str) -> None:
        seen: dict[str, int] = {}
        for value, line in ids:
            if value is None:
                continue
            if value in seen:
                self.error(
                    line,
                    f"duplicate {what} id '{value}' (first at line {seen[value]})",
                    "duplicate-id",
                )
            else:
                seen[value] = line


def _type_name(kinds: object) -> str:
    names = {
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
        YMap: "a mapping",
        YList: "a list",
        type(None): "empty",
    }
    if isinstance(kinds, tuple):
        return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
    return names.get(kinds, getattr(kinds, "__name__", str(kinds)))  # type: ignore[arg-type]
