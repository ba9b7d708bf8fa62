"""Score trajectories as accessible, server-rendered SVG (pure; no ORM).

``trajectory(definition, points)`` lays out one instrument's totals over time: the
instrument's severity bands shaded behind the line, one marker per response, and the
reliable change against the baseline (Jacobson-Truax) shown by the marker's shape and
named in its ``<title>``. The template ``assessments/partials/chart.html`` draws it with
``role="img"``, a ``<title>`` and a ``<desc>`` summarising the trend, and always next to
a data table (the text alternative). Colours are SVG presentation attributes, so the
page needs no inline style under the CSP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from tandem.assessments.schema import InstrumentDefinition, text_in

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 12, 36

# Light fills, from "fine" to "severe" (contrast is carried by the line and markers).
BAND_FILLS = ("#e6f2e8", "#eef3dc", "#fbf1d6", "#fbe3d3", "#f6d6d6")
LINE = "#0b5394"
MIN_TICK_GAP = 13  # px between y-axis labels
MARKERS = {"improved": "#1e6b34", "deteriorated": "#a3191c", "": "#0b5394"}


@dataclass(frozen=True)
class ChartInput:
    when: datetime
    total: float
    band: str
    #: reliable change against the baseline: improved / deteriorated / no_reliable_change / ""
    change: str = ""


@dataclass(frozen=True)
class BandArea:
    y: float
    height: float
    label: str
    fill: str
    label_y: float


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    total: str
    when: datetime
    change: str
    shape: str  # "circle" | "up" | "down"
    fill: str
    label: str
    path: str = ""  # triangle path for up/down markers


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    bands: tuple[BandArea, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    line: str
    line_colour: str = LINE

    @property
    def plot_width(self) -> int:
        return self.right - self.left

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top

    @property
    def label_x(self) -> int:
        return self.left + 6

    @property
    def tick_x(self) -> int:
        return self.left - 6

    @property
    def x_label_y(self) -> int:
        return self.bottom + 18


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _date(value: datetime) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def change_label(change: str, direction: str) -> str:
    if change == "improved":
        return _("reliable improvement")
    if change == "deteriorated":
        return _("reliable deterioration")
    if change == "no_reliable_change":
        return _("no reliable change")
    return ""


def band_label(definition: InstrumentDefinition, band: str, language: str) -> str:
    for item in definition.bands:
        if item.label == band:
            return text_in(item.display, language) if item.display else item.label
    return band


def trajectory(
    definition: InstrumentDefinition,
    points: Sequence[ChartInput],
    *,
    language: str = "en",
    chart_id: str = "chart",
) -> Chart | None:
    """Lay out the chart, or None when there is nothing to draw."""
    points = sorted(points, key=lambda p: p.when)
    if not points:
        return None
    low, high = definition.scoring.range
    span = (high - low) or 1
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        value = min(max(value, low), high)
        return round(TOP + (high - value) / span * plot_h, 2)

    n_bands = len(definition.bands)
    fills = list(BAND_FILLS)
    if definition.direction == "higher_is_better":
        fills.reverse()
    bands = []
    for index, band in enumerate(definition.bands):
        upper = band.max if band.max is not None else band.max_exclusive
        if index + 1 < n_bands:
            upper = definition.bands[index + 1].min
        elif upper is None:
            upper = high
        top_y, bottom_y = y_of(upper), y_of(band.min)
        shade = round(index * (len(fills) - 1) / max(n_bands - 1, 1))
        bands.append(
            BandArea(
                y=top_y,
                height=round(bottom_y - top_y, 2),
                label=band_label(definition, band.label, language),
                fill=fills[shade],
                label_y=round((top_y + bottom_y) / 2 + 4, 2),
            )
        )

    first, last = points[0].when, points[-1].when
    seconds = (last - first).total_seconds()

    inset = 10  # keep the first and last markers inside the plot

    def x_of(when: datetime) -> float:
        if seconds <= 0:
            return round(LEFT + plot_w / 2, 2)
        share = (when - first).total_seconds() / seconds
        return round(LEFT + inset + share * (plot_w - 2 * inset), 2)

    markers = []
    for point in points:
        x, y = x_of(point.when), y_of(point.total)
        shape = "circle"
        path = ""
        worse_is_up = definition.direction == "higher_is_worse"
        if point.change in ("improved", "deteriorated"):
            up = (point.change == "deteriorated") == worse_is_up
            shape = "up" if up else "down"
            d = 7
            path = (
                f"M{x},{y - d} L{x + d},{y + d * 0.8} L{x - d},{y + d * 0.8} Z"
                if up
                else f"M{x},{y + d} L{x + d},{y - d * 0.8} L{x - d},{y - d * 0.8} Z"
            )
        change = change_label(point.change, definition.direction)
        label = _("%(date)s: %(total)s (%(band)s)") % {
            "date": _date(point.when),
            "total": _fmt(point.total),
            "band": band_label(definition, point.band, language),
        }
        if change:
            label += " — " + change
        markers.append(
            Marker(
                x=x,
                y=y,
                total=_fmt(point.total),
                when=point.when,
                change=point.change,
                shape=shape,
                fill=MARKERS.get(point.change, MARKERS[""]),
                label=label,
                path=path,
            )
        )

    # Y ticks at the band boundaries (the values that matter clinically) and the ends,
    # leaving out any that would print on top of a neighbour.
    values = sorted({low, high, *(band.min for band in definition.bands)})
    y_ticks_list: list[Tick] = []
    for value in reversed(values):  # from the top, so the maximum is always kept
        pos = y_of(value)
        if y_ticks_list and pos - y_ticks_list[-1].pos < MIN_TICK_GAP:
            if value != low:
                continue
            y_ticks_list.pop()  # the minimum wins over a close neighbour
        y_ticks_list.append(Tick(pos=pos, label=_fmt(value)))
    y_ticks = tuple(reversed(y_ticks_list))
    if len(points) <= 6:
        tick_points = points
    else:
        stride = (len(points) - 1) / 5
        tick_points = [points[round(i * stride)] for i in range(6)]
    x_ticks = tuple(
        Tick(
            pos=x_of(p.when),
            label=_date(p.when),
            anchor=("start" if i == 0 else "end" if i == len(tick_points) - 1 else "middle")
            if len(tick_points) > 1
            else "middle",
        )
        for i, p in enumerate(tick_points)
    )

    name = definition.short_name
    first_p, last_p = points[0], points[-1]
    if len(points) == 1:
        desc = _("%(name)s: one score so far, %(total)s (%(band)s) on %(date)s.") % {
            "name": name,
            "total": _fmt(first_p.total),
            "band": band_label(definition, first_p.band, language),
            "date": _date(first_p.when),
        }
    else:
        desc = _(
            "%(name)s: %(n)d scores from %(start)s to %(end)s. First %(first)s (%(first_band)s), "
            "latest %(last)s (%(last_band)s)."
        ) % {
            "name": name,
            "n": len(points),
            "start": _date(first_p.when),
            "end": _date(last_p.when),
            "first": _fmt(first_p.total),
            "first_band": band_label(definition, first_p.band, language),
            "last": _fmt(last_p.total),
            "last_band": band_label(definition, last_p.band, language),
        }
        latest_change = change_label(last_p.change, definition.direction)
        if latest_change:
            desc += " " + _("Latest compared with the first: %(change)s.") % {
                "change": latest_change
            }
    direction = (
        _("Higher scores mean more difficulties.")
        if definition.direction == "higher_is_worse"
        else _("Higher scores mean better well-being.")
    )
    return Chart(
        id=chart_id,
        title=_("%(name)s scores over time") % {"name": name},
        desc=f"{desc} {direction}",
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=WIDTH - RIGHT,
        bottom=HEIGHT - BOTTOM,
        bands=tuple(bands),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        markers=tuple(markers),
        line=" ".join(f"{m.x},{m.y}" for m in markers),
    )
