"""Validate a parsed instrument YAML document into an :class:`InstrumentDefinition`.

Pure: takes plain Python data (what ``yaml.safe_load`` returns) and a ``source`` name for
messages. Every error is a :class:`DefinitionError` naming the source and the field,
e.g. ``content/instruments/phq9.yaml: bands[2].max: ...`` (list indexes are 0-based).
Unknown fields are errors too, so a typo never silently disables a rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from tandem.assessments.parsing.items import parse_items, parse_option_sets
from tandem.assessments.parsing.readers import (
    CODE_RE,
    LANG_RE,
    Ctx,
    as_list,
    as_mapping,
    as_number,
    as_str,
    as_text,
)
from tandem.assessments.parsing.rules import (
    parse_critical_items,
    parse_cutoff,
    parse_flags,
    parse_followups,
)
from tandem.assessments.parsing.scales import parse_bands, parse_scoring
from tandem.assessments.schema import (
    InstrumentDefinition,
    Licence,
    ReliableChange,
    Source,
    Text,
)

__all__ = ["SERVICE_LANGUAGES", "parse_definition"]

#: Languages Tandem serves; each must be shipped or explained in translations_missing.
SERVICE_LANGUAGES = ("en", "fi", "sv")
TOP_REQUIRED = {
    "code",
    "version",
    "name",
    "short_name",
    "direction",
    "languages",
    "licence",
    "source",
    "recall_period",
    "instructions",
    "options",
    "items",
    "scoring",
    "bands",
}
TOP_OPTIONAL = {
    "construct",
    "translations_missing",
    "placeholders",
    "critical_items",
    "followup",
    "flags",
    "reliable_change",
    "clinical_cutoff",
    "cutoffs",
    "notes",
}


def parse_languages(data: Mapping[str, Any], ctx: Ctx) -> tuple[tuple[str, ...], Mapping[str, str]]:
    languages = tuple(
        as_str(lang, ctx.key("languages").index(i), pattern=LANG_RE)
        for i, lang in enumerate(as_list(data["languages"], ctx.key("languages")))
    )
    if "en" not in languages:
        ctx.key("languages").fail("must include en")
    if len(set(languages)) != len(languages):
        ctx.key("languages").fail("lists a language twice")
    missing: dict[str, str] = {}
    if "translations_missing" in data:
        mctx = ctx.key("translations_missing")
        raw = data["translations_missing"]
        if not isinstance(raw, dict):
            mctx.fail("must be a mapping of language code to a note")
        for lang, note in raw.items():
            as_str(lang, mctx, pattern=LANG_RE)
            if lang in languages:
                mctx.key(lang).fail(f"'{lang}' is listed in languages, so it is not missing")
            missing[lang] = as_str(note, mctx.key(lang))
    for lang in SERVICE_LANGUAGES:
        if lang not in languages and lang not in missing:
            ctx.key("translations_missing").fail(
                f"'{lang}' is not in languages: say why "
                "(e.g. the official translation is not yet obtained)"
            )
    return languages, MappingProxyType(missing)


def parse_definition(
    data: object, *, source: str, expected_code: str | None = None
) -> InstrumentDefinition:
    """Validate a parsed YAML document. ``expected_code`` is the file stem, if any."""
    ctx = Ctx(source)
    doc = as_mapping(data, ctx, TOP_REQUIRED, TOP_OPTIONAL)
    code = as_str(doc["code"], ctx.key("code"), pattern=CODE_RE)
    if expected_code is not None and code != expected_code:
        ctx.key("code").fail(f"{code!r} must equal the file name stem {expected_code!r}")
    version = doc["version"]
    if isinstance(version, bool) or not isinstance(version, str | int | float):
        ctx.key("version").fail("must be a string such as '1'")
    version = as_str(str(version), ctx.key("version"))
    languages, translations_missing = parse_languages(doc, ctx)
    name = as_text(doc["name"], ctx.key("name"), languages)
    recall_period = as_text(doc["recall_period"], ctx.key("recall_period"), languages)
    instructions = as_text(doc["instructions"], ctx.key("instructions"), languages)

    placeholders: dict[str, Text] = {}
    if "placeholders" in doc:
        pctx = ctx.key("placeholders")
        if not isinstance(doc["placeholders"], dict):
            pctx.fail("must be a mapping of placeholder name to default text")
        for placeholder, text in doc["placeholders"].items():
            as_str(placeholder, pctx, pattern=re.compile(r"^[a-z_]+$"))
            placeholders[placeholder] = as_text(text, pctx.key(placeholder))

    lctx = ctx.key("licence")
    lic = as_mapping(
        doc["licence"], lctx, {"group", "status", "attribution", "source_url"}, {"conditions"}
    )
    licence = Licence(
        group=as_str(
            lic["group"], lctx.key("group"), choices=("free", "free_with_conditions", "restricted")
        ),  # type: ignore[arg-type]
        status=as_str(lic["status"], lctx.key("status")),
        attribution=as_str(lic["attribution"], lctx.key("attribution")),
        source_url=as_str(
            lic["source_url"], lctx.key("source_url"), pattern=re.compile(r"^https?://")
        ),
        conditions=as_str(lic["conditions"], lctx.key("conditions")) if "conditions" in lic else "",
    )
    sctx = ctx.key("source")
    src = as_mapping(doc["source"], sctx, {"citation"}, {"manual", "url", "references"})
    source_info = Source(
        citation=as_str(src["citation"], sctx.key("citation")),
        manual=as_str(src["manual"], sctx.key("manual")) if "manual" in src else "",
        url=as_str(src["url"], sctx.key("url"), pattern=re.compile(r"^https?://"))
        if "url" in src
        else "",
        references=tuple(
            as_str(r, sctx.key("references").index(i))
            for i, r in enumerate(
                as_list(src.get("references", []), sctx.key("references"), allow_empty=True)
            )
        ),
    )

    option_sets = parse_option_sets(doc["options"], ctx.key("options"), languages)
    items = parse_items(doc["items"], ctx.key("items"), languages, option_sets, placeholders)
    used = {item.options.code for item in items}
    for set_code in option_sets:
        if set_code not in used:
            ctx.key("options").key(set_code).fail("option set is not used by any item")
    scoring = parse_scoring(doc["scoring"], ctx.key("scoring"), items)
    bands = parse_bands(doc["bands"], ctx.key("bands"), scoring)
    critical = parse_critical_items(doc.get("critical_items", []), ctx.key("critical_items"), items)
    followups = parse_followups(doc.get("followup", []), ctx.key("followup"), items, critical)
    flags = parse_flags(doc.get("flags", []), ctx.key("flags"), items, scoring)

    direction = as_str(
        doc["direction"], ctx.key("direction"), choices=("higher_is_worse", "higher_is_better")
    )
    reliable = None
    if "reliable_change" in doc:
        rctx = ctx.key("reliable_change")
        rc = as_mapping(doc["reliable_change"], rctx, {"threshold", "source"}, {"note"})
        threshold = as_number(rc["threshold"], rctx.key("threshold"))
        if threshold <= 0:
            rctx.key("threshold").fail("must be positive")
        reliable = ReliableChange(
            threshold=threshold,
            source=as_str(rc["source"], rctx.key("source")),
            note=as_str(rc["note"], rctx.key("note")) if "note" in rc else "",
        )
    clinical = None
    if "clinical_cutoff" in doc:
        cctx = ctx.key("clinical_cutoff")
        clinical = parse_cutoff(doc["clinical_cutoff"], cctx, scoring, with_code=False)
        worse_high = direction == "higher_is_worse"
        if (clinical.direction in ("at_or_above", "above")) != worse_high:
            cctx.key("direction").fail(f"{clinical.direction} contradicts direction {direction}")
    cutoffs = []
    codes: set[str] = set()
    for i, raw in enumerate(as_list(doc.get("cutoffs", []), ctx.key("cutoffs"), allow_empty=True)):
        cutoff = parse_cutoff(raw, ctx.key("cutoffs").index(i), scoring, with_code=True)
        if cutoff.code in codes:
            ctx.key("cutoffs").index(i).key("code").fail(f"duplicate cut-off code {cutoff.code!r}")
        codes.add(cutoff.code)
        cutoffs.append(cutoff)

    return InstrumentDefinition(
        code=code,
        version=version,
        name=name,
        short_name=as_str(doc["short_name"], ctx.key("short_name")),
        direction=direction,  # type: ignore[arg-type]
        languages=languages,
        licence=licence,
        source=source_info,
        recall_period=recall_period,
        instructions=instructions,
        option_sets=MappingProxyType(option_sets),
        items=items,
        scoring=scoring,
        bands=bands,
        construct=as_str(doc["construct"], ctx.key("construct")) if "construct" in doc else "",
        translations_missing=translations_missing,
        placeholders=MappingProxyType(placeholders),
        critical_items=critical,
        followups=followups,
        flags=flags,
        reliable_change=reliable,
        clinical_cutoff=clinical,
        cutoffs=tuple(cutoffs),
        notes=as_str(doc["notes"], ctx.key("notes")) if "notes" in doc else "",
        origin=source,
    )
