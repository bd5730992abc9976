"""Charts of the HTML reports, as inline SVG: per-kernel bars, roofline, attribution waterfall, stage bars.

Every mark carries its exact number in a ``data-value`` attribute (the
``repr`` of the report's float or int, in the report's own unit: seconds,
bytes, FLOP/s), so a reader of the page can check it against the embedded
JSON report.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from graphcost.diff.compare import DiffReport
from graphcost.report.html.svg import (
    FONT_SIZE,
    MUTED_COLOR,
    LegendItem,
    LinearScale,
    LogScale,
    element,
    escape,
    label,
    legend,
    line,
    linear_ticks,
    log_bounds,
    log_ticks,
    minor_grid_x,
    minor_grid_y,
    nice_step,
    svg_document,
    text_width,
    x_axis,
    y_axis,
)
from graphcost.report.render import LOWER_BOUND, count_text, kernel_bound_text, kernel_uncosted_counts
from graphcost.results import AnalysisReport

# One colour per kernel class of graphcost.hardware.profile.KERNEL_CLASSES,
# from the Tableau 10 palette, so neighbouring classes stay distinguishable.
KERNEL_CLASS_COLORS = {
    "conv": "#1f4e79",
    "conv_1x1": "#4e79a7",
    "conv_depthwise": "#f28e2b",
    "fc": "#76b7b2",
    "elementwise": "#e15759",
    "pooling": "#59a14f",
    "squeeze_excite": "#b07aa1",
    "data_movement": "#9c755f",
    "other": "#bab0ac",
}
UNKNOWN_CLASS_COLOR = "#7f7f7f"
ROOF_COLORS = ("#8c2d04", "#08519c", "#006d2c", "#54278f")
INCREASE_COLOR = "#d62728"
DECREASE_COLOR = "#2ca02c"
TOTAL_COLOR = "#5b6770"
SIDE_COLORS = {"a": "#4e79a7", "b": "#f28e2b"}

TITLE_SIZE = 15
LEFT_MARGIN = 84
RIGHT_MARGIN = 28
BOTTOM_MARGIN = 58
MAX_BAR_WIDTH = 40.0


def class_color(kernel_class: str) -> str:
    return KERNEL_CLASS_COLORS.get(kernel_class, UNKNOWN_CLASS_COLOR)


def _heading(title: str, subtitle: str) -> str:
    return label(12, 22, title, size=TITLE_SIZE, font_weight="bold") + label(12, 40, subtitle, fill=MUTED_COLOR)


def _tooltip(text: str) -> str:
    return element("title", None, escape(text))


def _class_legend_items(classes: list[str]) -> list[LegendItem]:
    return [LegendItem(class_color(name), name) for name in classes]


def _ordered_classes(names) -> list[str]:
    """Return the distinct kernel classes among ``names``, in KERNEL_CLASS_COLORS order, then unknown ones."""
    present = set(names)
    known = [name for name in KERNEL_CLASS_COLORS if name in present]
    return known + sorted(present - set(KERNEL_CLASS_COLORS))


@dataclass(frozen=True)
class _BarMetric:
    """Values of the per-kernel bar chart, one per kernel id, and the display unit they are drawn in."""

    title: str
    axis_title: str
    scale: float  # display unit per report unit
    unit: str
    values: dict[str, float]


def _bar_metric(report: AnalysisReport) -> _BarMetric:
    latency = report.latency
    if latency is not None:
        at_least = "at least " if report.totals_are_lower_bounds else ""
        return _BarMetric(
            title=f"Latency per kernel on {latency.profile}, in execution order (total {at_least}{latency.total_s * 1e3:,.2f} ms)",
            axis_title="latency (ms)",
            scale=1e3,
            unit="ms",
            values={item.kernel_id: item.latency_s for item in latency.kernels},
        )
    values = {kernel.id: kernel.bytes_moved for kernel in report.kernels.kernels}
    megabytes = max(values.values(), default=0) >= 1e6
    return _BarMetric(
        title="Bytes moved per kernel, in execution order (no hardware profile, so no latency: see --hw)",
        axis_title="bytes moved (MB)" if megabytes else "bytes moved (kB)",
        scale=1e-6 if megabytes else 1e-3,
        unit="MB" if megabytes else "kB",
        values=values,
    )


def _index_step(pitch: float, min_spacing: float = 44.0) -> int:
    """Return the step between labelled kernel indexes (1, 2, 5, 10, 20 ...) that puts labels ``min_spacing`` px apart."""
    return max(1, round(nice_step(min_spacing / pitch, 1)))


def _first_node(kernel) -> str:
    """Return the key of the kernel's first op, and how many ops follow it, to name the kernel in a tooltip."""
    more = len(kernel.nodes) - 1
    return kernel.nodes[0] + (f" (+{more} ops)" if more else "")


def kernel_bar_chart(report: AnalysisReport) -> str:
    """Return the per-kernel bar chart: latency with a profile, bytes moved without, coloured by kernel class."""
    kernels = report.kernels.kernels
    metric = _bar_metric(report)
    latency = {item.kernel_id: item for item in report.latency.kernels} if report.latency is not None else {}
    uncosted = kernel_uncosted_counts(report)
    count = max(len(kernels), 1)
    plot_width = max(1100.0, count * 4.0)
    width = LEFT_MARGIN + plot_width + RIGHT_MARGIN
    subtitle = f"{count_text(len(kernels), 'kernel')}, one bar each; hover a bar for its kernel, ops and value"
    items = _class_legend_items(_ordered_classes(kernel.kernel_class for kernel in kernels))
    fallback_devices = sorted({item.device for item in latency.values() if item.device != report.latency.profile})
    items += [LegendItem("#000", f"outlined: runs on {device}", "hollow") for device in fallback_devices]
    legend_svg, legend_height = legend(items, LEFT_MARGIN, 50, plot_width)
    top = 50 + legend_height + 12
    plot_height = 300.0
    bottom = top + plot_height

    maximum = max((metric.values[kernel.id] * metric.scale for kernel in kernels), default=0.0)
    y_ticks = linear_ticks(0.0, maximum if maximum > 0 else 1.0)
    y_scale = LinearScale(0.0, y_ticks[-1], bottom, top)
    x_scale = LinearScale(-0.5, count - 0.5, LEFT_MARGIN, LEFT_MARGIN + plot_width)
    pitch = plot_width / count
    bar_width = min(max(1.0, pitch * 0.8), MAX_BAR_WIDTH)

    parts = [_heading(metric.title, subtitle), legend_svg, y_axis(y_scale, y_ticks, LEFT_MARGIN, LEFT_MARGIN + plot_width, metric.axis_title)]
    bars = []
    for index, kernel in enumerate(kernels):
        raw = metric.values[kernel.id]
        displayed = raw * metric.scale
        height = bottom - y_scale(displayed)
        if displayed > 0:
            height = max(height, 1.0)  # keep a tiny nonzero value visible as a 1 px bar
        text = f"#{index} {kernel.id} {kernel.label or kernel.kernel_class} ({kernel.kernel_class}) at {_first_node(kernel)}: "
        if kernel.id in latency:
            # As in the kernel table, the latency of a kernel with an uncosted node is a lower bound.
            item = latency[kernel.id]
            lower_bound = LOWER_BOUND if uncosted[kernel.id] else ""
            text += f"{lower_bound}{displayed:,.3f} {metric.unit}, {kernel_bound_text(item, uncosted[kernel.id])} on {item.device}"
        else:
            text += f"{displayed:,.3f} {metric.unit}"
        on_fallback = kernel.id in latency and latency[kernel.id].device != report.latency.profile
        attributes = {
            "class": "kernel-bar",
            "x": x_scale(index) - bar_width / 2,
            "y": bottom - height,
            "width": bar_width,
            "height": height,
            "fill": class_color(kernel.kernel_class),
            "stroke": "#000" if on_fallback else None,
            "stroke-width": 1.5 if on_fallback else None,
            "data-kernel": kernel.id,
            "data-kernel-class": kernel.kernel_class,
            "data-value": repr(raw),
        }
        bars.append(element("rect", attributes, _tooltip(text)))
    parts.append(element("g", {"class": "bars"}, "".join(bars)))
    step = _index_step(pitch)
    parts.append(x_axis(x_scale, range(0, count, step), bottom, top, "kernel index, in execution order", str, grid=False))
    return svg_document(width, bottom + BOTTOM_MARGIN, metric.title, "".join(parts), "kernel-bars")


@dataclass(frozen=True)
class RooflinePoint:
    """One kernel on the roofline: FLOP = 2 x MACs + element-wise operations."""

    kernel_id: str
    kernel_class: str
    label: str
    first_node: str
    device: str
    bound: str
    intensity: float  # FLOP per byte moved, bytes at the device's data type
    attained_flops_per_s: float  # FLOP / predicted latency


def roofline_points(report: AnalysisReport) -> tuple[list[RooflinePoint], int]:
    """Return the kernels that can sit on a log-log roofline, and how many cannot.

    A kernel is left out when it has no FLOP or no bytes, or when one of its
    nodes is uncosted, since its FLOP and intensity are then unknown.
    """
    kernels = {kernel.id: kernel for kernel in report.kernels.kernels}
    points = []
    left_out = 0
    for item in report.latency.kernels:
        kernel = kernels[item.kernel_id]
        flops = 2 * kernel.macs + kernel.elementwise_ops
        intensity = item.arithmetic_intensity
        unknown = kernel.uncosted_nodes > 0
        if unknown or flops <= 0 or item.latency_s <= 0 or not math.isfinite(intensity) or intensity <= 0:
            left_out += 1
            continue
        points.append(
            RooflinePoint(
                item.kernel_id,
                item.kernel_class,
                kernel.label,
                _first_node(kernel),
                item.device,
                item.bound,
                intensity,
                flops / item.latency_s,
            )
        )
    return points, left_out


@dataclass(frozen=True)
class _Roof:
    name: str
    color: str
    dash: str | None
    flops_per_s: float | None = None  # a horizontal compute roof
    bytes_per_s: float | None = None  # a bandwidth roof: FLOP/s = bandwidth x intensity


def _roofs(report: AnalysisReport) -> list[_Roof]:
    hardware = report.hardware
    roofs = [
        _Roof(
            f"peak MAC rate: 2 x {hardware.macs_per_s.value / 1e9:,.1f} GMAC/s = {2 * hardware.macs_per_s.value / 1e9:,.1f} GFLOP/s",
            "#111111",
            None,
            flops_per_s=2 * hardware.macs_per_s.value,
        ),
        _Roof(f"peak element-wise rate: {hardware.elementwise_ops_per_s.value / 1e9:,.1f} Gop/s", "#111111", "7 4",
              flops_per_s=hardware.elementwise_ops_per_s.value),
    ]
    for index, level in enumerate(hardware.memory):
        bandwidth = level.bandwidth_bytes_per_s.value
        roofs.append(_Roof(f"{level.name} bandwidth: {bandwidth / 1e9:,.1f} GB/s", ROOF_COLORS[index % len(ROOF_COLORS)], None, bytes_per_s=bandwidth))
    return roofs


def _roof_segment(roof: _Roof, peak: float, x_scale: LogScale, y_scale: LogScale) -> tuple[float, float, float, float] | None:
    """Return the data-space segment (x1, y1, x2, y2) of a roof inside the plot, or None when it misses the plot.

    A bandwidth roof stops where it meets the compute roof ``peak``.
    """
    if roof.flops_per_s is not None:
        return x_scale.low, roof.flops_per_s, x_scale.high, roof.flops_per_s
    bandwidth = roof.bytes_per_s
    x_start = max(x_scale.low, y_scale.low / bandwidth)
    x_end = min(x_scale.high, peak / bandwidth, y_scale.high / bandwidth)
    if x_end <= x_start:
        return None
    return x_start, bandwidth * x_start, x_end, bandwidth * x_end


def _roof_lines(roofs: list[_Roof], peak: float, x_scale: LogScale, y_scale: LogScale) -> str:
    parts = []
    for roof in roofs:
        segment = _roof_segment(roof, peak, x_scale, y_scale)
        if segment is None:
            continue
        x1, y1, x2, y2 = (x_scale(segment[0]), y_scale(segment[1]), x_scale(segment[2]), y_scale(segment[3]))
        parts.append(line(x1, y1, x2, y2, roof.color, 2.0, stroke_dasharray=roof.dash, class_="roof"))
        short_name = roof.name.split(":")[0]
        if roof.bytes_per_s is None:
            parts.append(label(x_scale.end - 6, y1 - 6, short_name, "end", FONT_SIZE - 1, fill=roof.color))
            continue
        angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
        anchor_x, anchor_y = x1 + (x2 - x1) * 0.08, y1 + (y2 - y1) * 0.08 - 6
        parts.append(
            label(anchor_x, anchor_y, short_name, "start", FONT_SIZE - 1, fill=roof.color,
                  transform=f"rotate({angle:.2f} {anchor_x:.2f} {anchor_y:.2f})")
        )
    return element("g", {"class": "roofs"}, "".join(parts))


def _roofline_marks(points: list[RooflinePoint], x_scale: LogScale, y_scale: LogScale, home_device: str) -> str:
    marks = []
    for point in points:
        color = class_color(point.kernel_class)
        hollow = point.device != home_device
        text = (
            f"{point.kernel_id} {point.label or point.kernel_class} ({point.kernel_class}) at {point.first_node} on {point.device}: "
            f"{point.intensity:,.2f} FLOP/byte, {point.attained_flops_per_s / 1e9:,.3f} GFLOP/s, {point.bound}-bound"
        )
        attributes = {
            "class": "roofline-point",
            "cx": x_scale(point.intensity),
            "cy": y_scale(point.attained_flops_per_s / 1e9),
            "r": 4.5,
            "fill": "white" if hollow else color,
            "fill-opacity": None if hollow else 0.85,
            "stroke": color if hollow else "white",
            "stroke-width": 2 if hollow else 0.6,
            "data-kernel": point.kernel_id,
            "data-kernel-class": point.kernel_class,
            "data-device": point.device,
            "data-intensity": repr(point.intensity),
            "data-value": repr(point.attained_flops_per_s),
        }
        marks.append(element("circle", attributes, _tooltip(text)))
    return element("g", {"class": "points"}, "".join(marks))


def _labelled_log_ticks(low: float, high: float) -> tuple[list[float], list[float]]:
    """Return (labelled, unlabelled) ticks of a log axis. Over at most two decades, 2x and 5x get labels too."""
    major, minor = log_ticks(low, high)
    if len(major) > 3:
        return major, minor
    extra = [value for value in minor if round(value / 10 ** math.floor(math.log10(value) + 1e-9)) in (2, 5)]
    return sorted(major + extra), [value for value in minor if value not in extra]


def roofline_chart(report: AnalysisReport) -> str:
    """Return the roofline chart of the kernels against the device's compute and bandwidth roofs (log-log)."""
    points, left_out = roofline_points(report)
    roofs = _roofs(report)
    profile = report.latency.profile
    peak = 2 * report.hardware.macs_per_s.value
    # The y axis is in GFLOP/s, so the roofs are converted once here.
    gigaflop_roofs = [
        _Roof(r.name, r.color, r.dash, r.flops_per_s / 1e9 if r.flops_per_s else None, r.bytes_per_s / 1e9 if r.bytes_per_s else None)
        for r in roofs
    ]
    intensities = [point.intensity for point in points] or [1.0]
    ridges = [peak / roof.bytes_per_s for roof in roofs if roof.bytes_per_s]
    attained = [point.attained_flops_per_s / 1e9 for point in points] or [peak / 1e9]
    x_low, x_high = log_bounds(min(intensities + ridges) / 1.5, max(intensities + ridges) * 1.5)
    roof_tops = [roof.flops_per_s for roof in gigaflop_roofs if roof.flops_per_s]
    y_low, y_high = log_bounds(min(attained) / 1.5, max(attained + roof_tops) * 1.5)

    width, plot_width, plot_height = 980.0, 980.0 - LEFT_MARGIN - RIGHT_MARGIN, 440.0
    title = f"Roofline of {count_text(len(points), 'kernel')} on {profile} (log-log)"
    subtitle = "each point is a kernel: FLOP = 2 x MACs + element-wise ops; y = FLOP / predicted latency"
    if left_out:
        subtitle += f"; {count_text(left_out, 'kernel')} with no FLOP (data movement) or with uncosted nodes not drawn"
    classes = _ordered_classes(point.kernel_class for point in points)
    items = [LegendItem(roof.color, roof.name, "line", roof.dash) for roof in roofs] + _class_legend_items(classes)
    fallback_devices = sorted({point.device for point in points if point.device != profile})
    for device in fallback_devices:
        items.append(LegendItem(MUTED_COLOR, f"hollow: runs on {device} (its roofs are not drawn)", "hollow"))
    legend_svg, legend_height = legend(items, LEFT_MARGIN, 50, plot_width)
    top = 50 + legend_height + 12
    bottom = top + plot_height
    x_scale = LogScale(x_low, x_high, LEFT_MARGIN, LEFT_MARGIN + plot_width)
    y_scale = LogScale(y_low, y_high, bottom, top)
    x_major, x_minor = _labelled_log_ticks(x_low, x_high)
    y_major, y_minor = _labelled_log_ticks(y_low, y_high)

    parts = [
        _heading(title, subtitle),
        legend_svg,
        minor_grid_x(x_scale, x_minor, top, bottom),
        minor_grid_y(y_scale, y_minor, LEFT_MARGIN, LEFT_MARGIN + plot_width),
        y_axis(y_scale, y_major, LEFT_MARGIN, LEFT_MARGIN + plot_width, "attained throughput (GFLOP/s)"),
        x_axis(x_scale, x_major, bottom, top, "arithmetic intensity (FLOP/byte)"),
        _roof_lines(gigaflop_roofs, peak / 1e9, x_scale, y_scale),
        _roofline_marks(points, x_scale, y_scale, profile),
    ]
    return svg_document(width, bottom + BOTTOM_MARGIN, title, "".join(parts), "roofline")


def _model_name(source: str) -> str:
    return os.path.basename(source) or source


def _waterfall_rows(report: DiffReport) -> list[tuple[str, str, float, float, float]]:
    """Return (label, kind, start, end, value) per waterfall bar in seconds: A total, each component, B total."""
    attribution = report.attributions["latency_s"]
    rows = [(f"A: {_model_name(report.a.source)}", "total", 0.0, attribution.a_total, attribution.a_total)]
    running = attribution.a_total
    for component, delta in attribution.components.items():
        kind = "increase" if delta > 0 else "decrease"
        rows.append((component, kind, running, running + delta, delta))
        running += delta
    rows.append((f"B: {_model_name(report.b.source)}", "total", 0.0, attribution.b_total, attribution.b_total))
    return rows


def waterfall_chart(report: DiffReport) -> str:
    """Return the waterfall from A's latency through each attribution component to B's, in ms."""
    attribution = report.attributions["latency_s"]
    rows = _waterfall_rows(report)
    label_width = min(max(text_width(row[0]) for row in rows) + 20, 360.0)
    plot_width = 640.0
    left = 12 + label_width
    width = left + plot_width + 90
    title = (
        f"Latency from A to B on {report.profile}: {attribution.a_total * 1e3:,.2f} ms to "
        f"{attribution.b_total * 1e3:,.2f} ms ({attribution.delta * 1e3:+,.2f} ms)"
    )
    subtitle = "each bar between the totals is one attribution component; the components sum to B - A"
    items = [
        LegendItem(INCREASE_COLOR, "B slower: adds latency"),
        LegendItem(DECREASE_COLOR, "B faster: removes latency"),
        LegendItem(TOTAL_COLOR, "model total"),
    ]
    legend_svg, legend_height = legend(items, left, 50, plot_width)
    top = 50 + legend_height + 10
    row_height, bar_height = 28.0, 18.0
    bottom = top + row_height * len(rows)
    values_ms = [value * 1e3 for row in rows for value in (row[2], row[3])]
    ticks = linear_ticks(min(0.0, *values_ms), max(values_ms) * 1.05)
    x_scale = LinearScale(ticks[0], ticks[-1], left, left + plot_width)

    parts = [_heading(title, subtitle), legend_svg]
    parts.append(x_axis(x_scale, ticks, bottom, top, "latency (ms)"))
    colors = {"total": TOTAL_COLOR, "increase": INCREASE_COLOR, "decrease": DECREASE_COLOR}
    bars = []
    for index, (name, kind, start, end, value) in enumerate(rows):
        y = top + index * row_height + (row_height - bar_height) / 2
        x1, x2 = sorted((x_scale(start * 1e3), x_scale(end * 1e3)))
        value_text = f"{value * 1e3:,.3f} ms" if kind == "total" else f"{value * 1e3:+,.3f} ms"
        attributes = {
            "class": "waterfall-bar",
            "x": x1,
            "y": y,
            "width": max(x2 - x1, 1.0),  # a zero component still shows as a 1 px mark
            "height": bar_height,
            "fill": colors[kind],
            "data-component": name,
            "data-kind": kind,
            "data-value": repr(value),
        }
        bars.append(element("rect", attributes, _tooltip(f"{name}: {value_text}")))
        bars.append(label(left - 8, y + bar_height - 4, name, "end"))
        bars.append(label(max(x1, x2) + 6, y + bar_height - 4, value_text, fill=MUTED_COLOR))
        if index + 1 < len(rows):
            next_y = y + row_height
            connect_x = x_scale(end * 1e3)
            bars.append(line(connect_x, y + bar_height, connect_x, next_y, MUTED_COLOR, 1.0, stroke_dasharray="3 3"))
    parts.append(element("g", {"class": "bars"}, "".join(bars)))
    return svg_document(width, bottom + BOTTOM_MARGIN, title, "".join(parts), "waterfall")


def stage_bars_chart(report: DiffReport) -> str:
    """Return grouped bars of A's and B's latency per stage, in ms."""
    stages = report.stage_names()
    sides = (("a", report.a), ("b", report.b))
    group_width = max(96.0, 860.0 / max(len(stages), 1))
    plot_width = group_width * max(len(stages), 1)
    width = LEFT_MARGIN + plot_width + RIGHT_MARGIN
    title = f"Latency per stage on {report.profile}: A vs B"
    subtitle = "stages by backbone output stride, then detection extras, heads or the classifier"
    items = [LegendItem(SIDE_COLORS[key], f"{key.upper()}: {_model_name(side.source)}") for key, side in sides]
    legend_svg, legend_height = legend(items, LEFT_MARGIN, 50, plot_width)
    top = 50 + legend_height + 18
    plot_height = 300.0
    bottom = top + plot_height
    values = [side.stages.get(stage, {}).get("latency_s", 0.0) * 1e3 for stage in stages for _, side in sides]
    ticks = linear_ticks(0.0, max(values, default=0.0) or 1.0)
    y_scale = LinearScale(0.0, ticks[-1], bottom, top)
    x_scale = LinearScale(-0.5, len(stages) - 0.5, LEFT_MARGIN, LEFT_MARGIN + plot_width)
    bar_width = group_width * 0.36

    parts = [_heading(title, subtitle), legend_svg, y_axis(y_scale, ticks, LEFT_MARGIN, LEFT_MARGIN + plot_width, "latency (ms)")]
    bars = []
    for index, stage in enumerate(stages):
        center = x_scale(index)
        for offset, (key, side) in zip((-1, 0), sides):
            seconds = side.stages.get(stage, {}).get("latency_s", 0.0)
            height = bottom - y_scale(seconds * 1e3)
            x = center + offset * bar_width
            attributes = {
                "class": "stage-bar",
                "x": x,
                "y": bottom - height,
                "width": bar_width,
                "height": height,
                "fill": SIDE_COLORS[key],
                "data-stage": stage,
                "data-model": key,
                "data-value": repr(seconds),
            }
            text = f"{stage}, {key.upper()}: {seconds * 1e3:,.3f} ms"
            bars.append(element("rect", attributes, _tooltip(text)))
            bars.append(label(x + bar_width / 2, bottom - height - 4, f"{seconds * 1e3:,.2f}", "middle", FONT_SIZE - 2))
    parts.append(element("g", {"class": "bars"}, "".join(bars)))
    parts.append(x_axis(x_scale, range(len(stages)), bottom, top, "stage", lambda index: stages[index], grid=False))
    return svg_document(width, bottom + BOTTOM_MARGIN, title, "".join(parts), "stage-bars")
