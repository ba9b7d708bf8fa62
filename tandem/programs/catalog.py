"""Loading program packages into versions, and reading a version's content back."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from tandem.core.fields import resolve_json
from tandem.programs.content import Package, Report, from_data, load_package, to_data
from tandem.programs.models import Program, ProgramMedia, ProgramVersion


def programs_dir() -> Path:
    return Path(settings.CONTENT_DIR) / "programs"


def instruments_dir() -> Path:
    return Path(settings.CONTENT_DIR) / "instruments"


def package_dirs(root: Path | None = None) -> list[Path]:
    root = root or programs_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "manifest.yaml").exists())


def check_all(root: Path | None = None) -> dict[str, Report]:
    return {
        path.name: load_package(path, instruments_dir=instruments_dir())[1]
        for path in package_dirs(root)
    }


@dataclass(frozen=True)
class LoadResult:
    code: str
    version: str
    created: bool
    report: Report


def load(path: Path) -> LoadResult:
    """Import one package idempotently: an unchanged package is a no-op; a changed one
    (any file differs) becomes a new current version; enrollments keep their version."""
    package, report = load_package(path, instruments_dir=instruments_dir())
    if package is None:
        return LoadResult(path.name, "", False, report)
    with transaction.atomic():
        program, _ = Program.objects.get_or_create(code=package.code)
        existing = ProgramVersion.objects.filter(
            program=program, content_hash=package.content_hash
        ).first()
        if existing is not None:
            if not existing.is_current:
                ProgramVersion.objects.filter(program=program, is_current=True).update(
                    is_current=False
                )
                ProgramVersion.objects.filter(pk=existing.pk).update(is_current=True)
            return LoadResult(package.code, existing.version, False, report)
        ProgramVersion.objects.filter(program=program, is_current=True).update(is_current=False)
        label = package.version
        if ProgramVersion.objects.filter(program=program, version=label).exists():
            # Content changed without a version bump: keep both apart.
            label = f"{label}+{package.content_hash.split(':')[-1][:8]}"
        version = ProgramVersion.objects.create(
            program=program,
            version=label,
            content_hash=package.content_hash,
            snapshot=to_data(package),
            is_current=True,
        )
        for rel in package.media:
            content_type = mimetypes.guess_type(rel)[0] or "application/octet-stream"
            if rel.endswith(".vtt"):
                content_type = "text/vtt"
            ProgramMedia.objects.create(
                version=version,
                path=rel,
                content_type=content_type,
                data=(path / rel).read_bytes(),
            )
    return LoadResult(package.code, label, True, report)


def load_all(root: Path | None = None) -> list[LoadResult]:
    return [load(path) for path in package_dirs(root)]


@lru_cache(maxsize=64)
def _package(
    version_id: int,
    content_hash: str,
) -> Package:
    snapshot = ProgramVersion.objects.values_list("snapshot", flat=True).get(pk=version_id)
    return from_data(Package, resolve_json(snapshot))


def package_for(version: ProgramVersion) -> Package:
    """The parsed content of a version (immutable, so cached per process)."""
    return _package(version.pk, version.content_hash)
