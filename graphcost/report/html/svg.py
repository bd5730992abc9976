"""SVG building blocks of the HTML reports: elements, scales, ticks, axes and legends.

Charts are SVG text made here in Python, so a report shows them with no
script, font or style from outside the file. Coordinates are pixels, with
y growing downwards as in SVG.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FONT_SIZE = 12
# Average glyph width of a sans-serif font, as a fraction of the font size.
# It only reserves room for labels, so an estimate is enough.
GLYPH_WIDTH = 0.6
AXIS_COLOR = "#444"
GRID_COLOR = "#e3e3e3"
TEXT_COLOR = "#222"
MUTED_COLOR = "#666"


def escape(text: object) -> str:
    """Escape ``text`` for use as element content or a quoted attribute value."""
    return html.escape(str(text), quote=True)


def _attribute_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    return escape(value)


def _attribute_name(keyword: str) -> str:
    """Turn a Python keyword argument into an SVG attribute name: ``font_weight`` to ``font-weight``, ``class_`` to ``class``."""
    return keyword.rstrip("_").replace("_", "-")


def element(name: str, attributes: dict[str, object] | None = None, content: str = "") -> str:
    """Return one SVG element as text.

    Float attribute values are rounded to 0.01 because they are pixel
    coordinates. Pass exact numbers such as ``data-value`` as strings, e.g. ``repr(x)``.
    ``content`` is inserted as is, so escape text with :func:`escape` first.
    Attributes whose value is None are left out.
    """
    parts = [f' {key}="{_attribute_value(value)}"' for key, value in (attributes or {}).items() if value is not None]
    opening = f"<{name}{''.join(parts)}"
    if not content:
        return opening + "/>"
    return f"{opening}>{content}</{name}>"


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Return an estimate of the rendered width of ``text`` in pixels."""
    return len(text) * font_size * GLYPH_WIDTH


def label(x: float, y: float, text: str, anchor: str = "start", size: float = FONT_SIZE, **extra: object) -> str:
    """Return a text element at (x, y), its baseline at y."""
    attributes: dict[str, object] = {"x": x, "y": y, "font-size": size, "text-anchor": anchor, "fill": TEXT_COLOR}
    attributes.update({_attribute_name(key): value for key, value in extra.items()})
    return element("text", attributes, escape(text))


def line(x1: float, y1: float, x2: float, y2: float, color: str = AXIS_COLOR, width: float = 1.0, **extra: object) -> str:
    attributes: dict[str, object] = {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": color, "stroke-width": width}
    attributes.update({_attribute_name(key): value for key, value in extra.items()})
    return element("line", attributes)


@dataclass(frozen=True)
class LinearScale:
    """Map values in [low, high] linearly onto pixels [start, end]."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low
        fraction = (value - self.low) / span if span else 0.0
        return self.start + fraction * (self.end - self.start)


@dataclass(frozen=True)
class LogScale:
    """Map positive values in [low, high] onto pixels [start, end] by their base-10 logarithm."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = math.log10(self.high) - math.log10(self.low)
        fraction = (math.log10(value) - math.log10(self.low)) / span if span else 0.0
        return self.start + fraction * (self.end - self.start)


def nice_step(span: float, target_count: int) -> float:
    """Return a tick step of 1, 2 or 5 times a power of ten giving about ``target_count`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / max(target_count, 1)
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= raw:
            return multiple * power
    return 10 * power


def linear_ticks(low: float, high: float, target_count: int = 6) -> list[float]:
    """Return round tick values covering [low, high], the first <= low and the last >= high."""
    step = nice_step(high - low, target_count)
    first = math.floor(low / step + 1e-9) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 12))
        value += step
    return ticks


def log_bounds(low: float, high: float) -> tuple[float, float]:
    """Return the powers of ten just below ``low`` and just above ``high``."""
    return 10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high))


def log_ticks(low: float, high: float) -> tuple[list[float], list[float]]:
    """Return (major, minor) ticks of a log axis: the powers of ten, and 2..9 times each."""
    first, last = round(math.log10(low)), round(math.log10(high))
    major = [10.0**exponent for exponent in range(first, last + 1)]
    minor = [multiple * 10.0**exponent for exponent in range(first, last) for multiple in range(2, 10)]
    return major, minor


def format_number(value: float) -> str:
    """Format a tick value briefly (``0.001``, ``2.5``, ``1,000``), in exponent form outside 1e-3 to 1e6."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-3:
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if magnitude >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text


def x_axis(scale, ticks: Iterable[float], y: float, top: float, title: str, tick_text=format_number, grid: bool = True) -> str:
    """Return the x axis at pixel row ``y``: line, ticks, tick labels, optional grid up to ``top``, title."""
    parts = [line(scale.start, y, scale.end, y)]
    for value in ticks:
        x = scale(value)
        if grid:
            parts.append(line(x, top, x, y, GRID_COLOR))
        parts.append(line(x, y, x, y + 5))
        parts.append(label(x, y + 18, tick_text(value), "middle"))
    parts.append(label((scale.start + scale.end) / 2, y + 38, title, "middle", FONT_SIZE + 1, font_weight="bold"))
    return element("g", {"class": "axis x-axis"}, "".join(parts))


def y_axis(scale, ticks: Iterable[float], x: float, right: float, title: str, tick_text=format_number) -> str:
    """Return the y axis at pixel column ``x``: line, ticks, labels, grid lines to ``right``, rotated title."""
    parts = [line(x, scale.start, x, scale.end)]
    widest = 0.0
    for value in ticks:
        y = scale(value)
        text = tick_text(value)
        widest = max(widest, text_width(text))
        parts.append(line(x, y, right, y, GRID_COLOR))
        parts.append(line(x - 5, y, x, y))
        parts.append(label(x - 8, y + 4, text, "end"))
    middle = (scale.start + scale.end) / 2
    title_x = x - widest - 22
    parts.append(
        label(title_x, middle, title, "middle", FONT_SIZE + 1, font_weight="bold", transform=f"rotate(-90 {title_x:.2f} {middle:.2f})")
    )
    return element("g", {"class": "axis y-axis"}, "".join(parts))


def minor_grid_x(scale, values: Iterable[float], top: float, bottom: float) -> str:
    return "".join(line(scale(value), top, scale(value), bottom, GRID_COLOR, 0.5) for value in values)


def minor_grid_y(scale, values: Iterable[float], left: float, right: float) -> str:
    return "".join(line(left, scale(value), right, scale(value), GRID_COLOR, 0.5) for value in values)


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: a swatch (a filled box, a hollow box or a line, with an optional dash) and its text."""

    color: str
    text: str
    swatch: str = "box"
    dash: str | None = None


def _swatch(item: LegendItem, x: float, y: float) -> str:
    if item.swatch == "line":
        return line(x, y - 4, x + 18, y - 4, item.color, 2.5, stroke_dasharray=item.dash)
    if item.swatch == "hollow":
        return element("rect", {"x": x + 2, "y": y - 11, "width": 11, "height": 11, "fill": "white", "stroke": item.color, "stroke-width": 2})
    return element("rect", {"x": x + 2, "y": y - 11, "width": 11, "height": 11, "fill": item.color})


def legend(items: Sequence[LegendItem], x: float, y: float, max_width: float) -> tuple[str, float]:
    """Lay out ``items`` in rows from (x, y), wrapping at ``max_width``, and return the SVG and the height used."""
    parts = []
    row_height = FONT_SIZE + 8
    cursor_x, cursor_y = x, y + FONT_SIZE
    for item in items:
        width = 24 + text_width(item.text) + 18
        if cursor_x > x and cursor_x + width > x + max_width:
            cursor_x, cursor_y = x, cursor_y + row_height
        parts.append(_swatch(item, cursor_x, cursor_y))
        parts.append(label(cursor_x + 24, cursor_y, item.text))
        cursor_x += width
    height = cursor_y - y + 8
    return element("g", {"class": "legend"}, "".join(parts)), height


def svg_document(width: float, height: float, title: str, body: str, chart_id: str) -> str:
    """Wrap a chart's elements in an ``<svg>`` with an accessible title."""
    attributes = {
        "id": chart_id,
        "class": "chart",
        "width": math.ceil(width),
        "height": math.ceil(height),
        "viewBox": f"0 0 {math.ceil(width)} {math.ceil(height)}",
        "role": "img",
        "font-family": "sans-serif",
    }
    return element("svg", attributes, element("title", None, escape(title)) + body)
