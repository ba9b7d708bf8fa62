"""``manage.py content_report``: one row per program package, for clinical review.

Reads the packages straight from the content directory with the package loader
(``tandem.programs.content``); no database is needed. For every package it shows
the code, version, modules, pages, estimated minutes (sum of the manifest's module
minutes), exercises (count and types), instruments (the manifest's schedule plus
module questionnaires) and which of its languages are complete. A language is
complete when the validator reports no missing-translation warning for it.

    python manage.py content_report                     # every package, as a table
    python manage.py content_report --format json
    python manage.py content_report content/programs/ocd
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

MISSING_LANG_RE = re.compile(r"no '([a-z]{2,3})' translation")

COLUMNS = (
    ("code", "program"),
    ("version", "version"),
    ("status", "status"),
    ("modules", "modules"),
    ("pages", "pages"),
    ("minutes", "minutes"),
    ("exercises", "exercises"),
    ("instruments", "instruments"),
    ("languages", "languages complete"),
)


def _content_dir() -> Path:
    return Path(settings.CONTENT_DIR)


def package_paths(paths: list[str], programs_dir: Path) -> list[Path]:
    """Package directories: the given ones (a package or a folder of packages) or all."""
    from tandem.programs.content import find_packages

    if not paths:
        return find_packages(programs_dir)
    found: list[Path] = []
    for arg in paths:
        path = Path(arg)
        found.extend([path] if (path / "manifest.yaml").is_file() else find_packages(path))
    return found


def incomplete_languages(warnings: Any) -> Counter[str]:
    """Language code -> number of missing-translation warnings naming it."""
    counts: Counter[str] = Counter()
    for issue in warnings:
        if issue.code != "missing-translation":
            continue
        match = MISSING_LANG_RE.search(issue.message)
        if match:
            counts[match.group(1)] += 1
    return counts


def package_row(path: Path, instruments_dir: Path | None) -> dict[str, Any]:
    """The report row of one package (counts are None when the package has errors)."""
    from tandem.programs.content import load_package

    package, report = load_package(path, instruments_dir=instruments_dir)
    row: dict[str, Any] = {
        "code": path.name,
        "path": str(path),
        "ok": report.ok,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }
    if package is None:
        row.update(
            version=None,
            title=None,
            modules=None,
            optional_modules=None,
            pages=None,
            minutes=None,
            exercises=None,
            exercise_types={},
            instruments=[],
            languages=[],
            languages_complete=[],
            translation_warnings={},
        )
        return row
    program = package.program
    types: Counter[str] = Counter()
    instruments: list[str] = []
    for schedule in program.instruments:
        if schedule.instrument not in instruments:
            instruments.append(schedule.instrument)
    for module in program.modules:
        types.update(exercise.type for exercise in module.exercises)
        for code in module.questionnaires:
            if code not in instruments:
                instruments.append(code)
    gaps = incomplete_languages(report.warnings)
    row.update(
        code=program.code,
        version=program.version,
        title=program.title.text("en"),
        modules=len(program.modules),
        optional_modules=sum(1 for m in program.modules if m.optional),
        pages=sum(len(m.pages) for m in program.modules),
        minutes=sum(m.minutes for m in program.modules),
        exercises=sum(types.values()),
        exercise_types=dict(sorted(types.items())),
        instruments=instruments,
        languages=list(program.languages),
        languages_complete=[lang for lang in program.languages if not gaps.get(lang)],
        translation_warnings={lang: gaps[lang] for lang in program.languages if gaps.get(lang)},
    )
    return row


def _cell(row: dict[str, Any], key: str) -> str:
    if key == "status":
        if not row["ok"]:
            return f"{row['errors']} error(s)"
        return f"ok, {row['warnings']} warning(s)" if row["warnings"] else "ok"
    if not row["ok"] and key not in ("code", "version"):
        return "-"
    value = row.get(key)
    if key == "modules" and row.get("optional_modules"):
        return f"{value} ({row['optional_modules']} optional)"
    if key == "exercises":
        kinds = ", ".join(f"{t} {n}" for t, n in row["exercise_types"].items())
        return f"{value}: {kinds}" if kinds else str(value)
    if key == "instruments":
        return ", ".join(row["instruments"]) or "-"
    if key == "languages":
        done = ", ".join(row["languages_complete"]) or "none"
        missing = [lang for lang in row["languages"] if lang not in row["languages_complete"]]
        return f"{done} (of {', '.join(row['languages'])})" if missing else done
    return "-" if value is None else str(value)


def format_table(rows: list[dict[str, Any]]) -> str:
    header = [title for _, title in COLUMNS]
    body = [[_cell(row, key) for key, _ in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [render(header), render(["-" * w for w in widths])]
    lines += [render(cells) for cells in body]
    ok = [r for r in rows if r["ok"]]
    lines.append("")
    lines.append(
        f"{len(rows)} package(s), {len(rows) - len(ok)} with errors; "
        f"{sum(r['modules'] for r in ok)} modules, {sum(r['pages'] for r in ok)} pages, "
        f"{sum(r['minutes'] for r in ok)} minutes, {sum(r['exercises'] for r in ok)} exercises"
    )
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Summarise every program package for clinical review: modules, pages, minutes, "
        "exercises, instruments and complete languages (no database needed)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "paths", nargs="*", help="package directories or folders of packages (default: all)"
        )
        parser.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args, paths: list[str], format: str, **options) -> None:  # type: ignore[no-untyped-def]
        content = _content_dir()
        rows = [
            package_row(path, content / "instruments")
            for path in package_paths(paths, content / "programs")
        ]
        if format == "json":
            self.stdout.write(json.dumps({"packages": rows}, indent=2, ensure_ascii=False))
        elif not rows:
            self.stdout.write("no program packages found")
        else:
            self.stdout.write(format_table(rows))
