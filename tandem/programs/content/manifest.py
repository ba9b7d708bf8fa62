"""Checking and parsing ``manifest.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import (
    DEFAULT_LANGUAGE,
    Condition,
    InstrumentSchedule,
    Pacing,
    Report,
    Source,
)
from .schema import (
    CODE_RE,
    FORMAT_VERSION,
    ICD10_RE,
    INSTRUMENT_RE,
    LANG_RE,
    PACING_POLICIES,
    SCHEDULE_WHEN,
    SEMVER_RE,
    Checker,
)
from .yamlio import YMap

FILE = "manifest.yaml"
MANIFEST_KEYS = (
    "format",
    "code",
    "version",
    "languages",
    "title",
    "summary",
    "condition",
    "default_pacing",
    "sources",
    "instruments",
    "modules",
    "authors",
    "license",
)


@dataclass(frozen=True)
class ModuleEntry:
    id: str
    optional: bool
    minutes: int
    line: int


@dataclass
class ManifestData:
    languages: tuple[str, ...]
    modules: list[ModuleEntry] = field(default_factory=list)
    instrument_refs: list[tuple[str, str, int]] = field(default_factory=list)
    program_fields: dict | None = None  # keyword arguments for Program (without modules)


def parse_manifest(report: Report, m: YMap, directory_name: str) -> ManifestData:
    languages = _languages(report, m)
    ck = Checker(report, FILE, languages)
    ck.keys(m, MANIFEST_KEYS, "the manifest")
    where = "manifest"
    fmt = ck.integer(m, "format", where, default=FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        ck.error(
            m.line_of("format"),
            f"format {fmt} is not supported (this Tandem reads format {FORMAT_VERSION})",
            "bad-format",
        )
    code = ck.identifier(m, "code", where, CODE_RE)
    if code is not None and code != directory_name:
        ck.error(
            m.line_of("code"),
            f"code '{code}' must equal the package directory name '{directory_name}'",
            "code-mismatch",
        )
    version = _version(ck, m)
    title = ck.localized(m, "title", where)
    summary = ck.localized(m, "summary", where)
    condition = _condition(ck, m)
    pacing = _pacing(ck, m)
    sources = _sources(ck, m)
    data = ManifestData(languages)
    schedule = _schedule(ck, m, data)
    _modules(ck, m, data)
    authors = tuple(a for a in ck.items(m, "authors", where) if _is_text(ck, m, "authors", a))
    license_text = ck.text(m, "license", where)
    ck.flush_translations()
    values = (code, version, title, summary, condition, pacing)
    if all(v is not None for v in values) and sources:
        data.program_fields = {
            "code": code,
            "version": version,
            "languages": languages,
            "title": title,
            "summary": summary,
            "condition": condition,
            "pacing": pacing,
            "sources": sources,
            "instruments": schedule,
            "authors": authors,
            "license": license_text,
            "format": FORMAT_VERSION,
        }
    return data


def _is_text(ck: Checker, m: YMap, key: str, value: object) -> bool:
    if isinstance(value, str) and value.strip():
        return True
    ck.error(m.line_of(key), f"every entry of '{key}' must be text", "wrong-type")
    return False


def _languages(report: Report, m: YMap) -> tuple[str, ...]:
    ck = Checker(report, FILE, ())
    seq = ck.items(m, "languages", "manifest", required=True)
    out: list[str] = []
    for index, lang in enumerate(seq):
        line = seq.line_of(index)
        if not isinstance(lang, str) or not LANG_RE.match(lang):
            ck.error(
                line,
                f"'{lang}' is not a language code (use two lowercase letters, e.g. en, fi, sv)",
                "bad-language",
            )
        elif lang in out:
            ck.error(line, f"language '{lang}' is listed twice", "duplicate-id")
        else:
            out.append(lang)
    if "languages" in m and DEFAULT_LANGUAGE not in out:
        ck.error(
            m.line_of("languages"),
            "languages must include 'en': English is the fallback for every missing translation",
            "missing-field",
        )
    if DEFAULT_LANGUAGE in out:
        out.remove(DEFAULT_LANGUAGE)
    return (DEFAULT_LANGUAGE, *out)


def _version(ck: Checker, m: YMap) -> str | None:
    value = m.get("version")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ck.error(
            m.line_of("version"),
            f'version must be text like "1.0.0" (quote it); got {value}',
            "wrong-type",
        )
        return None
    version = ck.text(m, "version", "manifest", required=True)
    if version is not None and not SEMVER_RE.match(version):
        ck.error(
            m.line_of("version"),
            f"version '{version}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)",
            "bad-version",
        )
        return None
    return version


def _condition(ck: Checker, m: YMap) -> Condition | None:
    raw = ck.get(m, "condition", dict, "manifest", required=True)
    if raw is None:
        return None
    ck.keys(raw, ("label", "icd10"), "condition")
    label = ck.localized(raw, "label", "condition")
    codes = []
    seq = ck.items(raw, "icd10", "condition")
    for index, code in enumerate(seq):
        if not isinstance(code, str) or not ICD10_RE.match(code):
            ck.error(
                seq.line_of(index), f"'{code}' is not an ICD-10 code (e.g. F32.1)", "bad-value"
            )
        else:
            codes.append(code)
    return Condition(label, tuple(codes)) if label is not None else None


def _pacing(ck: Checker, m: YMap) -> Pacing | None:
    raw = ck.get(m, "default_pacing", dict, "manifest", required=True)
    if raw is None:
        return None
    where = "default_pacing"
    ck.keys(raw, ("policy", "interval_days"), where)
    policy = ck.get(raw, "policy", str, where, required=True)
    if policy is not None and policy not in PACING_POLICIES:
        ck.error(
            raw.line_of("policy"),
            f"unknown pacing policy '{policy}' (allowed: {', '.join(PACING_POLICIES)})",
            "bad-value",
        )
        return None
    interval = ck.integer(raw, "interval_days", where, low=1, high=90)
    if policy == "weekly" and interval is None and "interval_days" not in raw:
        ck.error(raw.line, "the weekly policy needs interval_days (e.g. 7)", "missing-field")
        return None
    if policy != "weekly" and "interval_days" in raw:
        ck.error(
            raw.line_of("interval_days"),
            "interval_days is only used by the weekly policy",
            "bad-value",
        )
    if policy is None:
        return None
    return Pacing(policy, interval if policy == "weekly" else None)


def _sources(ck: Checker, m: YMap) -> tuple[Source, ...]:
    seq = ck.items(m, "sources", "manifest", required=True)
    if "sources" in m and not seq:
        ck.error(m.line_of("sources"), "list at least one clinical source", "too-few")
    out = []
    for index, raw in enumerate(seq):
        line = seq.line_of(index)
        if isinstance(raw, str) and raw.strip():
            out.append(Source(raw.strip()))
            continue
        s = ck.mapping(raw, line, "a source")
        if s is None:
            continue
        ck.keys(s, ("citation", "url"), "source")
        citation = ck.text(s, "citation", "source", required=True)
        url = ck.text(s, "url", "source")
        if url is not None and not url.startswith(("https://", "http://")):
            ck.error(s.line_of("url"), "a source url must start with https://", "bad-link")
            url = None
        if citation:
            out.append(Source(citation, url))
    return tuple(out)


def _schedule(ck: Checker, m: YMap, data: ManifestData) -> tuple[InstrumentSchedule, ...]:
    out = []
    seen: dict[tuple, int] = {}
    seq = ck.items(m, "instruments", "manifest")
    for index, raw in enumerate(seq):
        s = ck.mapping(raw, seq.line_of(index), "an instrument schedule entry")
        if s is None:
            continue
        where = "instrument schedule entry"
        ck.keys(s, ("instrument", "when", "offset_days"), where)
        code = ck.get(s, "instrument", str, where, required=True)
        if code is not None and not INSTRUMENT_RE.match(code):
            ck.error(
                s.line_of("instrument"),
                f"'{code}' is not a valid instrument code "
                "(lowercase letters and digits, e.g. phq9)",
                "bad-id",
            )
            code = None
        when = ck.get(s, "when", str, where, required=True)
        if when is not None and when not in SCHEDULE_WHEN:
            ck.error(
                s.line_of("when"),
                f"unknown schedule '{when}' (allowed: {', '.join(SCHEDULE_WHEN)})",
                "bad-value",
            )
            when = None
        offset = ck.integer(s, "offset_days", where, low=0, high=3650)
        if when == "followup" and offset is None and "offset_days" not in s:
            ck.error(s.line, "a followup needs offset_days (days after the end)", "missing-field")
        if code is None or when is None:
            continue
        data.instrument_refs.append((FILE, code, s.line_of("instrument")))
        key = (code, when, offset)
        if key in seen:
            ck.error(
                s.line, f"'{code}' is already scheduled '{when}' (line {seen[key]})", "duplicate-id"
            )
            continue
        seen[key] = s.line
        out.append(InstrumentSchedule(code, when, offset))
    return tuple(out)


def _modules(ck: Checker, m: YMap, data: ManifestData) -> None:
    seq = ck.items(m, "modules", "manifest", required=True)
    if "modules" in m and not seq:
        ck.error(m.line_of("modules"), "a program needs at least one module", "too-few")
    ids = []
    for index, raw in enumerate(seq):
        e = ck.mapping(raw, seq.line_of(index), "a module entry")
        if e is None:
            continue
        module_id = ck.identifier(e, "id", "module entry")
        where = f"module '{module_id}'"
        ck.keys(e, ("id", "optional", "minutes"), where)
        optional = ck.flag(e, "optional", where)
        minutes = ck.integer(e, "minutes", where, required=True, low=1, high=600)
        ids.append((module_id, e.line))
        if module_id is not None and minutes is not None:
            if module_id in {x.id for x in data.modules}:
                continue
            data.modules.append(ModuleEntry(module_id, optional, minutes, e.line))
    ck.unique(ids, "module")
