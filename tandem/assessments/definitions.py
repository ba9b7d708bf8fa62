"""Instrument definitions: load and validate ``content/instruments/*.yaml`` (pure; no Django).

Public API::

    load_file(path) -> InstrumentDefinition
    load_all(directory) -> dict[str, InstrumentDefinition]
    parse_definition(data, source=..., expected_code=None) -> InstrumentDefinition
    get(code) -> InstrumentDefinition          # cached; raises UnknownInstrument
    all_definitions() -> Mapping[str, InstrumentDefinition]
    clear_cache() -> None
    validate_directory(directory) -> list[str]   # every broken file, for content_check

The cache reads :data:`DEFAULT_DIRECTORY` (``<repo>/content/instruments``) plus any
directories listed in the ``TANDEM_INSTRUMENT_DIRS`` environment variable (separated by
``os.pathsep``). A licensed clinic keeps its restricted instruments (ISI, OCI-R, ...) in
such a directory, outside the public repository. See ``docs/instruments.md``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from tandem.assessments.errors import DefinitionError, UnknownInstrument
from tandem.assessments.parsing import SERVICE_LANGUAGES, parse_definition
from tandem.assessments.schema import (
    Band,
    Condition,
    CriticalRule,
    Cutoff,
    Flag,
    Followup,
    FollowupQuestion,
    InstrumentDefinition,
    Item,
    Licence,
    Option,
    OptionSet,
    Prorate,
    ReliableChange,
    Scoring,
    SkipRule,
    Source,
    Subscale,
    text_in,
)

__all__ = [
    "DEFAULT_DIRECTORY",
    "ENV_EXTRA_DIRS",
    "SERVICE_LANGUAGES",
    "Band",
    "Condition",
    "CriticalRule",
    "Cutoff",
    "DefinitionError",
    "Flag",
    "Followup",
    "FollowupQuestion",
    "InstrumentDefinition",
    "Item",
    "Licence",
    "Option",
    "OptionSet",
    "Prorate",
    "ReliableChange",
    "Scoring",
    "SkipRule",
    "Source",
    "Subscale",
    "UnknownInstrument",
    "all_definitions",
    "clear_cache",
    "get",
    "load_all",
    "load_file",
    "parse_definition",
    "text_in",
    "validate_directory",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIRECTORY = REPO_ROOT / "content" / "instruments"
ENV_EXTRA_DIRS = "TANDEM_INSTRUMENT_DIRS"
SUFFIXES = (".yaml", ".yml")


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects duplicate keys (the later one would win silently)."""


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def display_path(path: Path) -> str:
    """``content/instruments/phq9.yaml`` for files in the repository, else the full path."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def load_file(path: Path | str) -> InstrumentDefinition:
    """Read and validate one definition file; its code must equal the file stem."""
    path = Path(path)
    source = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"{source}: cannot read: {exc}", source=source) from exc
    try:
        # _StrictLoader is a yaml.SafeLoader subclass: no arbitrary objects.
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506  # nosec B506
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{source}: invalid YAML: {exc}", source=source) from exc
    return parse_definition(data, source=source, expected_code=path.stem)


def load_all(directory: Path | str) -> dict[str, InstrumentDefinition]:
    """Every ``*.yaml`` definition in ``directory``, keyed by code, in code order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DefinitionError(f"{display_path(directory)}: not a directory")
    result: dict[str, InstrumentDefinition] = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        definition = load_file(path)
        if definition.code in result:
            raise DefinitionError(
                f"{display_path(path)}: code: {definition.code!r} is defined twice "
                f"(also in {result[definition.code].origin})",
                source=display_path(path),
                field="code",
            )
        result[definition.code] = definition
    return result


def validate_directory(directory: Path | str) -> list[str]:
    """Check every definition file in ``directory``; one message per broken file.

    Unlike :func:`load_all` it does not stop at the first error. Empty list = all valid.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [f"{display_path(directory)}: not a directory"]
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        try:
            definition = load_file(path)
        except DefinitionError as exc:
            problems.append(str(exc))
            continue
        if definition.code in seen:
            problems.append(
                f"{definition.origin}: code: {definition.code!r} is defined twice "
                f"(also in {seen[definition.code]})"
            )
        seen[definition.code] = definition.origin
    return problems


def _directories() -> list[Path]:
    extra = os.environ.get(ENV_EXTRA_DIRS, "")
    return [DEFAULT_DIRECTORY, *(Path(p) for p in extra.split(os.pathsep) if p.strip())]


_lock = threading.Lock()
_cache: Mapping[str, InstrumentDefinition] | None = None


def _load_directories() -> dict[str, InstrumentDefinition]:
    merged: dict[str, InstrumentDefinition] = {}
    for directory in _directories():
        if not directory.is_dir():
            if directory == DEFAULT_DIRECTORY:
                continue
            raise DefinitionError(f"{directory}: listed in {ENV_EXTRA_DIRS} but not a directory")
        for code, definition in load_all(directory).items():
            if code in merged:
                raise DefinitionError(
                    f"{definition.origin}: code: {code!r} is already defined "
                    f"in {merged[code].origin}",
                    source=definition.origin,
                    field="code",
                )
            merged[code] = definition
    return merged


def all_definitions() -> Mapping[str, InstrumentDefinition]:
    """All definitions (shipped + ``TANDEM_INSTRUMENT_DIRS``), loaded once and cached."""
    global _cache
    with _lock:
        if _cache is None:
            _cache = MappingProxyType(_load_directories())
        return _cache


def get(code: str) -> InstrumentDefinition:
    """The definition with this code; raises :class:`UnknownInstrument`."""
    if not isinstance(code, str):
        raise UnknownInstrument(f"instrument code must be a string, not {type(code).__name__}")
    definitions = all_definitions()
    try:
        return definitions[code]
    except KeyError:
        known = ", ".join(sorted(definitions)) or "none"
        raise UnknownInstrument(f"unknown instrument {code!r} (known: {known})") from None


def clear_cache() -> None:
    """Forget loaded definitions (tests; after changing TANDEM_INSTRUMENT_DIRS)."""
    global _cache
    with _lock:
        _cache = None


def main(argv: list[str] | None = None) -> int:
    """``python -m tandem.assessments.definitions [DIR ...]``: validate definition files."""
    import sys

    directories = [Path(a) for a in (sys.argv[1:] if argv is None else argv)] or _directories()
    problems = [problem for directory in directories for problem in validate_directory(directory)]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        for directory in directories:
            for code, definition in load_all(directory).items():
                print(f"ok  {code:10} {definition.licence.group:22} {definition.origin}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
