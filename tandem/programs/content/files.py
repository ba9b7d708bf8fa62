"""Files of a package on disk: listing, reading, YAML, symlink check and content hash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .model import Report
from .yamlio import YamlLoadError, YMap, load_yaml


def content_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 over every file's relative path and bytes (dotfiles ignored).

    Any change to any file (content, name, addition, removal) changes the hash,
    so the engine can tell a changed package even when the version was not bumped.
    """
    root = Path(path)
    outer = hashlib.sha256()
    for rel in list_files(root):
        data = (root / rel).read_bytes()
        name = rel.encode("utf-8")
        outer.update(len(name).to_bytes(4, "big") + name)
        outer.update(len(data).to_bytes(8, "big") + hashlib.sha256(data).digest())
    return f"sha256:{outer.hexdigest()}"


def list_files(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        base = Path(dirpath)
        for name in filenames:
            if name.startswith("."):
                continue
            full = base / name
            if full.is_symlink() or not full.is_file():
                continue
            out.append(full.relative_to(root).as_posix())
    return sorted(out)


def walk_package(report: Report, root: Path) -> list[str]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            full = Path(dirpath) / name
            if full.is_symlink():
                report.error(
                    full.relative_to(root).as_posix(),
                    None,
                    "symbolic links are not allowed in a package",
                    "symlink",
                )
    return list_files(root)


def read_text(report: Report, root: Path, rel: str) -> str | None:
    try:
        raw = (root / rel).read_bytes()
    except OSError as exc:
        report.error(rel, None, f"cannot read the file: {exc.strerror}", "missing-file")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.error(rel, line, "the file is not UTF-8 text", "encoding")
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def read_yaml(report: Report, root: Path, rel: str) -> YMap | None:
    if not (root / rel).is_file():
        return None
    text = read_text(report, root, rel)
    if text is None:
        return None
    try:
        data, problems = load_yaml(text)
    except YamlLoadError as exc:
        report.error(rel, exc.line, exc.message, "yaml-syntax")
        return None
    for problem in problems:
        report.error(rel, problem.line, problem.message, "duplicate-key")
    if not isinstance(data, YMap):
        report.error(rel, 1, "the file must be a YAML mapping (key: value lines)", "wrong-type")
        return None
    return data
