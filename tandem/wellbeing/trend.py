"""The mood trend as SVG coordinates (pure: the template draws them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, PAD = 640, 240, 32


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    mood: int
    at: Any


def chart(checkins: list[Any]) -> dict[str, Any]:
    """Points for check-ins (any order), oldest left; mood 0 at the bottom, 10 at the top."""
    ordered = sorted(checkins, key=lambda c: c.recorded_at)
    if not ordered:
        return {"dots": [], "points": "", "width": WIDTH, "height": HEIGHT, "grid": []}
    first, last = ordered[0].recorded_at, ordered[-1].recorded_at
    span = max((last - first).total_seconds(), 1.0)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    dots = []
    for c in ordered:
        x = PAD + (
            inner_w * (c.recorded_at - first).total_seconds() / span
            if len(ordered) > 1
            else inner_w / 2
        )
        y = PAD + inner_h * (1 - c.mood / 10)
        dots.append(Dot(round(x, 1), round(y, 1), c.mood, c.recorded_at))
    grid = [(value, round(PAD + inner_h * (1 - value / 10), 1)) for value in (0, 5, 10)]
    return {
        "dots": dots,
        "points": " ".join(f"{d.x},{d.y}" for d in dots),
        "width": WIDTH,
        "height": HEIGHT,
        "grid": grid,
        "left": PAD,
        "right": WIDTH - PAD,
    }
