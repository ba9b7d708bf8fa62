"""JSON-ready snapshots of a parsed package, and back.

The engine stores ``to_data(package)`` with each program version (e.g. in a
JSONField), so an enrolled patient keeps seeing the content of their version
even after the files on disk change. ``from_data(Package, data)`` rebuilds the
frozen dataclasses. ``Localized`` becomes ``{"en": ..., "fi": ...}``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache

from . import model
from .model import CONFIG_CLASSES, Exercise, Localized


def to_data(obj: object) -> object:
    if isinstance(obj, Localized):
        return obj.as_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [to_data(item) for item in obj]
    return obj


@cache
def _hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls, vars(model))


def from_data[T](cls: type[T], data: object) -> T:
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} expects a mapping, got {type(data).__name__}")
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        value = data[f.name]
        if cls is Exercise and f.name == "config":
            kwargs[f.name] = from_data(CONFIG_CLASSES[data["type"]], value)
        else:
            kwargs[f.name] = _decode(hints[f.name], value)
    return cls(**kwargs)


def _decode(tp: object, value: object) -> object:
    if tp is Localized:
        return Localized(tuple(value.items()))  # type: ignore[union-attr]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _decode(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in value)  # type: ignore[union-attr]
        return tuple(_decode(a, item) for a, item in zip(args, value, strict=True))  # type: ignore[call-overload]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_data(tp, value)
    return value
