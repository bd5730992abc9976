"""Render diff, explain and what-if results as text tables, Markdown, JSON or (diff only) an HTML page."""

from __future__ import annotations

from collections import Counter

from tabulate import tabulate

from graphcost.diff.compare import DiffReport, ModelSide, WhatIfRow
from graphcost.report.render import strict_json_text

WHATIF_FORMATS = ("table", "json", "markdown")
DIFF_FORMATS = (*WHATIF_FORMATS, "html")
_UNITS = {"latency_s": ("latency (ms)", 1e3), "macs": ("MACs (M)", 1e-6), "bytes_moved": ("bytes moved (MB)", 1e-6)}


def _number(value: float, scale: float, digits: int = 2) -> str:
    return f"{value * scale:,.{digits}f}"


def _signed(value: float, scale: float, digits: int = 2) -> str:
    # Adding 0.0 turns the -0.0 that rounding a tiny negative value gives into 0.0, so it prints as +0.00.
    return f"{round(value * scale, digits) + 0.0:+,.{digits}f}"


def _percent(part: float, whole: float) -> str:
    return f"{round(100.0 * part / whole, 1) + 0.0:+.1f}" if whole else "-"


def _stage_table(report: DiffReport, table_format: str) -> str:
    rows = []
    for stage in report.stage_names():
        a = report.a.stages.get(stage, {})
        b = report.b.stages.get(stage, {})
        rows.append(
            [
                stage,
                _number(a.get("macs", 0), 1e-6),
                _number(b.get("macs", 0), 1e-6),
                f"{int(a.get('param_count', 0)):,}",
                f"{int(b.get('param_count', 0)):,}",
                _number(a.get("bytes_moved", 0), 1e-6),
                _number(b.get("bytes_moved", 0), 1e-6),
                str(int(a.get("kernels", 0))),
                str(int(b.get("kernels", 0))),
                _number(a.get("latency_s", 0), 1e3, 3),
                _number(b.get("latency_s", 0), 1e3, 3),
                _signed(b.get("latency_s", 0) - a.get("latency_s", 0), 1e3, 3),
            ]
        )
    a_total, b_total = report.a.stage_totals(), report.b.stage_totals()
    rows.append(
        [
            "total",
            _number(a_total["macs"], 1e-6),
            _number(b_total["macs"], 1e-6),
            f"{int(a_total['param_count']):,}",
            f"{int(b_total['param_count']):,}",
            _number(a_total["bytes_moved"], 1e-6),
            _number(b_total["bytes_moved"], 1e-6),
            str(int(a_total["kernels"])),
            str(int(b_total["kernels"])),
            _number(a_total["latency_s"], 1e3, 3),
            _number(b_total["latency_s"], 1e3, 3),
            _signed(b_total["latency_s"] - a_total["latency_s"], 1e3, 3),
        ]
    )
    headers = [
        "stage",
        "A MACs (M)",
        "B MACs (M)",
        "A params",
        "B params",
        "A bytes (MB)",
        "B bytes (MB)",
        "A kernels",
        "B kernels",
        "A latency (ms)",
        "B latency (ms)",
        "Δ latency (ms)",
    ]
    return tabulate(rows, headers=headers, tablefmt=table_format, colalign=["left"] + ["right"] * 11, disable_numparse=True)


def _attribution_table(report: DiffReport, table_format: str) -> str:
    latency, macs, moved = (report.attributions[name] for name in ("latency_s", "macs", "bytes_moved"))
    rows = []
    for component in latency.components:
        rows.append(
            [
                component,
                _signed(latency.components[component], 1e3, 3),
                _percent(latency.components[component], latency.a_total),
                _signed(macs.components[component], 1e-6),
                _signed(moved.components[component], 1e-6),
            ]
        )
    rows.append(
        [
            "total (B - A)",
            _signed(latency.delta, 1e3, 3),
            _percent(latency.delta, latency.a_total),
            _signed(macs.delta, 1e-6),
            _signed(moved.delta, 1e-6),
        ]
    )
    headers = ["component", "Δ latency (ms)", "Δ latency (% of A)", "Δ MACs (M)", "Δ bytes moved (MB)"]
    return tabulate(rows, headers=headers, tablefmt=table_format, colalign=["left"] + ["right"] * 4, disable_numparse=True)


def _op_type_table(report: DiffReport, table_format: str) -> str:
    """Return the op type table, with uncosted node counts per side when either side has any."""
    with_uncosted = bool(report.a.uncosted_count or report.b.uncosted_count)
    rows = []
    for op_type, (a, b) in report.op_types().items():
        row = [
            op_type,
            str(a["node_count"]),
            str(b["node_count"]),
            _signed(b["macs"] - a["macs"], 1e-6),
            _signed(b["bytes_moved"] - a["bytes_moved"], 1e-6),
        ]
        if with_uncosted:
            row += [str(report.a.uncosted_op_types.get(op_type, 0)), str(report.b.uncosted_op_types.get(op_type, 0))]
        rows.append(row)
    headers = ["op", "A nodes", "B nodes", "Δ MACs (M)", "Δ bytes, op graph (MB)"]
    if with_uncosted:
        headers += ["A uncosted", "B uncosted"]
    colalign = ["left"] + ["right"] * (len(headers) - 1)
    return tabulate(rows, headers=headers, tablefmt=table_format, colalign=colalign, disable_numparse=True)


def _node_count(count: int) -> str:
    return f"{count} node" if count == 1 else f"{count} nodes"


def _uncosted_summary(side: ModelSide, label: str) -> str:
    if not side.uncosted_count:
        return f"uncosted in {label}: none"
    listed = ", ".join(f"{op_type} x{count}" for op_type, count in side.uncosted_op_types.items())
    return f"uncosted in {label}: {_node_count(side.uncosted_count)} ({listed}); {label}'s totals are lower bounds"


def _uncosted_table(report: DiffReport, table_format: str) -> str:
    """Return one row per uncosted node of A and B, or an empty string when there is none."""
    rows = []
    for label, side in (("A", report.a), ("B", report.b)):
        rows += [[label, node.key, node.op_type, node.reason] for node in side.uncosted_nodes]
        # Nodes inside If/Loop/Scan bodies have no row of their own: the analysis counts them by op type only.
        in_bodies = Counter(side.uncosted_op_types)
        in_bodies.subtract(node.op_type for node in side.uncosted_nodes)
        for op_type, count in sorted(in_bodies.items()):
            if count > 0:
                rows.append([label, f"{_node_count(count)} in If/Loop/Scan bodies", op_type, "not recorded for body nodes"])
    if not rows:
        return ""
    headers = ["model", "node", "op", "reason"]
    return tabulate(rows, headers=headers, tablefmt=table_format, disable_numparse=True)


def _pattern_table(report: DiffReport, table_format: str) -> str:
    rows = [[kind, str(a), str(b), f"{b - a:+d}"] for kind, (a, b) in report.pattern_counts().items()]
    return tabulate(rows, headers=["pattern", "A", "B", "Δ"], tablefmt=table_format, colalign=["left", "right", "right", "right"])


def render_diff(report: DiffReport, output_format: str = "table") -> str:
    if output_format == "json":
        return strict_json_text(report.to_dict()) + "\n"
    if output_format == "html":
        # Imported here because the HTML page builds on this module's tables.
        from graphcost.report.html import render_diff_html

        return render_diff_html(report)
    table_format = "github" if output_format == "markdown" else "simple"
    title = "##" if output_format == "markdown" else ""
    models = [
        f"A: {report.a.source}",
        f"B: {report.b.source}",
        f"device: {report.profile}",
        _uncosted_summary(report.a, "A"),
        _uncosted_summary(report.b, "B"),
    ]
    sections = [("Models", "\n".join(models))]
    uncosted = _uncosted_table(report, table_format)
    if uncosted:
        sections.append(("Uncosted nodes (compute not counted)", uncosted))
    sections += [
        ("Stages", _stage_table(report, table_format)),
        ("Attribution of B - A", _attribution_table(report, table_format)),
        ("Op types", _op_type_table(report, table_format)),
        ("Patterns", _pattern_table(report, table_format)),
    ]
    parts = []
    for heading, body in sections:
        parts.append(f"{title} {heading}".strip() if title else f"{heading}:")
        parts.append("")
        parts.append(body)
        parts.append("")
    parts.append(
        "Components sum to B - A. Architecture rows: the networks without SE and h-swish, every op its own kernel "
        "once BatchNormalization and bias adds are folded as at load time; "
        "fusion: what the device's fusion saves or fails to save on that difference (see docs/attribution.md)."
    )
    return "\n".join(parts) + "\n"


def render_whatif(source: str, profile: str, rows: list[WhatIfRow], output_format: str = "table") -> str:
    if output_format == "json":
        data = {
            "model": source,
            "profile": profile,
            "variants": [
                {"label": row.label, "totals": row.totals, "kernels": row.kernel_count, "patterns": row.patterns} for row in rows
            ],
        }
        return strict_json_text(data) + "\n"
    base = rows[0].totals
    table = [
        [
            row.label,
            _number(row.totals["macs"], 1e-6),
            f"{int(row.totals['param_count']):,}",
            _number(row.totals["bytes_moved"], 1e-6),
            str(row.kernel_count),
            _number(row.totals["latency_s"], 1e3, 3),
            _signed(row.totals["latency_s"] - base["latency_s"], 1e3, 3),
            _percent(row.totals["latency_s"] - base["latency_s"], base["latency_s"]),
        ]
        for row in rows
    ]
    headers = ["variant", "MACs (M)", "params", "bytes moved (MB)", "kernels", "latency (ms)", "Δ latency (ms)", "Δ (%)"]
    table_format = "github" if output_format == "markdown" else "simple"
    text = tabulate(table, headers=headers, tablefmt=table_format, colalign=["left"] + ["right"] * 7, disable_numparse=True)
    return f"model: {source}\ndevice: {profile}\n\n{text}\n"
