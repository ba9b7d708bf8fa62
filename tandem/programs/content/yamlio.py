"""YAML loading that remembers where every key and list item came from.

PyYAML's safe loader forgets positions once it has built Python objects, but
content authors need "module.yaml line 14: unknown exercise type". We compose
the node graph with ``SafeLoader`` (no arbitrary object construction), then
build plain containers ourselves: ``YMap`` (a dict) and ``YList`` (a list)
that carry the 1-based line of the container and of each key or item. Scalars
are constructed by the safe constructor, so ``yes``/``1.0``/dates follow the
usual YAML rules.

Duplicate keys, which PyYAML silently overwrites, are reported as problems.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 50


class YMap(dict):
    """A mapping that knows the line of itself and of each of its keys."""

    line: int = 1
    key_lines: dict

    def __init__(self, line: int = 1) -> None:
        super().__init__()
        self.line = line
        self.key_lines = {}

    def line_of(self, key: object) -> int:
        return self.key_lines.get(key, self.line)


class YList(list):
    """A list that knows the line of itself and of each item."""

    line: int = 1
    item_lines: list

    def __init__(self, line: int = 1) -> None:
        super().__init__()
        self.line = line
        self.item_lines = []

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


@dataclass(frozen=True)
class YamlProblem:
    line: int | None
    message: str


class YamlLoadError(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Builder:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.problems: list[YamlProblem] = []
        self._active: set[int] = set()

    def build(self, node: Node, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise YamlLoadError(_line(node), "the YAML is nested too deeply")
        if id(node) in self._active:
            raise YamlLoadError(_line(node), "recursive YAML aliases are not allowed")
        if isinstance(node, ScalarNode):
            return self.loader.construct_object(node, deep=True)
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node, depth)
            if isinstance(node, MappingNode):
                return self._mapping(node, depth)
        finally:
            self._active.discard(id(node))
        raise YamlLoadError(_line(node), f"unsupported YAML node {node.tag}")

    def _sequence(self, node: SequenceNode, depth: int) -> YList:
        out = YList(_line(node))
        for child in node.value:
            out.append(self.build(child, depth + 1))
            out.item_lines.append(_line(child))
        return out

    def _mapping(self, node: MappingNode, depth: int) -> YMap:
        self.loader.flatten_mapping(node)  # resolves "<<" merge keys
        out = YMap(_line(node))
        for key_node, value_node in node.value:
            key = self.build(key_node, depth + 1)
            line = _line(key_node)
            if isinstance(key, (dict, list)):
                self.problems.append(YamlProblem(line, "a mapping key must be a plain value"))
                continue
            if key in out:
                self.problems.append(
                    YamlProblem(
                        line,
                        f"duplicate key '{key}' (first at line {out.line_of(key)}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            out[key] = self.build(value_node, depth + 1)
            out.key_lines[key] = line
        return out


def load_yaml(text: str) -> tuple[object, list[YamlProblem]]:
    """Parse one YAML document. Returns (data, problems).

    Raises ``YamlLoadError`` (with a line when known) for syntax errors.
    An empty document gives ``None``.
    """
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise YamlLoadError(
            line, f"the file contains a character YAML does not allow (#x{exc.character:04x})"
        ) from exc
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = exc.problem or exc.context or "invalid YAML"
            raise YamlLoadError(line, f"YAML syntax error: {problem}") from exc
        except yaml.YAMLError as exc:
            raise YamlLoadError(None, f"YAML error: {exc}") from exc
        if node is None:
            return None, []
        builder = _Builder(loader)
        try:
            data = builder.build(node)
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark
            line = mark.line + 1 if mark is not None else None
            raise YamlLoadError(line, f"YAML value error: {exc.problem}") from exc
        return data, builder.problems
    finally:
        loader.dispose()
