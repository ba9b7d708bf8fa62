"""Primitive readers for instrument YAML: each checks one value and names its field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any, NoReturn, cast

from tandem.assessments.errors import DefinitionError
from tandem.assessments.schema import Number, Text

CODE_RE = re.compile(r"^[a-z][a-z0-9]*$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]*$")
LANG_RE = re.compile(r"^[a-z]{2}$")
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


class Ctx:
    """Where we are in the document, for error messages."""

    def __init__(self, source: str, path: str = "") -> None:
        self.source = source
        self.path = path

    def key(self, name: str) -> Ctx:
        return Ctx(self.source, f"{self.path}.{name}" if self.path else name)

    def index(self, i: int) -> Ctx:
        return Ctx(self.source, f"{self.path}[{i}]")

    def fail(self, message: str) -> NoReturn:
        where = self.path or "(document)"
        raise DefinitionError(f"{self.source}: {where}: {message}", source=self.source, field=where)


# --- primitive readers ----------------------------------------------------------------


def as_mapping(
    node: object, ctx: Ctx, required: Iterable[str], optional: Iterable[str] = ()
) -> dict[str, Any]:
    if not isinstance(node, dict):
        ctx.fail(f"must be a mapping, not {type(node).__name__}")
    required, optional = set(required), set(optional)
    for key in node:
        if not isinstance(key, str) or key not in required | optional:
            allowed = ", ".join(sorted(required | optional))
            ctx.key(str(key)).fail(f"unknown field (allowed here: {allowed})")
    for key in sorted(required):
        if key not in node:
            ctx.key(key).fail("required field is missing")
    return cast(dict[str, Any], node)


def as_str(
    node: object, ctx: Ctx, *, pattern: re.Pattern[str] | None = None, choices: Iterable[str] = ()
) -> str:
    if not isinstance(node, str) or not node.strip():
        ctx.fail("must be a non-empty string")
    choices = tuple(choices)
    if choices and node not in choices:
        ctx.fail(f"must be one of {', '.join(choices)}; got {node!r}")
    if pattern is not None and not pattern.match(node):
        ctx.fail(f"{node!r} does not match {pattern.pattern}")
    return node


def as_int(node: object, ctx: Ctx, *, minimum: int | None = None) -> int:
    if isinstance(node, bool) or not isinstance(node, int):
        ctx.fail(f"must be an integer, not {node!r}")
    if minimum is not None and node < minimum:
        ctx.fail(f"must be at least {minimum}; got {node}")
    return node


def as_number(node: object, ctx: Ctx) -> Number:
    if isinstance(node, bool) or not isinstance(node, int | float):
        ctx.fail(f"must be a number, not {node!r}")
    return node


def as_bool(node: object, ctx: Ctx) -> bool:
    if not isinstance(node, bool):
        ctx.fail(f"must be true or false, not {node!r}")
    return node


def as_list(node: object, ctx: Ctx, *, allow_empty: bool = False) -> list[Any]:
    if not isinstance(node, list):
        ctx.fail(f"must be a list, not {type(node).__name__}")
    if not node and not allow_empty:
        ctx.fail("must not be empty")
    return node


def as_text(node: object, ctx: Ctx, languages: Iterable[str] = ("en",)) -> Text:
    if not isinstance(node, dict):
        ctx.fail("must be a mapping of language code to text, e.g. {en: ...}")
    for lang, value in node.items():
        if not isinstance(lang, str) or not LANG_RE.match(lang):
            ctx.key(str(lang)).fail("language codes are two lowercase letters")
        as_str(value, ctx.key(lang))
    for lang in languages:
        if lang not in node:
            ctx.key(lang).fail(f"text in '{lang}' is required (listed in languages)")
    return MappingProxyType(dict(node))


def as_item_number(node: object, ctx: Ctx, n_items: int) -> int:
    number = as_int(node, ctx)
    if not 1 <= number <= n_items:
        ctx.fail(f"no item {number} (items are 1..{n_items})")
    return number
