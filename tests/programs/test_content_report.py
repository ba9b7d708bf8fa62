"""``manage.py content_report``: one row per shipped package, counts straight from files."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = REPO / "content" / "programs"
FIXTURES = Path(__file__).parent / "fixtures"


def shipped_codes() -> list[str]:
    return sorted(p.name for p in PROGRAMS.iterdir() if (p / "manifest.yaml").is_file())


def expected_counts(code: str) -> dict:
    """What the report should say, computed from the package files with plain YAML."""
    root = PROGRAMS / code
    manifest = yaml.safe_load((root / "manifest.yaml").read_text(encoding="utf-8"))
    module_dirs = {d.name.split("-", 1)[1]: d for d in (root / "modules").iterdir() if d.is_dir()}
    pages = 0
    types: Counter[str] = Counter()
    instruments: list[str] = []
    for entry in manifest.get("instruments") or []:
        if entry["instrument"] not in instruments:
            instruments.append(entry["instrument"])
    page_files_missing: Counter[str] = Counter()
    for entry in manifest["modules"]:
        directory = module_dirs[entry["id"]]
        module = yaml.safe_load((directory / "module.yaml").read_text(encoding="utf-8"))
        pages += len(module["pages"])
        for page in module["pages"]:
            for lang in manifest["languages"]:
                if not (directory / "pages" / f"{page['id']}.{lang}.md").is_file():
                    page_files_missing[lang] += 1
        types.update(ex["type"] for ex in module.get("exercises") or [])
        for q in module.get("questionnaires") or []:
            if q not in instruments:
                instruments.append(q)
    return {
        "version": manifest["version"],
        "modules": len(manifest["modules"]),
        "optional_modules": sum(1 for m in manifest["modules"] if m.get("optional")),
        "pages": pages,
        "minutes": sum(m["minutes"] for m in manifest["modules"]),
        "exercises": sum(types.values()),
        "exercise_types": dict(types),
        "instruments": instruments,
        "languages": manifest["languages"],
        "missing_page_languages": set(page_files_missing),
    }


def run_report(*args: str) -> str:
    out = StringIO()
    call_command("content_report", *args, stdout=out)
    return out.getvalue()


def json_rows(*args: str) -> dict[str, dict]:
    data = json.loads(run_report("--format", "json", *args))
    return {row["code"]: row for row in data["packages"]}


def test_table_has_a_row_for_every_shipped_package():
    output = run_report()
    lines = output.splitlines()
    assert lines[0].split()[:3] == ["program", "version", "status"]
    for code in shipped_codes():
        row = [line for line in lines if line.split() and line.split()[0] == code]
        assert len(row) == 1, f"no single row for {code}:\n{output}"
        assert row[0].split()[1] == expected_counts(code)["version"]
    assert f"{len(shipped_codes())} package(s)" in output


def test_json_has_every_shipped_package_and_they_validate():
    rows = json_rows()
    assert sorted(rows) == shipped_codes()
    for code, row in rows.items():
        assert row["ok"], f"{code} has errors"
        assert row["errors"] == 0


def test_depression_counts_match_the_files():
    row = json_rows()["depression"]
    expected = expected_counts("depression")
    assert row["version"] == expected["version"]
    assert row["modules"] == expected["modules"] == 6
    assert row["optional_modules"] == expected["optional_modules"] == 1
    assert row["pages"] == expected["pages"]
    assert row["minutes"] == expected["minutes"]
    assert row["exercises"] == expected["exercises"]
    assert row["exercise_types"] == expected["exercise_types"]
    assert row["instruments"] == expected["instruments"]
    assert row["languages"] == expected["languages"] == ["en", "fi", "sv"]
    # English is always complete; a language with a missing page file cannot be.
    assert "en" in row["languages_complete"]
    for lang in expected["missing_page_languages"]:
        assert lang not in row["languages_complete"]
        assert row["translation_warnings"][lang] > 0


def test_depression_row_in_the_table_shows_the_counts():
    expected = expected_counts("depression")
    line = next(line for line in run_report().splitlines() if line.startswith("depression "))
    assert f"{expected['exercises']}: " in line
    for kind, count in expected["exercise_types"].items():
        assert f"{kind} {count}" in line
    assert str(expected["minutes"]) in line
    assert ", ".join(expected["instruments"]) in line


def test_selected_package_only():
    rows = json_rows(str(PROGRAMS / "depression"))
    assert list(rows) == ["depression"]


def test_packages_with_errors_are_reported_not_crashed():
    rows = json_rows(str(FIXTURES))
    assert rows["unknown-type"]["ok"] is False
    assert rows["unknown-type"]["errors"] >= 1
    assert rows["unknown-type"]["modules"] is None
    assert rows["minimal"]["ok"] is True
    assert rows["minimal"]["languages_complete"] == ["en", "fi"]
    partial = rows["missing-translation"]
    assert partial["languages"] == ["en", "fi"]
    assert partial["languages_complete"] == ["en"]
    assert partial["translation_warnings"]["fi"] >= 1
    table = run_report(str(FIXTURES))
    assert "error(s)" in next(
        line for line in table.splitlines() if line.startswith("unknown-type")
    )
