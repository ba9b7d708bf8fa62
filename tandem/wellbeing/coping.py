"""The coping toolbox: short guided exercises shipped as data (``data/coping.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data" / "coping.yaml"


@dataclass(frozen=True)
class Tool:
    slug: str
    minutes: int
    title: str
    summary: str
    steps: tuple[str, ...]
    pace: dict[str, int] | None = None


@lru_cache(maxsize=1)
def _raw() -> tuple[dict[str, Any], ...]:
    return tuple(yaml.safe_load(DATA.read_text(encoding="utf-8")) or [])


def _pick(value: dict[str, Any], language: str) -> Any:
    return value.get(language) or value["en"]


def tools(language: str) -> list[Tool]:
    return [
        Tool(
            slug=entry["slug"],
            minutes=int(entry.get("minutes") or 3),
            title=_pick(entry["title"], language),
            summary=_pick(entry["summary"], language),
            steps=tuple(_pick(entry["steps"], language)),
            pace=entry.get("pace"),
        )
        for entry in _raw()
    ]


def tool(slug: str, language: str) -> Tool | None:
    return next((t for t in tools(language) if t.slug == slug), None)
