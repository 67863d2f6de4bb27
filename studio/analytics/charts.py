"""Server-rendered, accessible SVG charts as strings, with their data as HTML tables.

The same string goes into the analytics page and into the PDF (WeasyPrint draws inline
SVG), so the charts use no script, no external fonts, no CSS classes they depend on and no
style attributes (a strict CSP forbids them): only SVG presentation attributes. Each chart
is ``<svg role="img" aria-labelledby=...>`` with a ``<title>`` and ``<desc>``, sized by its
``viewBox`` so it scales to its container, and :func:`data_table` gives the same numbers as
a table for readers who cannot see it.

Every label is escaped (and stripped of characters XML forbids); the output depends only on
the arguments, so the same input gives the same bytes. Colours come from the brand palette;
a colour too pale to see against white is darkened until it has 3:1 contrast (WCAG 1.4.11),
and text is always dark grey on white. Series differ by dash pattern as well as colour, so
a chart printed in grey still reads.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from studio.analytics.metrics import COUNT, RATIO, format_compact, format_value
from studio.colour import contrast_ratio, hex_to_rgb, parse_hex

__all__ = [
    "DEFAULT_PALETTE",
    "EMPTY_MESSAGE",
    "Series",
    "bar_chart",
    "chart_colours",
    "data_table",
    "date_labels",
    "heatmap",
    "heatmap_table",
    "line_chart",
    "nice_ticks",
    "sparkline",
    "stacked_bar_chart",
]

# Okabe-Ito's colour-blind-safe set, darkened where needed to reach 3:1 on white.
DEFAULT_PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#B07800",
    "#3A8FC0",
    "#6B4C9A",
    "#5F6B73",
)
EMPTY_MESSAGE = "No data for this period"
FONT_FAMILY = "Helvetica, Arial, sans-serif"
TEXT = "#1F2937"  # 14.7:1 on white
MUTED = "#4B5563"  # 7.6:1 on white: axis labels
GRID = "#E5E7EB"
AXIS = "#9CA3AF"
WHITE = "#FFFFFF"
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")
HOUR_LABELS = tuple(f"{hour:02d}:00" for hour in range(24))
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named run of values (None for a gap), drawn in ``colour`` or the palette's next."""

    name: str
    values: tuple[float | None, ...]
    colour: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))


# ---------------------------------------------------------------------------------------
# Small helpers

# Characters XML 1.0 does not allow, even escaped: a label holding one would break the SVG.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _esc(text: object) -> str:
    return escape(_NOT_XML.sub("", str(text)), quote=True)


def _clip(text: str, limit: int) -> str:
    text = " ".join(_NOT_XML.sub("", str(text)).split())
    return text if len(text) <= limit else text[: max(limit - 1, 1)].rstrip() + "\u2026"


def _n(value: float) -> str:
    """Return a coordinate with at most one decimal, never '-0'."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text_width(text: str, size: float) -> float:
    # No font metrics on the server: 0.58 em per character fits Helvetica/Arial digits and
    # lower case closely enough to lay out margins.
    return len(text) * size * 0.58


def _mix(colour: str, other: str, amount: float) -> str:
    """Return ``colour`` moved ``amount`` (0-1) of the way towards ``other``."""
    a, b = hex_to_rgb(colour), hex_to_rgb(other)
    mixed = (round(x + (y - x) * amount) for x, y in zip(a, b, strict=True))
    return "#" + "".join(f"{c:02X}" for c in mixed)


def _visible(colour: str) -> str:
    """Return ``colour`` darkened in 5 % steps until it has 3:1 contrast with white."""
    current = parse_hex(colour)
    for step in range(21):
        candidate = _mix(current, "#000000", step * 0.05)
        if contrast_ratio(candidate, WHITE) >= 3.0:
            return candidate
    return "#000000"


def _distance(first: str, second: str) -> float:
    return math.dist(hex_to_rgb(first), hex_to_rgb(second))


def chart_colours(palette: Sequence[str] | None = None, count: int = 0) -> tuple[str, ...]:
    """Return at least ``count`` distinct colours visible on white, the palette's first.

    A brand palette rarely has ten colours; the default (Okabe-Ito) set follows it, leaving
    out colours too close to one already chosen, then darker variants of the lot.
    """
    chosen: list[str] = []
    for colour in (*(palette or ()), *DEFAULT_PALETTE):
        visible = _visible(colour)
        if all(_distance(visible, other) >= 64 for other in chosen):
            chosen.append(visible)
    base = list(chosen)
    shade = 0.35
    while len(chosen) < count:
        chosen.extend(_mix(colour, "#000000", shade) for colour in base)
        shade /= 2
    return tuple(chosen)


def _formatters(unit: str, value_format: Formatter | None) -> tuple[Formatter, Formatter]:
    full = value_format or (lambda v: format_value(v, unit))
    short = value_format or (lambda v: format_compact(v, unit))
    return full, short


def _chart_id(kind: str, chart_id: str | None, *parts: object) -> str:
    if chart_id:
        cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", chart_id)
        return cleaned if cleaned[0].isalpha() else "c-" + cleaned
    digest = hashlib.sha1(repr((kind, *parts)).encode(), usedforsecurity=False).hexdigest()
    return f"chart-{kind}-{digest[:10]}"


def _open(
    kind: str, ident: str, width: float, height: float, title: str, description: str, font: str
) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="plume-chart plume-chart-{kind}" '
        f'font-family="{_esc(font)}" font-size="12" fill="{TEXT}">',
        f'<title id="{ident}-title">{_esc(title)}</title>',
        f'<desc id="{ident}-desc">{_esc(description)}</desc>',
        f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="{WHITE}"/>',
    ]


def _empty(
    kind: str,
    ident: str,
    width: float,
    height: float,
    title: str,
    description: str,
    font: str,
    message: str,
) -> str:
    parts = _open(kind, ident, width, height, title, description, font)
    parts.append(
        f'<rect x="1" y="1" width="{_n(width - 2)}" height="{_n(height - 2)}" fill="none" '
        f'stroke="{GRID}" stroke-dasharray="4 4"/>'
    )
    size = 14 if height >= 60 else 10
    parts.append(
        f'<text x="{_n(width / 2)}" y="{_n(height / 2)}" text-anchor="middle" '
        f'dominant-baseline="middle" font-size="{size}" fill="{MUTED}">{_esc(message)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return round ticks (1, 2, 2.5 or 5 times 10^n apart) covering ``low``..``high``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("ticks need finite bounds")
    if high < low:
        low, high = high, low
    if high == low:
        high = low + (abs(low) or 1)
    count = max(count, 2)
    raw = (high - low) / (count - 1)
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10**exponent
    nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 2.5 if fraction <= 2.5 else 5
    if fraction > 5:
        nice = 10
    step = nice * 10**exponent
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    # Multiply integers by the step (never add steps up) so 0.1 + 0.2 noise cannot appear.
    digits = max(0, -exponent + 1)
    return [round(k * step, digits) for k in range(first, last + 1)]


def _value_ticks(values: Sequence[float], count: int = 5) -> list[float]:
    top = max(values, default=0.0)
    bottom = min(values, default=0.0)
    # Bars and totals start at zero: a cut axis makes small changes look large.
    low = min(0.0, bottom)
    high = max(0.0, top)
    if high == low:
        high = low + 1
    return nice_ticks(low, high, count)


def _legend(
    items: Sequence[tuple[str, str, str]], x0: float, y0: float, width: float, line: bool
) -> tuple[list[str], float]:
    """Return legend SVG for (name, colour, dash) items wrapped into ``width``, and its height."""
    parts: list[str] = []
    x, y = x0, y0
    row_height = 18
    for name, colour, dash in items:
        label = _clip(name, 28)
        item_width = 22 + _text_width(label, 11) + 16
        if x > x0 and x + item_width > x0 + width:
            x, y = x0, y + row_height
        if line:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{_n(x)}" y1="{_n(y + 6)}" x2="{_n(x + 16)}" y2="{_n(y + 6)}" '
                f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            )
        else:
            parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{_n(x + 22)}" y="{_n(y + 10)}" font-size="11">{_esc(label)}</text>')
        x += item_width
    return parts, (y - y0 + row_height if items else 0)


def _label_step(labels: Sequence[str], room: float, size: float = 11) -> int:
    """Return k so that every k-th category label fits in ``room`` without overlapping."""
    if not labels:
        return 1
    widest = max(_text_width(label, size) for label in labels) + 8
    fits = max(int(room // widest), 1)
    return max(math.ceil(len(labels) / fits), 1)


def _series_colours(series: Sequence[Series], palette: Sequence[str] | None) -> list[str]:
    colours = chart_colours(palette, len(series))
    return [
        _visible(s.colour) if s.colour else colours[i % len(colours)] for i, s in enumerate(series)
    ]


def _check_lengths(labels: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(
                f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels"
            )


def _has_data(series: Sequence[Series]) -> bool:
    return any(v is not None for s in series for v in s.values)


def _y_axis(
    parts: list[str],
    ticks: Sequence[float],
    scale: Callable[[float], float],
    left: float,
    right: float,
    short: Formatter,
) -> None:
    for tick in ticks:
        y = scale(tick)
        parts.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" '
            f'stroke="{AXIS if tick == 0 else GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" font-size="11" '
            f'fill="{MUTED}">{_esc(short(tick))}</text>'
        )


def _tick_room(ticks: Sequence[float], short: Formatter) -> float:
    return max(_text_width(short(t), 11) for t in ticks) + 12


# ---------------------------------------------------------------------------------------
# Charts


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    palette: Sequence[str] | None = None,
    unit: str = COUNT,
    value_format: Formatter | None = None,
    width: int = 640,
    height: int = 320,
    font_family: str = FONT_FAMILY,
    empty_message: str = EMPTY_MESSAGE,
    chart_id: str | None = None,
) -> str:
    """Return a line chart of one or more series over shared ``labels`` (x axis) as SVG.

    None values leave a gap. The y axis starts at 0 and ends on a round number. ``unit``
    ('count' or 'ratio') formats ticks and tooltips unless ``value_format`` is given.
    """
    _check_lengths(labels, series)
    ident = _chart_id("line", chart_id, title, description, tuple(labels), tuple(series), unit)
    if not labels or not _has_data(series):
        return _empty("line", ident, width, height, title, description, font_family, empty_message)
    full, short = _formatters(unit, value_format)
    colours = _series_colours(series, palette)
    values = [v for s in series for v in s.values if v is not None]
    ticks = _value_ticks(values)
    parts = _open("line", ident, width, height, title, description, font_family)
    left = 8 + _tick_room(ticks, short)
    right = width - 16
    top = 12.0
    if len(series) > 1:
        items = [(s.name, colours[i], DASHES[i % len(DASHES)]) for i, s in enumerate(series)]
        legend, legend_height = _legend(items, left, top, right - left, line=True)
        parts.extend(legend)
        top += legend_height + 6
    bottom = height - 30.0
    low, high = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    count = len(labels)

    def x_of(index: int) -> float:
        if count == 1:
            return (left + right) / 2
        return left + index * (right - left) / (count - 1)

    _y_axis(parts, ticks, y_of, left, right, short)
    step = _label_step(labels, right - left)
    for index in range(0, count, step):
        anchor = "middle"
        if count > 1 and index == 0:
            anchor = "start"
        parts.append(
            f'<text x="{_n(x_of(index))}" y="{_n(bottom + 18)}" text-anchor="{anchor}" '
            f'font-size="11" fill="{MUTED}">{_esc(_clip(labels[index], 14))}</text>'
        )
    dots = count <= 40
    for i, s in enumerate(series):
        colour = colours[i]
        dash = DASHES[i % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        runs: list[list[tuple[float, float]]] = []
        current: list[tuple[float, float]] = []
        for index, value in enumerate(s.values):
            if value is None:
                if current:
                    runs.append(current)
                current = []
                continue
            current.append((x_of(index), y_of(value)))
        if current:
            runs.append(current)
        parts.append(f'<g class="series" data-series="{_esc(s.name)}">')
        for run in runs:
            if len(run) > 1:
                path = " ".join(
                    f"{'M' if k == 0 else 'L'}{_n(x)} {_n(y)}" for k, (x, y) in enumerate(run)
                )
                parts.append(
                    f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
                    f'stroke-linejoin="round" stroke-linecap="round"{dash_attr}/>'
                )
        for index, value in enumerate(s.values):
            if value is None:
                continue
            isolated = (index == 0 or s.values[index - 1] is None) and (
                index == count - 1 or s.values[index + 1] is None
            )
            if dots or isolated:
                tip = f"{s.name}, {labels[index]}: {full(value)}"
                parts.append(
                    f'<circle cx="{_n(x_of(index))}" cy="{_n(y_of(value))}" r="3" '
                    f'fill="{colour}" stroke="{WHITE}" stroke-width="1">'
                    f"<title>{_esc(tip)}</title></circle>"
                )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    description: str,
    horizontal: bool = False,
    palette: Sequence[str] | None = None,
    colours: Sequence[str] | None = None,
    unit: str = COUNT,
    value_format: Formatter | None = None,
    width: int = 640,
    height: int | None = None,
    font_family: str = FONT_FAMILY,
    empty_message: str = EMPTY_MESSAGE,
    chart_id: str | None = None,
) -> str:
    """Return a bar chart (vertical, or ``horizontal`` for long labels) as SVG.

    Bars use the palette's first colour, or ``colours`` per bar (one per platform, say).
    Each bar carries its value as a label. A horizontal chart grows 28 units per bar
    unless ``height`` is given.
    """
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values for {len(labels)} labels")
    kind = "hbar" if horizontal else "bar"
    ident = _chart_id(kind, chart_id, title, description, tuple(labels), tuple(values), unit)
    if height is None:
        height = int(40 + 28 * max(len(labels), 3)) if horizontal else 320
    if not labels or all(v is None for v in values):
        return _empty(kind, ident, width, height, title, description, font_family, empty_message)
    full, short = _formatters(unit, value_format)
    palette_colours = chart_colours(palette)
    bar_colours = [
        _visible(colours[i % len(colours)]) if colours else palette_colours[0]
        for i in range(len(labels))
    ]
    present = [v for v in values if v is not None]
    ticks = _value_ticks(present, 5)
    low, high = ticks[0], ticks[-1]
    parts = _open(kind, ident, width, height, title, description, font_family)
    if horizontal:
        clipped = [_clip(label, 26) for label in labels]
        left = min(8 + max(_text_width(c, 11) for c in clipped) + 10, width * 0.4)
        value_room = max(_text_width(full(v), 11) for v in present) + 10
        right = width - max(value_room, 16)
        top, bottom = 10.0, height - 26.0
        band = (bottom - top) / len(labels)

        def x_of(value: float) -> float:
            return left + (value - low) / (high - low) * (right - left)

        for tick in ticks:
            x = x_of(tick)
            parts.append(
                f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" '
                f'stroke="{AXIS if tick == 0 else GRID}" stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{_n(x)}" y="{_n(bottom + 16)}" text-anchor="middle" '
                f'font-size="11" fill="{MUTED}">{_esc(short(tick))}</text>'
            )
        for index, (label, value) in enumerate(zip(clipped, values, strict=True)):
            y = top + index * band
            centre = y + band / 2
            parts.append(
                f'<text x="{_n(left - 8)}" y="{_n(centre + 4)}" text-anchor="end" '
                f'font-size="11">{_esc(label)}</text>'
            )
            if value is None:
                parts.append(
                    f'<text x="{_n(left + 4)}" y="{_n(centre + 4)}" font-size="11" '
                    f'fill="{MUTED}">{_esc(_or_dash(None, full))}</text>'
                )
                continue
            x0, x1 = x_of(min(0, value)), x_of(max(0, value))
            bar_height = band * 0.68
            parts.append(
                f'<rect x="{_n(x0)}" y="{_n(centre - bar_height / 2)}" '
                f'width="{_n(max(x1 - x0, 0.5))}" height="{_n(bar_height)}" '
                f'fill="{bar_colours[index]}">'
                f"<title>{_esc(f'{labels[index]}: {full(value)}')}</title></rect>"
            )
            parts.append(
                f'<text x="{_n(x1 + 6)}" y="{_n(centre + 4)}" font-size="11">'
                f"{_esc(full(value))}</text>"
            )
    else:
        left = 8 + _tick_room(ticks, short)
        right = width - 12.0
        top, bottom = 22.0, height - 30.0
        band = (right - left) / len(labels)

        def y_of(value: float) -> float:
            return bottom - (value - low) / (high - low) * (bottom - top)

        _y_axis(parts, ticks, y_of, left, right, short)
        # Every bar keeps its label, shortened to its band, unless bands are too narrow
        # for four characters: then every k-th label shows, as on a time axis.
        room = int((band - 4) // (11 * 0.58))
        step = 1 if room >= 4 else _label_step(labels, right - left)
        fit = max(room, 4) if step == 1 else 14
        show_values = band >= max(_text_width(short(v), 10) for v in present) + 4
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            centre = left + (index + 0.5) * band
            if index % step == 0:
                parts.append(
                    f'<text x="{_n(centre)}" y="{_n(bottom + 18)}" text-anchor="middle" '
                    f'font-size="11" fill="{MUTED}">{_esc(_clip(label, fit))}</text>'
                )
            if value is None:
                parts.append(
                    f'<text x="{_n(centre)}" y="{_n(y_of(0) - 5)}" text-anchor="middle" '
                    f'font-size="10" fill="{MUTED}">\u2014</text>'
                )
                continue
            y0, y1 = y_of(max(0, value)), y_of(min(0, value))
            bar_width = band * 0.7
            parts.append(
                f'<rect x="{_n(centre - bar_width / 2)}" y="{_n(y0)}" '
                f'width="{_n(bar_width)}" height="{_n(max(y1 - y0, 0.5))}" '
                f'fill="{bar_colours[index]}">'
                f"<title>{_esc(f'{label}: {full(value)}')}</title></rect>"
            )
            if show_values:
                parts.append(
                    f'<text x="{_n(centre)}" y="{_n(y0 - 5)}" text-anchor="middle" '
                    f'font-size="10">{_esc(short(value))}</text>'
                )
    parts.append("</svg>")
    return "\n".join(parts)


def _or_dash(value: float | None, full: Formatter) -> str:
    """Return ``full(value)``, or a dash for a missing value."""
    return "\u2014" if value is None else full(value)


def stacked_bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    palette: Sequence[str] | None = None,
    unit: str = COUNT,
    value_format: Formatter | None = None,
    width: int = 640,
    height: int = 340,
    font_family: str = FONT_FAMILY,
    empty_message: str = EMPTY_MESSAGE,
    chart_id: str | None = None,
) -> str:
    """Return vertical bars stacking each series (one per platform, say) per label, as SVG.

    The first series sits at the bottom of each stack; negative and missing values count as
    0. Each segment's tooltip names its series, label and value.
    """
    _check_lengths(labels, series)
    ident = _chart_id("stack", chart_id, title, description, tuple(labels), tuple(series), unit)
    clean = [[max(v or 0, 0) for v in s.values] for s in series]
    if not labels or not any(any(v > 0 for v in row) for row in clean):
        return _empty("stack", ident, width, height, title, description, font_family, empty_message)
    full, short = _formatters(unit, value_format)
    colours = _series_colours(series, palette)
    stacks = [sum(row[i] for row in clean) for i in range(len(labels))]
    ticks = _value_ticks(stacks)
    low, high = ticks[0], ticks[-1]
    parts = _open("stack", ident, width, height, title, description, font_family)
    left = 8 + _tick_room(ticks, short)
    right = width - 12.0
    top = 10.0
    items = [(s.name, colours[i], "") for i, s in enumerate(series)]
    legend, legend_height = _legend(items, left, top, right - left, line=False)
    parts.extend(legend)
    top += legend_height + 14
    bottom = height - 30.0
    band = (right - left) / len(labels)

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    _y_axis(parts, ticks, y_of, left, right, short)
    step = _label_step(labels, right - left)
    bar_width = band * 0.7
    for index, label in enumerate(labels):
        centre = left + (index + 0.5) * band
        if index % step == 0:
            parts.append(
                f'<text x="{_n(centre)}" y="{_n(bottom + 18)}" text-anchor="middle" '
                f'font-size="11" fill="{MUTED}">{_esc(_clip(label, 14))}</text>'
            )
        base = 0.0
        for s_index, s in enumerate(series):
            value = clean[s_index][index]
            if value <= 0:
                continue
            y_top, y_bottom = y_of(base + value), y_of(base)
            parts.append(
                f'<rect x="{_n(centre - bar_width / 2)}" y="{_n(y_top)}" '
                f'width="{_n(bar_width)}" height="{_n(y_bottom - y_top)}" '
                f'fill="{colours[s_index]}" stroke="{WHITE}" stroke-width="0.75">'
                f"<title>{_esc(f'{s.name}, {label}: {full(value)}')}</title></rect>"
            )
            base += value
    parts.append("</svg>")
    return "\n".join(parts)


def heatmap(
    grid: Sequence[Sequence[float | None]],
    *,
    title: str,
    description: str,
    counts: Sequence[Sequence[int]] | None = None,
    row_labels: Sequence[str] = WEEKDAY_LABELS,
    column_labels: Sequence[str] = HOUR_LABELS,
    colour: str | None = None,
    palette: Sequence[str] | None = None,
    unit: str = RATIO,
    value_format: Formatter | None = None,
    width: int = 640,
    font_family: str = FONT_FAMILY,
    empty_message: str = EMPTY_MESSAGE,
    chart_id: str | None = None,
) -> str:
    """Return a weekday-by-hour heatmap (rows by columns) shaded from pale to ``colour``.

    Shades are quantile classes: each of the five holds about a fifth of the cells with a
    value, so one outlier does not wash out the rest; the legend's swatches give their ranges.
    Cells without a value are white with a grey outline and say "no posts" in their tooltip;
    ``counts`` (same shape) adds how many posts each average rests on. A legend shows the
    scale from the lowest to the highest value.
    """
    rows = [tuple(row) for row in grid]
    if len(rows) != len(row_labels) or any(len(r) != len(column_labels) for r in rows):
        raise ValueError(f"the grid must be {len(row_labels)} rows of {len(column_labels)} values")
    ident = _chart_id(
        "heatmap", chart_id, title, description, tuple(rows), tuple(map(tuple, counts or ()))
    )
    cell_w = (width - 60.0) / len(column_labels)
    cell_h = min(cell_w * 1.1, 30.0)
    height = 26 + cell_h * len(rows) + 56
    present = [v for row in rows for v in row if v is not None]
    if not present:
        return _empty(
            "heatmap", ident, width, height, title, description, font_family, empty_message
        )
    full, short = _formatters(unit, value_format)
    base = _visible(colour) if colour else chart_colours(palette)[0]
    low, high = min(present), max(present)
    parts = _open("heatmap", ident, width, height, title, description, font_family)
    left, top = 44.0, 22.0

    # Five shades, each holding about a fifth of the cells with a value (quantile classes):
    # on a linear scale one lucky hour would wash every other cell out to the palest tint.
    ordered = sorted(present)
    breaks = [ordered[math.ceil(len(ordered) * k / 5) - 1] for k in range(1, 6)]
    shades = [_mix(WHITE, base, 0.12 + 0.88 * k / 4) for k in range(5)]

    def shade(value: float) -> str:
        if high == low:
            return shades[2]
        return shades[min(bisect.bisect_left(breaks, value), 4)]

    step = _label_step(column_labels, width - left, 10)
    step = max(step, 3) if len(column_labels) == 24 else step
    for column, label in enumerate(column_labels):
        if column % step == 0:
            parts.append(
                f'<text x="{_n(left + column * cell_w)}" y="{_n(top - 8)}" font-size="10" '
                f'fill="{MUTED}">{_esc(_clip(label, 6))}</text>'
            )
    for r, (label, row) in enumerate(zip(row_labels, rows, strict=True)):
        y = top + r * cell_h
        parts.append(
            f'<text x="{_n(left - 8)}" y="{_n(y + cell_h / 2 + 4)}" text-anchor="end" '
            f'font-size="11">{_esc(_clip(label, 5))}</text>'
        )
        for column, value in enumerate(row):
            x = left + column * cell_w
            where = f"{row_labels[r]} {column_labels[column]}"
            if value is None:
                tip = f"{where}: no posts"
                fill, stroke = WHITE, GRID
            else:
                posts = counts[r][column] if counts is not None else None
                suffix = "" if posts is None else f" ({posts} post{'s' if posts != 1 else ''})"
                tip = f"{where}: {full(value)}{suffix}"
                fill, stroke = shade(value), WHITE
            parts.append(
                f'<rect x="{_n(x + 0.5)}" y="{_n(y + 0.5)}" width="{_n(cell_w - 1)}" '
                f'height="{_n(cell_h - 1)}" fill="{fill}" stroke="{stroke}" '
                f'stroke-width="1"><title>{_esc(tip)}</title></rect>'
            )
    legend_y = top + len(rows) * cell_h + 18
    parts.append(
        f'<text x="{_n(left)}" y="{_n(legend_y + 10)}" font-size="11" fill="{MUTED}">'
        f"{_esc(short(low))}</text>"
    )
    swatch_x = left + _text_width(short(low), 11) + 8
    for k, fill in enumerate(shades):
        floor = low if k == 0 else breaks[k - 1]
        parts.append(
            f'<rect x="{_n(swatch_x + k * 22)}" y="{_n(legend_y)}" width="20" height="12" '
            f'fill="{fill}"><title>{_esc(f"{full(floor)} to {full(breaks[k])}")}</title></rect>'
        )
    after = swatch_x + 5 * 22 + 6
    parts.append(
        f'<text x="{_n(after)}" y="{_n(legend_y + 10)}" font-size="11" fill="{MUTED}">'
        f"{_esc(short(high))}</text>"
    )
    none_x = after + _text_width(short(high), 11) + 24
    parts.append(
        f'<rect x="{_n(none_x)}" y="{_n(legend_y)}" width="20" height="12" fill="{WHITE}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    parts.append(
        f'<text x="{_n(none_x + 26)}" y="{_n(legend_y + 10)}" font-size="11" '
        f'fill="{MUTED}">no posts</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def sparkline(
    values: Sequence[float | None],
    *,
    title: str,
    description: str,
    colour: str | None = None,
    width: int = 120,
    height: int = 32,
    font_family: str = FONT_FAMILY,
    empty_message: str = "No data",
    chart_id: str | None = None,
) -> str:
    """Return a small axis-less line of ``values`` (scaled to their own range) as SVG."""
    values = tuple(values)
    ident = _chart_id("spark", chart_id, title, description, values)
    present = [v for v in values if v is not None]
    if not present:
        return _empty("spark", ident, width, height, title, description, font_family, empty_message)
    stroke = _visible(colour) if colour else chart_colours()[0]
    low, high = min(present), max(present)
    pad = 3.0
    count = len(values)

    def x_of(index: int) -> float:
        return width / 2 if count == 1 else pad + index * (width - 2 * pad) / (count - 1)

    def y_of(value: float) -> float:
        if high == low:
            return height / 2
        return height - pad - (value - low) / (high - low) * (height - 2 * pad)

    parts = _open("spark", ident, width, height, title, description, font_family)
    path: list[str] = []
    pen_down = False
    for index, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{_n(x_of(index))} {_n(y_of(value))}")
        pen_down = True
    parts.append(
        f'<path d="{" ".join(path)}" fill="none" stroke="{stroke}" stroke-width="1.75" '
        f'stroke-linejoin="round" stroke-linecap="round"/>'
    )
    last = max(i for i, v in enumerate(values) if v is not None)
    parts.append(
        f'<circle cx="{_n(x_of(last))}" cy="{_n(y_of(values[last] or 0))}" r="2.25" '
        f'fill="{stroke}"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------
# Text alternatives


def data_table(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    caption: str,
    label_header: str = "",
    unit: str = COUNT,
    value_format: Formatter | None = None,
    empty_message: str = EMPTY_MESSAGE,
) -> str:
    """Return the chart's data as an HTML table: one row per label, one column per series."""
    _check_lengths(labels, series)
    full, _ = _formatters(unit, value_format)
    head = "".join(f'<th scope="col">{_esc(s.name)}</th>' for s in series)
    lines = [
        '<table class="plume-chart-table">',
        f"<caption>{_esc(caption)}</caption>",
        f'<thead><tr><th scope="col">{_esc(label_header)}</th>{head}</tr></thead>',
        "<tbody>",
    ]
    if not labels or not _has_data(series):
        lines.append(f'<tr><td colspan="{len(series) + 1}">{_esc(empty_message)}</td></tr>')
    else:
        for index, label in enumerate(labels):
            cells = "".join(f"<td>{_esc(_or_dash(s.values[index], full))}</td>" for s in series)
            lines.append(f'<tr><th scope="row">{_esc(label)}</th>{cells}</tr>')
    lines.append("</tbody>")
    lines.append("</table>")
    return "\n".join(lines)


def heatmap_table(
    grid: Sequence[Sequence[float | None]],
    *,
    caption: str,
    row_labels: Sequence[str] = WEEKDAY_LABELS,
    column_labels: Sequence[str] = HOUR_LABELS,
    unit: str = RATIO,
    value_format: Formatter | None = None,
    empty_message: str = EMPTY_MESSAGE,
) -> str:
    """Return a heatmap's grid as a table: one row per hour, one column per weekday."""
    series = [Series(label, tuple(row)) for label, row in zip(row_labels, grid, strict=True)]
    return data_table(
        list(column_labels),
        series,
        caption=caption,
        label_header="Hour",
        unit=unit,
        value_format=value_format,
        empty_message=empty_message,
    )


def date_labels(days: Sequence[date], granularity: str) -> list[str]:
    """Return axis labels for bucket dates: '5 Oct' for days and weeks, 'Oct 2026' for months."""
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    if granularity == "month":
        return [f"{months[d.month - 1]} {d.year}" for d in days]
    years = {d.year for d in days}
    if len(years) > 1:
        return [f"{d.day} {months[d.month - 1]} {d.year % 100:02d}" for d in days]
    return [f"{d.day} {months[d.month - 1]}" for d in days]
