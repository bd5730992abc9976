"""Self-contained HTML pages of ``graphcost analyze`` and ``graphcost diff``.

A page contains the text report's summary and tables, the charts as inline
SVG, and the JSON report in ``<script type="application/json"
id="graphcost-data">``. It references no script, font, style or image
outside the file, so it opens the same with no network.
"""

from __future__ import annotations

from tabulate import tabulate

from graphcost.diff.compare import DiffReport
from graphcost.report.diff_render import _attribution_table, _pattern_table, _stage_table, _uncosted_table
from graphcost.report.diff_render import _op_type_table as _diff_op_type_table
from graphcost.report.render import (
    _kernel_table,
    _node_table,
    _op_type_table,
    _summary_lines,
    _unfused_lines,
    count_text,
    report_data,
    strict_json_text,
    totals_are_lower_bounds,
)
from graphcost.report.html.charts import kernel_bar_chart, roofline_chart, stage_bars_chart, waterfall_chart
from graphcost.report.html.svg import escape
from graphcost.results import AnalysisReport

DATA_ELEMENT_ID = "graphcost-data"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px 32px; line-height: 1.4; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.subtitle { color: #555; margin: 0 0 12px; }
dl.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
dl.figures div { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 130px; }
dl.figures dt { color: #555; font-size: 12px; }
dl.figures dd { margin: 0; font-size: 20px; font-variant-numeric: tabular-nums; }
ul.summary { font-size: 13px; padding-left: 20px; }
figure { margin: 16px 0; }
figcaption { color: #444; font-size: 13px; max-width: 980px; }
.chart-scroll { overflow-x: auto; border: 1px solid #eee; }
svg.chart { display: block; background: #fff; }
table { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; margin: 8px 0; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 3px 8px; white-space: nowrap; }
th { background: #f4f4f4; position: sticky; top: 0; text-align: left; }
tbody tr.total td { font-weight: bold; }
details > summary { cursor: pointer; font-weight: bold; margin: 12px 0 4px; }
.table-scroll { overflow-x: auto; }
"""

_GROUP_TITLES = {"kernel": "Kernels", "op-type": "Op types", "node": "Nodes"}


def json_script(data: dict) -> str:
    """Return ``data`` as a JSON ``<script>`` element that no string in it can close or break.

    ``<``, ``>`` and ``&`` are written as JSON ``\\u`` escapes, so a node named
    ``</script>`` stays inside the element, and the text still parses as the
    same JSON.
    """
    text = strict_json_text(data, indent=None)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{DATA_ELEMENT_ID}">\n{text}\n</script>'


def _page(title: str, kind: str, body: list[str], data: dict) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="en" data-graphcost-report="{kind}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            *body,
            json_script(data),
            "</body>",
            "</html>",
            "",
        ]
    )


def _figures(items: list[tuple[str, str, str, object]]) -> str:
    """Return the key figures, each given as (caption, displayed text, path in the JSON report, exact value)."""
    cells = [
        f'<div><dt>{escape(caption)}</dt><dd data-json-path="{escape(path)}" data-value="{escape(repr(value))}">{escape(shown)}</dd></div>'
        for caption, shown, path, value in items
    ]
    return f'<dl class="figures">{"".join(cells)}</dl>'


def _figure(svg: str, caption: str) -> str:
    return f'<figure><div class="chart-scroll">{svg}</div><figcaption>{escape(caption)}</figcaption></figure>'


def _html_table(headers: list[str], rows: list[list[str]], left_columns: set[int]) -> str:
    """Return an analysis table as HTML, its last row (the totals) marked as such."""
    alignment = ["left" if index in left_columns else "right" for index in range(len(headers))]
    table = tabulate(rows, headers=headers, tablefmt="html", colalign=alignment, disable_numparse=True)
    return f'<div class="table-scroll">{mark_totals_row(table)}</div>'


def mark_totals_row(table: str) -> str:
    """Give the last row of a tabulate HTML table the class ``total``, which the page's style shows in bold.

    Only tables that end in a totals row go through here, so an ordinary
    last row is not styled as a total.
    """
    head, row_start, tail = table.rpartition("<tr>")
    if not row_start:
        raise ValueError("the table has no <tr> row to mark as its totals row")
    return f'{head}<tr class="total">{tail}'


def _analysis_table(report: AnalysisReport, group_by: str, top: int | None) -> tuple[str, int, int]:
    """Return one table of the text report as HTML, with the number of rows shown and available."""
    if group_by == "kernel":
        headers, rows = _kernel_table(report, top)
        left = {0, 1, 2, 3} | ({headers.index("bound")} if "bound" in headers else set())
        available = len(report.kernels.kernels)
    elif group_by == "op-type":
        headers, rows = _op_type_table(report, top)
        left = {0}
        available = len(report.by_op_type())
    else:
        headers, rows = _node_table(report, top)
        left = {1, 2, 3, len(headers) - 1}
        available = len(report.rows)
    return _html_table(headers, rows, left), len(rows) - 1, available


def _analysis_figures(report: AnalysisReport) -> str:
    totals = report.totals
    # Uncosted nodes add no work, so with any of them these figures are lower bounds.
    at_least = "at least " if totals_are_lower_bounds(report) else ""
    items = [
        ("MACs", f"{at_least}{totals.macs / 1e6:,.2f} M", "totals.macs", totals.macs),
        (
            "element-wise ops",
            f"{at_least}{totals.elementwise_ops / 1e6:,.2f} M",
            "totals.elementwise_ops",
            totals.elementwise_ops,
        ),
        ("params", f"{totals.param_count:,}", "totals.param_count", totals.param_count),
        ("bytes moved, one kernel per op", f"{at_least}{totals.bytes_moved / 1e6:,.2f} MB", "totals.bytes_moved", totals.bytes_moved),
        ("live nodes", f"{totals.node_count:,}", "totals.node_count", totals.node_count),
    ]
    if report.kernels is not None:
        fused_bytes = sum(kernel.bytes_moved for kernel in report.kernels.kernels)
        label = f"bytes moved by the {count_text(len(report.kernels.kernels), 'kernel')}"
        items.insert(4, (label, f"{at_least}{fused_bytes / 1e6:,.2f} MB", "kernels.bytes_moved", fused_bytes))
    if report.latency is not None:
        latency = report.latency
        latency_text = f"{at_least}{latency.total_s * 1e3:,.2f} ms"
        items.append((f"latency on {latency.profile}", latency_text, "latency.total_s", latency.total_s))
    return _figures(items)


_BARS_CAPTION = (
    "One bar per kernel (the ops a device runs as one pass, after fusion), in execution order, coloured by kernel "
    "class. Latency is the roofline estimate of the hardware profile: max(compute, memory) time plus a fixed "
    "per-kernel overhead and, on an NPU, transfers to the fallback CPU."
)
_ROOFLINE_CAPTION = (
    "x: arithmetic intensity = (2 x MACs + element-wise operations) / bytes moved, the bytes counted at the "
    "device's data type. y: attained throughput = (2 x MACs + element-wise operations) / the kernel's predicted "
    "latency, overhead and transfers included, so a point sits below its roof by the profile's efficiency of its "
    "kernel class and by the overhead. Roofs: the compute peak 2 x MAC/s, the element-wise peak (dashed), and per "
    "memory level its bandwidth x intensity, up to the compute peak. On an integer device an operation counts as a FLOP."
)


def _analysis_charts(report: AnalysisReport) -> list[str]:
    parts = ["<h2>Charts</h2>"]
    if report.latency is None:
        caption = "One bar per kernel (after fusion with the default rules), in execution order, coloured by kernel class."
        parts.append(_figure(kernel_bar_chart(report), caption))
        parts.append('<p class="subtitle">No roofline: it needs a hardware profile (--hw).</p>')
        return parts
    parts.append(_figure(kernel_bar_chart(report), _BARS_CAPTION))
    parts.append(_figure(roofline_chart(report), _ROOFLINE_CAPTION))
    return parts


def render_analysis_html(report: AnalysisReport, group_by: str = "node", top: int | None = None) -> str:
    """Return the analysis report as one self-contained HTML page.

    The ``group_by`` table comes first, and the other groupings follow
    folded. ``top`` limits table rows as in the text report, while the
    charts show every kernel.
    """
    table, shown, available = _analysis_table(report, group_by, top)
    summary = _summary_lines(report, shown, available)
    if report.kernels is not None:
        summary.extend(_unfused_lines(report))
    device = f" on {report.latency.profile}" if report.latency is not None else ""
    body = [
        f"<h1>graphcost report: {escape(report.source)}</h1>",
        f'<p class="subtitle">static cost model{escape(device)}; the JSON report is embedded in this page '
        f'as &lt;script id="{DATA_ELEMENT_ID}"&gt;</p>',
        _analysis_figures(report),
        *_analysis_charts(report),
        "<h2>Summary</h2>",
        '<ul class="summary">' + "".join(f"<li>{escape(line)}</li>" for line in summary) + "</ul>",
        f'<h2 id="table-{group_by}">{_GROUP_TITLES[group_by]}</h2>',
        table,
    ]
    for other in _GROUP_TITLES:
        if other == group_by or (other == "kernel" and report.kernels is None):
            continue
        other_table, _, _ = _analysis_table(report, other, top)
        body.append(f'<details id="table-{other}"><summary>{_GROUP_TITLES[other]}</summary>{other_table}</details>')
    return _page(f"graphcost: {report.source}", "analysis", body, report_data(report))


def _diff_figures(report: DiffReport) -> str:
    latency = report.attributions["latency_s"]
    macs = report.attributions["macs"]
    items = [
        ("A latency", f"{latency.a_total * 1e3:,.2f} ms", "attribution.latency_s.a", latency.a_total),
        ("B latency", f"{latency.b_total * 1e3:,.2f} ms", "attribution.latency_s.b", latency.b_total),
        ("B - A latency", f"{latency.delta * 1e3:+,.2f} ms", "attribution.latency_s.delta", latency.delta),
        ("B - A MACs", f"{macs.delta / 1e6:+,.2f} M", "attribution.macs.delta", macs.delta),
    ]
    return _figures(items)


_WATERFALL_CAPTION = (
    "Components: architecture per stage (the two networks without SE blocks and h-swish, every op its own kernel "
    "once BatchNormalization and bias adds are folded as at load time), "
    "squeeze-excite blocks and activations (Shapley values over removing them), detection extras and heads, and "
    "fusion (what the device's fusion saves or fails to save on the difference). They sum to B - A."
)


def render_diff_html(report: DiffReport) -> str:
    """Return the diff report as one self-contained HTML page."""
    # The stage and attribution tables end in a totals row; the op type and pattern tables do not.
    sections = [
        ("Stages", mark_totals_row(_stage_table(report, "html"))),
        ("Attribution of B - A", mark_totals_row(_attribution_table(report, "html"))),
        ("Op types", _diff_op_type_table(report, "html")),
        ("Patterns", _pattern_table(report, "html")),
    ]
    uncosted = _uncosted_table(report, "html")
    if uncosted:
        sections.insert(0, ("Uncosted nodes (compute not counted, totals are lower bounds)", uncosted))
    body = [
        "<h1>graphcost diff</h1>",
        f'<p class="subtitle">A: {escape(report.a.source)}<br>B: {escape(report.b.source)}<br>'
        f"device: {escape(report.profile)}</p>",
        _diff_figures(report),
        "<h2>Charts</h2>",
        _figure(waterfall_chart(report), _WATERFALL_CAPTION),
        _figure(stage_bars_chart(report), "Latency of each stage's kernels on the device, A next to B."),
    ]
    for heading, table in sections:
        body.append(f"<h2>{escape(heading)}</h2>")
        body.append(f'<div class="table-scroll">{table}</div>')
    return _page(f"graphcost diff: {report.a.source} vs {report.b.source}", "diff", body, report.to_dict())
