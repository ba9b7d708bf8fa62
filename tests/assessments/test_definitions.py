"""Instrument definitions: shipped files validate; broken files name the file and field.

Pure tests: no database, no Django settings needed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tandem.assessments import definitions
from tandem.assessments.definitions import (
    DEFAULT_DIRECTORY,
    DefinitionError,
    InstrumentDefinition,
    UnknownInstrument,
    display_path,
    load_all,
    load_file,
    parse_definition,
)
from tandem.assessments.errors import ScoringError
from tandem.assessments.scoring import score, score_definition

SHIPPED = {"phq9", "gad7", "audit", "auditc", "wsas", "who5"}
RESTRICTED = {"isi", "ocir", "pdsssr", "spin"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "instruments.md"


def minimal() -> dict[str, Any]:
    """A small valid definition (placeholder wording) that tests break one field at a time."""
    return {
        "code": "demo",
        "version": "1",
        "short_name": "DEMO",
        "name": {"en": "Demo scale"},
        "direction": "higher_is_worse",
        "languages": ["en"],
        "translations_missing": {"fi": "not yet", "sv": "not yet"},
        "licence": {
            "group": "restricted",
            "status": "test only",
            "attribution": "nobody",
            "source_url": "https://example.org/",
        },
        "source": {"citation": "Test 2024"},
        "recall_period": {"en": "Last week"},
        "instructions": {"en": "Answer each item."},
        "options": {
            "scale": [
                {"value": 0, "label": {"en": "No"}},
                {"value": 1, "label": {"en": "Some"}},
                {"value": 2, "label": {"en": "Much"}},
            ]
        },
        "items": [
            {"number": n, "id": f"q{n}", "text": {"en": f"Item {n}"}, "options": "scale"}
            for n in (1, 2, 3)
        ],
        "scoring": {"method": "sum", "range": [0, 6]},
        "bands": [
            {"min": 0, "max": 1, "label": "low"},
            {"min": 2, "max": 3, "label": "medium"},
            {"min": 4, "max": 6, "label": "high"},
        ],
        "critical_items": [{"item": 3, "op": ">=", "value": 2, "tier": "urgent", "kind": "risk"}],
    }


def write(tmp_path: Path, data: Any, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- shipped files -------------------------------------------------------------------------


def test_every_shipped_file_loads_and_validates() -> None:
    files = sorted(p for p in DEFAULT_DIRECTORY.iterdir() if p.suffix in (".yaml", ".yml"))
    assert {p.stem for p in files} >= SHIPPED
    loaded = load_all(DEFAULT_DIRECTORY)
    assert set(loaded) == {p.stem for p in files}
    for code, definition in loaded.items():
        assert isinstance(definition, InstrumentDefinition)
        assert definition.code == code
        assert definition.origin == f"content/instruments/{code}.yaml"
        # No restricted instrument (or its item texts) is ever shipped.
        assert definition.licence.group != "restricted", code
        assert code not in RESTRICTED
        for lang in ("fi", "sv"):
            assert lang in definition.languages or lang in definition.translations_missing
        assert all(item.text["en"] for item in definition.items)
        low, high = definition.scoring.range
        assert definition.bands[0].min == low
        assert definition.bands[-1].max == high


def test_shipped_rules_match_the_protocol() -> None:
    loaded = load_all(DEFAULT_DIRECTORY)
    phq9 = loaded["phq9"]
    assert [(r.item, r.op, r.value, r.tier) for r in phq9.critical_items] == [
        (9, "==", 1, "review"),
        (9, ">=", 2, "urgent"),
    ]
    questions = phq9.followup_questions()
    assert set(questions) == {"thoughts", "plan", "intent"}
    for _group, question in questions.values():
        assert question.tier_if_yes == "urgent"
        assert set(question.text) == {"en", "fi", "sv"}
    assert not phq9.item(10).scored and not phq9.item(10).required
    assert loaded["audit"].item(9).options.values == {0, 2, 4}
    assert loaded["who5"].direction == "higher_is_better"
    assert loaded["who5"].scoring.multiplier == 4
    for code in ("gad7", "audit", "auditc", "wsas", "who5"):
        assert loaded[code].critical_items == (), code


def test_get_is_cached_and_unknown_code_raises() -> None:
    definitions.clear_cache()
    first = definitions.get("phq9")
    assert definitions.get("phq9") is first
    assert set(definitions.all_definitions()) >= SHIPPED
    with pytest.raises(UnknownInstrument, match="unknown instrument 'nope'") as info:
        definitions.get("nope")
    assert isinstance(info.value, ScoringError)
    assert isinstance(info.value, ValueError)


def test_display_path_is_repository_relative() -> None:
    assert display_path(DEFAULT_DIRECTORY / "phq9.yaml") == "content/instruments/phq9.yaml"


def test_minimal_definition_is_valid(tmp_path: Path) -> None:
    definition = load_file(write(tmp_path, minimal()))
    assert definition.code == "demo"
    assert score_definition(definition, [0, 1, 2]).band == "medium"


# --- broken definitions name the file and the field -----------------------------------------

Mutator = Callable[[dict[str, Any]], None]


DELETE = object()


def _set(path: str, value: Any) -> Mutator:
    """Set (or DELETE) the value at a path such as ``bands[1].min``."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
        node: Any = data
        for key in parents:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


def _both(*mutators: Mutator) -> Mutator:
    def mutate(data: dict[str, Any]) -> None:
        for mutator in mutators:
            mutator(data)

    return mutate


BROKEN: list[tuple[str, Mutator, str, str]] = [
    ("missing field", _set("bands", DELETE), "bands", "required field is missing"),
    (
        "missing licence field",
        _set("licence.attribution", DELETE),
        "licence.attribution",
        "missing",
    ),
    ("band gap", _set("bands[1].min", 3), "bands[1].min", "gap"),
    ("band overlap", _set("bands[2].min", 3), "bands[2].min", "overlaps"),
    ("band max below min", _set("bands[1].max", 1), "bands[1].max", "below min"),
    ("band max not int", _set("bands[1].max", "3"), "bands[1].max", "must be a number"),
    ("last band short", _set("bands[2].max", 5), "bands[2].max", "scale maximum 6"),
    ("first band late", _set("bands[0].min", 1), "bands[0].min", "scale minimum 0"),
    ("duplicate band label", _set("bands[1].label", "low"), "bands[1].label", "duplicate"),
    ("bad code", _set("code", "Demo-1"), "code", "does not match"),
    ("code differs from file", _set("code", "other"), "code", "file name stem"),
    (
        "unknown option set",
        _set("items[1].options", "likert"),
        "items[1].options",
        "unknown option set",
    ),
    ("typo in field", _set("items[0].reverese", True), "items[0].reverese", "unknown field"),
    ("item numbering", _set("items[2].number", 4), "items[2].number", "expected 3"),
    ("duplicate item id", _set("items[2].id", "q1"), "items[2].id", "duplicate"),
    (
        "missing language",
        _both(_set("languages", ["en", "fi"]), _set("translations_missing", {"sv": "x"})),
        "name.fi",
        "required",
    ),
    (
        "undeclared translation gap",
        _set("translations_missing", {"fi": "x"}),
        "translations_missing",
        "'sv'",
    ),
    ("wrong range", _set("scoring.range", [0, 9]), "scoring.range", "give [0, 6]"),
    ("bad method", _set("scoring.method", "median"), "scoring.method", "one of"),
    (
        "duplicate option value",
        _set("options.scale[2].value", 1),
        "options.scale[2].value",
        "duplicate",
    ),
    ("tier", _set("critical_items[0].tier", "high"), "critical_items[0].tier", "one of"),
    ("never fires", _set("critical_items[0].value", 5), "critical_items[0].value", "never fire"),
    (
        "critical item range",
        _set("critical_items[0].item", 4),
        "critical_items[0].item",
        "no item 4",
    ),
    ("licence group", _set("licence.group", "open"), "licence.group", "one of"),
    ("source url", _set("licence.source_url", "example.org"), "licence.source_url", "match"),
    (
        "cutoff against direction",
        _set("clinical_cutoff", {"value": 2, "direction": "at_or_below", "source": "x"}),
        "clinical_cutoff.direction",
        "contradicts",
    ),
    (
        "followup without critical rule",
        _set(
            "followup",
            [
                {
                    "item": 2,
                    "kind": "risk",
                    "ask_when": {"op": ">=", "value": 1},
                    "questions": [{"id": "plan", "text": {"en": "Plan?"}}],
                }
            ],
        ),
        "followup[0].item",
        "no critical_items rule",
    ),
    (
        "placeholder",
        _set("items[0].text", {"en": "Because of my {issue}"}),
        "items[0].text.en",
        "{issue}",
    ),
    (
        "flag score",
        _set(
            "flags",
            [
                {
                    "code": "f",
                    "tier": "info",
                    "label": {"en": "F"},
                    "when": [{"score": "sum", "op": ">", "value": 1}],
                }
            ],
        ),
        "flags[0].when[0].score",
        "one of",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "field", "message"),
    [pytest.param(m, f, msg, id=name) for name, m, f, msg in BROKEN],
)
def test_broken_definition_names_file_and_field(
    tmp_path: Path, mutate: Mutator, field: str, message: str
) -> None:
    data = copy.deepcopy(minimal())
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {field}: "), text
    assert message in text, text
    assert info.value.field == field


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(minimal()) + "code: demo\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"demo\.yaml: invalid YAML: .*duplicate key 'code'"):
        load_file(path)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("code: [unclosed\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"demo\.yaml: invalid YAML"):
        load_file(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"demo\.yaml: \(document\): must be a mapping"):
        load_file(path)


def test_validate_directory_reports_every_broken_file(tmp_path: Path) -> None:
    assert definitions.validate_directory(DEFAULT_DIRECTORY) == []
    broken = minimal()
    del broken["bands"]
    write(tmp_path, broken, "demo.yaml")
    other = minimal()
    other["code"] = "other"
    other["scoring"]["range"] = [0, 7]
    write(tmp_path, other, "other.yaml")
    write(tmp_path, minimal() | {"code": "fine"}, "fine.yaml")
    problems = definitions.validate_directory(tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith(f"{tmp_path / 'demo.yaml'}: bands: ")
    assert problems[1].startswith(f"{tmp_path / 'other.yaml'}: scoring.range: ")
    assert definitions.validate_directory(tmp_path / "absent")[0].endswith("not a directory")


def test_load_all_rejects_a_duplicate_code(tmp_path: Path) -> None:
    write(tmp_path, minimal(), "demo.yaml")
    write(tmp_path, minimal(), "demo.yml")
    with pytest.raises(DefinitionError, match="defined twice"):
        load_all(tmp_path)


# --- restricted instruments: the format expresses them (placeholder wording only) ----------


def restricted(code: str, n_items: int, max_value: int, **extra: Any) -> dict[str, Any]:
    """A restricted instrument as a licensed clinic would write it, minus the licensed text."""
    data = minimal()
    data.update(
        code=code,
        short_name=code.upper(),
        name={"en": f"{code.upper()} (licensed)"},
        licence={
            "group": "restricted",
            "status": "licence required",
            "attribution": "© the rights holder; used under licence no. 123",
            "source_url": "https://eprovide.mapi-trust.org/",
            "conditions": "Licensed to one clinic only.",
        },
        options={
            "scale": [{"value": v, "label": {"en": f"Option {v}"}} for v in range(max_value + 1)]
        },
        items=[
            {"number": n, "id": f"item{n}", "text": {"en": f"Item {n}"}, "options": "scale"}
            for n in range(1, n_items + 1)
        ],
        critical_items=[],
    )
    data.update(extra)
    return data


def isi() -> dict[str, Any]:
    return restricted(
        "isi",
        7,
        4,
        scoring={"method": "sum", "range": [0, 28]},
        bands=[
            {"min": 0, "max": 7, "label": "no clinically significant insomnia"},
            {"min": 8, "max": 14, "label": "subthreshold insomnia"},
            {"min": 15, "max": 21, "label": "clinical insomnia (moderate)"},
            {"min": 22, "max": 28, "label": "clinical insomnia (severe)"},
        ],
        clinical_cutoff={"value": 8, "direction": "at_or_above", "source": "Morin 2011"},
    )


def ocir() -> dict[str, Any]:
    subscales = {
        name: {"items": [first, first + 6, first + 12], "label": {"en": name}}
        for first, name in enumerate(
            ["hoarding", "checking", "ordering", "neutralizing", "washing", "obsessing"], start=1
        )
    }
    return restricted(
        "ocir",
        18,
        4,
        scoring={"method": "sum", "range": [0, 72], "subscales": subscales},
        bands=[
            {"min": 0, "max": 20, "label": "below cut-off"},
            {"min": 21, "max": 72, "label": "likely ocd"},
        ],
        flags=[
            {
                "code": "hoarding",
                "tier": "info",
                "label": {"en": "Hoarding subscale 6 or more"},
                "when": [{"score": "subscale:hoarding", "op": ">=", "value": 6}],
            }
        ],
    )


def test_restricted_isi_is_expressible() -> None:
    definition = parse_definition(isi(), source="clinic/isi.yaml", expected_code="isi")
    assert definition.licence.group == "restricted"
    assert score_definition(definition, [1] * 7).band == "no clinically significant insomnia"
    assert score_definition(definition, [1] * 7).total == 7
    assert score_definition(definition, [2, 1, 1, 1, 1, 1, 1]).band == "subthreshold insomnia"
    assert score_definition(definition, [2] * 7).band == "subthreshold insomnia"
    assert (
        score_definition(definition, [3, 2, 2, 2, 2, 2, 2]).band == "clinical insomnia (moderate)"
    )
    assert score_definition(definition, [4, 3, 3, 3, 3, 3, 3]).band == "clinical insomnia (severe)"


def test_restricted_ocir_subscales() -> None:
    definition = parse_definition(ocir(), source="clinic/ocir.yaml", expected_code="ocir")
    answers = [0] * 18
    answers[0] = answers[6] = answers[12] = 2  # hoarding items 1, 7, 13
    answers[4] = 4  # washing item 5
    result = score_definition(definition, answers)
    assert result.total == 10
    assert result.subscales["hoarding"] == 6
    assert result.subscales["washing"] == 4
    assert result.subscales["checking"] == 0
    assert result.flag_codes == ("hoarding",)
    assert result.band == "below cut-off"


def test_clinic_directory_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, isi(), "isi.yaml")
    monkeypatch.setenv(definitions.ENV_EXTRA_DIRS, str(tmp_path))
    definitions.clear_cache()
    try:
        assert score("isi", [3] * 7).band == "clinical insomnia (moderate)"
        assert definitions.get("phq9").code == "phq9"
    finally:
        monkeypatch.delenv(definitions.ENV_EXTRA_DIRS)
        definitions.clear_cache()
    with pytest.raises(UnknownInstrument):
        definitions.get("isi")


def test_clinic_directory_cannot_redefine_a_shipped_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = minimal()
    data["code"] = "phq9"
    write(tmp_path, data, "phq9.yaml")
    monkeypatch.setenv(definitions.ENV_EXTRA_DIRS, str(tmp_path))
    definitions.clear_cache()
    try:
        with pytest.raises(DefinitionError, match="already defined"):
            definitions.get("phq9")
    finally:
        monkeypatch.delenv(definitions.ENV_EXTRA_DIRS)
        definitions.clear_cache()


def test_docs_examples_parse() -> None:
    """The restricted-instrument examples in docs/instruments.md are valid definitions."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    examples = [yaml.safe_load(b) for b in blocks if re.search(r"^code: ", b, flags=re.M)]
    codes = set()
    for data in examples:
        definition = parse_definition(data, source="docs/instruments.md")
        codes.add(definition.code)
        assert definition.licence.group == "restricted"
    assert codes == {"isi", "ocir", "pdsssr", "spin"}


def test_instrument_names_are_not_overwritten_by_other_fields():
    from tandem.assessments import definitions

    assert definitions.get("phq9").name["en"] == "Patient Health Questionnaire-9 (PHQ-9)"
    assert definitions.get("wsas").name["en"] == "Work and Social Adjustment Scale (WSAS)"
