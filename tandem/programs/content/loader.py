"""Reading a program package from disk: ``validate_package`` and ``parse_package``.

Both walk the package once (``load_package``); validation returns the report,
parsing returns frozen dataclasses or raises ``PackageError``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .exercises import parse_exercise
from .files import content_hash, read_text, read_yaml, walk_package
from .manifest import ManifestData, ModuleEntry, parse_manifest
from .model import (
    Exercise,
    Localized,
    Module,
    Package,
    PackageError,
    Page,
    Program,
    Report,
)
from .pages import MediaUse, check_media, check_page
from .schema import INSTRUMENT_RE, MODULE_DIR_RE, Checker
from .yamlio import YMap

MODULE_KEYS = ("title", "summary", "pages", "exercises", "questionnaires", "therapist_notes")


def validate_package(
    path: str | os.PathLike[str], *, instruments_dir: str | os.PathLike[str] | None = None
) -> Report:
    """Check a package; the report lists errors and warnings with file and line."""
    return load_package(path, instruments_dir=instruments_dir)[1]


def parse_package(
    path: str | os.PathLike[str], *, instruments_dir: str | os.PathLike[str] | None = None
) -> Package:
    """Load a package as frozen dataclasses; raises ``PackageError`` if it has errors."""
    package, report = load_package(path, instruments_dir=instruments_dir)
    if package is None:
        raise PackageError(report)
    return package


def load_package(
    path: str | os.PathLike[str],
    *,
    instruments_dir: str | os.PathLike[str] | None = None,
) -> tuple[Package | None, Report]:
    """Validate and parse in one pass: (package or None when there are errors, report).

    ``instruments_dir`` defaults to ``<package>/../../instruments`` (that is
    ``content/instruments``); when that directory exists, instrument codes must
    have a ``<code>.yaml`` there.
    """
    report = Report()
    root = Path(path)
    if not root.is_dir():
        report.error("", None, f"package directory '{root}' not found", "not-found")
        return None, report
    files = walk_package(report, root)
    manifest = read_yaml(report, root, "manifest.yaml")
    if manifest is None:
        if not (root / "manifest.yaml").is_file():
            report.error("manifest.yaml", None, "the package has no manifest.yaml", "missing-file")
        return None, report
    data = parse_manifest(report, manifest, root.name)
    modules, uses, instrument_refs = _load_modules(report, root, data, files)
    check_media(report, [f for f in files if f.startswith("media/")], uses)
    _check_instruments(report, root, instruments_dir, [*data.instrument_refs, *instrument_refs])
    digest = content_hash(root)
    if report.errors or data.program_fields is None:
        return None, report
    program = Program(modules=tuple(modules), **data.program_fields)
    media = tuple(sorted(f for f in files if f.startswith("media/")))
    return Package(program, digest, media, tuple(report.warnings)), report


def find_packages(content_root: str | os.PathLike[str]) -> list[Path]:
    """Package directories (those with a manifest.yaml) under e.g. content/programs."""
    root = Path(content_root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "manifest.yaml").is_file())


def _module_dirs(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    base = root / "modules"
    if base.is_dir():
        for entry in sorted(base.iterdir()):
            match = MODULE_DIR_RE.match(entry.name)
            if entry.is_dir() and match:
                found.setdefault(match.group(2), []).append(entry.name)
    return found


def _load_modules(
    report: Report,
    root: Path,
    data: ManifestData,
    files: list[str],
) -> tuple[list[Module], list[MediaUse], list[tuple[str, str, int]]]:
    dirs = _module_dirs(root)
    modules: list[Module] = []
    uses: list[MediaUse] = []
    refs: list[tuple[str, str, int]] = []
    exercise_ids: dict[str, str] = {}
    for position, entry in enumerate(data.modules, start=1):
        candidates = dirs.pop(entry.id, [])
        if not candidates:
            report.error(
                "manifest.yaml",
                entry.line,
                f"module '{entry.id}' has no directory modules/{position:02d}-{entry.id}/",
                "broken-reference",
            )
            continue
        if len(candidates) > 1:
            report.error(
                "manifest.yaml",
                entry.line,
                f"module '{entry.id}' has several directories: {', '.join(candidates)}",
                "duplicate-id",
            )
            continue
        directory = f"modules/{candidates[0]}"
        number = int(MODULE_DIR_RE.match(candidates[0]).group(1))  # type: ignore[union-attr]
        if number != position:
            report.warn(
                "manifest.yaml",
                entry.line,
                f"directory {directory} is numbered "
                f"{number:02d} but the module is number {position} in the manifest",
                "module-order",
            )
        module = _load_module(
            report,
            root,
            directory,
            entry,
            position,
            data.languages,
            files,
            uses,
            refs,
            exercise_ids,
        )
        if module is not None:
            modules.append(module)
    for names in dirs.values():
        for name in names:
            report.warn(
                f"modules/{name}",
                None,
                "this module directory is not listed in the manifest",
                "unused-module",
            )
    return modules, uses, refs


def _load_module(
    report: Report,
    root: Path,
    directory: str,
    entry: ModuleEntry,
    position: int,
    languages: tuple[str, ...],
    files: list[str],
    uses: list[MediaUse],
    refs: list[tuple[str, str, int]],
    exercise_ids: dict[str, str],
) -> Module | None:
    rel = f"{directory}/module.yaml"
    m = read_yaml(report, root, rel)
    if m is None:
        if not (root / rel).is_file():
            report.error(rel, None, f"module '{entry.id}' has no module.yaml", "missing-file")
        return None
    ck = Checker(report, rel, languages)
    where = f"module '{entry.id}'"
    ck.keys(m, MODULE_KEYS, where)
    title = ck.localized(m, "title", where)
    summary = ck.localized(m, "summary", where)
    notes = ck.localized(m, "therapist_notes", where, required=False)
    pages, page_ids = _load_pages(ck, root, directory, m, languages, files, uses)
    exercises: list[Exercise] = []
    ids = []
    seq = ck.items(m, "exercises", where)
    for index, raw in enumerate(seq):
        exercise = parse_exercise(ck, raw, seq.line_of(index))
        if isinstance(raw, YMap):
            ex_id = raw.get("id") if isinstance(raw.get("id"), str) else None
            ids.append((ex_id, raw.line))
            if ex_id in exercise_ids and exercise_ids[ex_id] != entry.id:
                ck.error(
                    raw.line_of("id"),
                    f"exercise id '{ex_id}' is already used in module "
                    f"'{exercise_ids[ex_id]}'; exercise ids must be unique in the "
                    "program",
                    "duplicate-id",
                )
            elif ex_id is not None:
                exercise_ids[ex_id] = entry.id
            after = raw.get("after_page")
            if isinstance(after, str) and after not in page_ids:
                ck.error(
                    raw.line_of("after_page"),
                    f"exercise '{ex_id}': after_page '{after}' is not a page of this module",
                    "broken-reference",
                )
        if exercise is not None:
            exercises.append(exercise)
    ck.unique(ids, "exercise")
    questionnaires = []
    seq = ck.items(m, "questionnaires", where)
    for index, code in enumerate(seq):
        line = seq.line_of(index)
        if not isinstance(code, str) or not INSTRUMENT_RE.match(code):
            ck.error(
                line,
                f"{where}: questionnaire '{code}' is not a valid instrument code "
                "(lowercase letters and digits, e.g. phq9)",
                "bad-id",
            )
        elif code in questionnaires:
            ck.error(line, f"{where}: questionnaire '{code}' is listed twice", "duplicate-id")
        else:
            questionnaires.append(code)
            refs.append((rel, code, line))
    ck.flush_translations()
    if title is None or summary is None or pages is None:
        return None
    return Module(
        id=entry.id,
        position=position,
        directory=directory,
        title=title,
        summary=summary,
        minutes=entry.minutes,
        optional=entry.optional,
        pages=tuple(pages),
        exercises=tuple(exercises),
        questionnaires=tuple(questionnaires),
        therapist_notes=notes,
    )


def _load_pages(
    ck: Checker,
    root: Path,
    directory: str,
    m: YMap,
    languages: tuple[str, ...],
    files: list[str],
    uses: list[MediaUse],
) -> tuple[list[Page] | None, set[str]]:
    """The module's pages (None if any is broken) and the page ids it declares."""
    where = f"{directory}/module.yaml"
    seq = ck.items(m, "pages", "module", required=True)
    if "pages" in m and not seq:
        ck.error(m.line_of("pages"), "a module needs at least one page", "too-few")
    pages: list[Page] = []
    ids = []
    expected: set[str] = set()
    broken = False
    for index, raw in enumerate(seq):
        p = ck.mapping(raw, seq.line_of(index), "page")
        if p is None:
            broken = True
            continue
        page_id = ck.identifier(p, "id", "page")
        ids.append((page_id, p.line))
        ck.keys(p, ("id", "title"), f"page '{page_id}'")
        title = ck.localized(p, "title", f"page '{page_id}'")
        if page_id is None:
            broken = True
            continue
        bodies: dict[str, str] = {}
        paths: list[tuple[str, str]] = []
        for lang in languages:
            rel = f"{directory}/pages/{page_id}.{lang}.md"
            expected.add(rel)
            if rel not in files:
                if lang == "en":
                    ck.error(
                        p.line, f"page '{page_id}' has no English file {rel}", "broken-reference"
                    )
                    broken = True
                else:
                    ck.warn(
                        p.line,
                        f"page '{page_id}' has no '{lang}' translation ({rel}); "
                        "English is shown instead",
                        "missing-translation",
                    )
                continue
            text = read_text(ck.report, root, rel)
            if text is None:
                broken = True
                continue
            uses.extend(check_page(ck.report, rel, text))
            bodies[lang] = text
            paths.append((lang, rel))
        if title is not None and "en" in bodies:
            pages.append(Page(page_id, title, Localized(tuple(bodies.items())), tuple(paths)))
        else:
            broken = True
    ck.unique(ids, "page")
    prefix = f"{directory}/pages/"
    for rel in files:
        if rel.startswith(prefix) and rel not in expected:
            ck.report.warn(
                rel,
                None,
                f"this file is not a page of the module (pages are "
                f"listed in {where} and named <page-id>.<language>.md)",
                "unused-page",
            )
    return (None if broken else pages), {i for i, _ in ids if i is not None}


def _check_instruments(
    report: Report, root: Path, instruments_dir: object, refs: list[tuple[str, str, int]]
) -> None:
    if instruments_dir is not None:
        base = Path(instruments_dir)  # type: ignore[arg-type]
    else:
        base = root.parent.parent / "instruments"
    if not base.is_dir():
        return
    known = {p.stem for p in base.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()}
    for file, code, line in refs:
        if code not in known:
            report.error(
                file,
                line,
                f"instrument '{code}' is not defined in {base.name}/ (expected {code}.yaml)",
                "unknown-instrument",
            )
