"""Small inline SVG charts for the HTML pages: histograms, grouped bars, line charts, scatter
plots and a heatmap, each with a title, labelled axes and tick values (image thumbnails:
`thumbnails.py`). Pure functions of their data: no scripts, nothing fetched, no plotting library
(the charts are a few dozen SVG elements each, which keeps the pages small)."""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
WIDTH, HEIGHT = 390, 250
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 14, 44, 40
_END_LABELS = 66  # right margin of line charts, where each series' last value is written
CHAR_WIDTH = 6  # about the width of a character of the charts' 11 px sans-serif
BOLD_CHAR_WIDTH = 7  # the same in bold (titles)
SLANT = 40  # degrees of the category labels that are too wide to stand side by side


def nice_ticks(low: float, high: float, count: int = 5) -> List[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [low, high];
    none for a range that is not finite."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if not high > low:
        low, high = low - 1.0, high + 1.0
    raw = (high - low) / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = []
    value = first
    while value < high + step * (1 - 1e-9):
        ticks.append(round(value, 12))
        value += step
    return ticks


def finite_points(points: Sequence[Tuple[float, float]]) -> List[Tuple[float, float]]:
    """The points whose coordinates are both finite (the others cannot be drawn)."""
    return [p for p in points if math.isfinite(p[0]) and math.isfinite(p[1])]


def not_drawn(count: float, what: str = "point") -> str:
    """What a chart's title adds for `count` values left out as not finite (else nothing)."""
    if not count:
        return ""
    return f" ({count:g} {what}{'' if count == 1 else 's'} not a finite number: not drawn)"


def number(value: float) -> str:
    """A short label for a tick or a value: 4 significant digits, no trailing zeros."""
    return f"{value:.4g}" if value else "0"


def tick_labels(ticks: Sequence[float]) -> List[str]:
    """`number`'s labels for an axis's ticks, with more significant digits where 4 would print
    two ticks alike (census tract ids 17031010100 to 17031980000: each tick read 1.703e+10)."""
    for digits in range(4, 16):
        labels = [f"{tick:.{digits}g}" if tick else "0" for tick in ticks]
        if len(set(labels)) == len(labels):
            break
    return labels


def esc(text: object) -> str:
    """Text escaped for SVG/HTML content and attribute values."""
    return html.escape(str(text), quote=True)


@dataclasses.dataclass(frozen=True)
class Axes:
    """A plot area mapping data ranges to pixels; `frame()` draws grid, ticks and labels."""

    x_range: Tuple[float, float]
    y_range: Tuple[float, float]
    title: str
    x_label: str
    y_label: str
    width: int = WIDTH
    height: int = HEIGHT
    right: int = _RIGHT
    bottom: int = _BOTTOM

    def x(self, value: float) -> float:
        low, high = self.x_range
        return _LEFT + (value - low) / ((high - low) or 1.0) * (self.width - _LEFT - self.right)

    def y(self, value: float) -> float:
        low, high = self.y_range
        bottom = self.height - self.bottom
        return bottom - (value - low) / ((high - low) or 1.0) * (bottom - _TOP)

    def frame(self, x_ticks: Optional[Sequence[Tuple[float, str]]] = None,
              slanted: bool = False) -> List[str]:
        """Title, grid, ticks and axis labels; `slanted` x tick labels are turned by SLANT
        degrees, ending under their tick."""
        bottom, right = self.height - self.bottom, self.width - self.right
        parts = [f"<text x='{self.width / 2:.0f}' y='16' text-anchor='middle' "
                 f"font-weight='bold'>{esc(self.title)}</text>"]
        y_ticks = [t for t in nice_ticks(*self.y_range)
                   if self.y_range[0] - 1e-12 <= t <= self.y_range[1] + 1e-12]
        for tick, label in zip(y_ticks, tick_labels(y_ticks)):
            y = self.y(tick)
            parts.append(f"<line x1='{_LEFT}' y1='{y:.1f}' x2='{right}' y2='{y:.1f}' "
                         "stroke='#e5e5e5'/>"
                         f"<text x='{_LEFT - 4}' y='{y + 4:.1f}' text-anchor='end'>"
                         f"{label}</text>")
        if x_ticks is None:
            x_ticks = self.number_ticks()
        for value, label in x_ticks:
            x = self.x(value)
            parts.append(f"<line x1='{x:.1f}' y1='{bottom}' x2='{x:.1f}' y2='{bottom + 4}' "
                         f"stroke='#666'/>" + category_label(x, bottom, label, slanted))
        parts.append(f"<path d='M{_LEFT},{_TOP} V{bottom} H{right}' fill='none' stroke='#666'/>"
                     f"<text x='{(_LEFT + right) / 2:.0f}' y='{self.height - 6}' "
                     f"text-anchor='middle'>{esc(self.x_label)}</text>"
                     f"<text transform='translate(13,{(_TOP + bottom) / 2:.0f}) rotate(-90)' "
                     f"text-anchor='middle'>{esc(self.y_label)}</text>")
        return parts


    def number_ticks(self) -> List[Tuple[float, str]]:
        """Round x ticks with their labels; when labels that long would touch (census tract ids
        17031010100 to 17031980000 need 6 significant digits), every n-th tick keeps its label
        and the others are left bare."""
        values = [t for t in nice_ticks(*self.x_range)
                  if self.x_range[0] - 1e-12 <= t <= self.x_range[1] + 1e-12]
        labels = tick_labels(values)
        gap = min((self.x(b) - self.x(a) for a, b in zip(values, values[1:])), default=0.0)
        needed = (max(map(len, labels), default=0) + 1) * CHAR_WIDTH
        every = max(1, math.ceil(needed / gap)) if gap > 0 else 1
        return [(value, label if index % every == 0 else "")
                for index, (value, label) in enumerate(zip(values, labels))]


def category_label(x: float, axis_y: float, label: str, slanted: bool) -> str:
    """A label under the axis at `axis_y`: centred on `x`, or `slanted` by SLANT degrees and
    ending under `x`."""
    if slanted:
        return (f"<text x='{x + 3:.1f}' y='{axis_y + 12}' text-anchor='end' transform='rotate("
                f"-{SLANT} {x + 3:.1f} {axis_y + 12})'>{esc(label)}</text>")
    return f"<text x='{x:.1f}' y='{axis_y + 16}' text-anchor='middle'>{esc(label)}</text>"


def legend(names: Sequence[str], colours: Optional[Sequence[str]] = None) -> str:
    """Coloured series names in one row under the title (`colours`, else COLOURS in order)."""
    colours = colours or [COLOURS[i % len(COLOURS)] for i in range(len(names))]
    items, x = [], float(_LEFT)
    for name, colour in zip(names, colours):
        items.append(f"<rect x='{x:.0f}' y='25' width='10' height='10' fill='{colour}'/>"
                     f"<text x='{x + 14:.0f}' y='34'>{esc(name)}</text>")
        x += 24 + 6 * len(name)
    return "".join(items)


def svg(parts: Sequence[str], label: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' width='{width}' "
            f"height='{height}' viewBox='0 0 {width} {height}' font-family='sans-serif' "
            f"font-size='11' role='img' aria-label='{esc(label)}'>{''.join(parts)}</svg>")


def _bar(axes: Axes, left: float, right: float, value: float, colour: str, tooltip: str,
         style: str = "") -> str:
    """A bar from 0 to `value` between x = `left` and `right` (data units), with a tooltip."""
    return (f"<rect x='{axes.x(left):.1f}' y='{axes.y(value):.1f}' "
            f"width='{max(axes.x(right) - axes.x(left), 1):.1f}' "
            f"height='{axes.y(0) - axes.y(value):.1f}' fill='{colour}' {style}><title>"
            f"{esc(tooltip)}</title></rect>")


def histogram(edges: Sequence[float], shares: Dict[str, Sequence[float]], title: str,
              x_label: str, y_label: str = "share of examples",
              outlined: Sequence[str] = ()) -> str:
    """Overlaid translucent bars, one series per name, over the common bucket `edges`; the
    `outlined` series as bare outlines (e.g. a reference to compare with)."""
    top = max([max(values, default=0.0) for values in shares.values()] + [1e-9])
    axes = Axes((edges[0], edges[-1]), (0.0, top * 1.1), title, x_label, y_label)
    parts = axes.frame()
    for index, (name, values) in enumerate(shares.items()):
        colour = COLOURS[index % len(COLOURS)]
        for low, high, value in zip(edges, edges[1:], values):
            parts.append(_bar(axes, low, high - (high - low) * 0.02, value, colour,
                              f"{name} {number(low)}..{number(high)}: {value:.1%}",
                              f"fill-opacity='{0 if name in outlined else 0.45}' "
                              f"stroke='{colour}' stroke-width='{2 if name in outlined else 1}'"))
    parts.append(legend(list(shares)))
    return svg(parts, title)


def bars(categories: Sequence[str], shares: Dict[str, Sequence[float]], title: str,
         x_label: str, y_label: str = "share of examples", percent: bool = True) -> str:
    """Grouped bars: one group per category, one bar per series (values are shares, shown as
    percentages, unless `percent` is False). Category labels too wide to stand side by side are
    slanted, the chart growing taller to hold them."""
    top = max([max(values, default=0.0) for values in shares.values()] + [1e-9])
    labels = [c if len(c) <= 12 else c[:11] + "…" for c in categories]
    widest = max(map(len, labels), default=0) * CHAR_WIDTH
    slanted = widest > (WIDTH - _LEFT - _RIGHT) / max(len(labels), 1) - CHAR_WIDTH
    extra = round(widest * math.sin(math.radians(SLANT))) if slanted else 0
    axes = Axes((0.0, float(len(categories))), (0.0, top * 1.1), title, x_label, y_label,
                height=HEIGHT + extra, bottom=_BOTTOM + extra)
    parts = axes.frame([(i + 0.5, label) for i, label in enumerate(labels)], slanted)
    width = 0.8 / max(len(shares), 1)
    for index, (name, values) in enumerate(shares.items()):
        colour = COLOURS[index % len(COLOURS)]
        for position, value in enumerate(values):
            left = position + 0.1 + index * width
            parts.append(_bar(axes, left, left + width, value, colour,
                              f"{name} {categories[position]}: "
                              f"{f'{value:.1%}' if percent else number(value)}"))
    parts.append(legend(list(shares)))
    return svg(parts, title, height=axes.height)


@dataclasses.dataclass(frozen=True)
class Mark:
    """A labelled vertical line on a line chart (e.g. the best step)."""

    x: float
    label: str


def value_range(values: Sequence[float]) -> Tuple[float, float]:
    """A y range for `values`: from 0 when they are non-negative and reach below half their
    maximum, else from just under the minimum; a little headroom above the maximum."""
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    bottom = 0.0 if 0 <= low < 0.5 * high else low - 0.08 * span
    return bottom, high + 0.08 * span


def lines(series: Dict[str, Sequence[Tuple[float, float]]], title: str, x_label: str,
          y_label: str, marks: Sequence[Mark] = (), x_ticks=None, width: int = WIDTH,
          dashed: Sequence[str] = (), x_range: Optional[Tuple[float, float]] = None,
          overlay: Optional[Callable[[Axes], List[str]]] = None) -> str:
    """One polyline with dots per series, its last value written right of its end; `marks`
    as dashed vertical lines with their label; `overlay(axes)` adds SVG elements on top. Points
    that are not finite (a NaN loss) are left out, and the title says how many."""
    drawn = {name: finite_points(values) for name, values in series.items()}
    title += not_drawn(sum(len(v) for v in series.values()) - sum(len(v) for v in drawn.values()))
    series = drawn
    points = [p for values in series.values() for p in values] or [(0.0, 0.0)]
    xs = [p[0] for p in points]
    if x_range is None:
        x_range = (min(xs), max(xs)) if max(xs) > min(xs) else (min(xs) - 1, max(xs) + 1)
    axes = Axes(x_range, value_range([p[1] for p in points]), title, x_label, y_label,
                width=width, right=_END_LABELS)
    parts = axes.frame(x_ticks)
    for mark in marks:
        x = axes.x(mark.x)
        parts.append(f"<line x1='{x:.1f}' y1='{_TOP}' x2='{x:.1f}' y2='{HEIGHT - _BOTTOM}' "
                     "stroke='#444' stroke-dasharray='4 3'/>"
                     + mark_label(x, mark.label))
    ends = []
    for index, (name, values) in enumerate(series.items()):
        if not values:
            continue
        colour = COLOURS[index % len(COLOURS)]
        coords = " ".join(f"{axes.x(x):.1f},{axes.y(y):.1f}" for x, y in values)
        dash = " stroke-dasharray='6 4'" if name in dashed else ""
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2'{dash} "
                     f"points='{coords}'><title>{esc(name)}</title></polyline>")
        parts.extend(f"<circle cx='{axes.x(x):.1f}' cy='{axes.y(y):.1f}' r='2.5' "
                     f"fill='{colour}'><title>{esc(name)} at {number(x)}: {number(y)}</title>"
                     "</circle>" for x, y in values)
        ends.append((axes.y(values[-1][1]) + 4, colour, number(values[-1][1])))
    parts.extend(f"<text x='{width - _END_LABELS + 5}' y='{y:.1f}' fill='{colour}'>{text}</text>"
                 for y, colour, text in spread(ends, lowest=HEIGHT - _BOTTOM + 3))
    parts.extend(overlay(axes) if overlay else [])
    shown = [(name, COLOURS[i % len(COLOURS)]) for i, (name, values) in enumerate(series.items())
             if values]
    parts.append(legend([name for name, _ in shown], [colour for _, colour in shown]))
    return svg(parts, title, width=width)


def mark_label(x: float, label: str) -> str:
    """A mark's label at the top of the plot area beside its line at `x`: left of it, unless
    it would reach over the y axis' tick values; outlined in white over the lines it crosses."""
    left = x - 3 - len(label) * CHAR_WIDTH >= _LEFT
    return (f"<text x='{x - 3 if left else x + 3:.1f}' y='{_TOP + 10}' text-anchor='"
            f"{'end' if left else 'start'}' stroke='#fff' stroke-width='3' paint-order='stroke'>"
            f"{esc(label)}</text>")


def spread(labels: Sequence[tuple], gap: float = 11.0, lowest: float = math.inf) -> List[tuple]:
    """Labels `(y, ...)` moved apart vertically so that none is within `gap` px of another
    (the lower one moves down) and none is below `lowest` (those above it move up instead), in
    their original order."""
    order = sorted(range(len(labels)), key=lambda i: labels[i][0])
    ys: Dict[int, float] = {}
    last = -math.inf
    for i in order:
        ys[i] = last = max(labels[i][0], last + gap)
    last = lowest + gap
    for i in reversed(order):
        ys[i] = last = min(ys[i], last - gap)
    return [(ys[i], *labels[i][1:]) for i in range(len(labels))]


def scatter(points: Sequence[Tuple[float, float]], title: str, x_label: str,
            y_label: str) -> str:
    """Points with the diagonal y = x (where a perfect prediction lies); points that are not
    finite are left out, and the title says how many."""
    drawn = finite_points(points)
    title += not_drawn(len(points) - len(drawn))
    points = drawn
    values = [v for p in points for v in p] or [0.0, 1.0]
    low, high = min(values), max(values)
    pad = (high - low) * 0.04 or 1.0
    axes = Axes((low - pad, high + pad), (low - pad, high + pad), title, x_label, y_label,
                width=HEIGHT + 40)
    parts = axes.frame()
    parts.append(f"<line x1='{axes.x(low - pad):.1f}' y1='{axes.y(low - pad):.1f}' "
                 f"x2='{axes.x(high + pad):.1f}' y2='{axes.y(high + pad):.1f}' stroke='#999' "
                 "stroke-dasharray='4 3'/>")
    parts.extend(f"<circle cx='{axes.x(x):.1f}' cy='{axes.y(y):.1f}' r='2' fill='{COLOURS[0]}' "
                 "fill-opacity='0.5'/>" for x, y in points)
    return svg(parts, title, width=HEIGHT + 40)
