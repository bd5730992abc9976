"""Render an AnalysisReport as a text table, Markdown, CSV, JSON or an HTML page."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter

from tabulate import tabulate

from graphcost.costs import CostStatus, lookup
from graphcost.kernels.rules import QDQ_OPS
from graphcost.load.reader import STANDARD_DOMAINS
from graphcost.results import AnalysisReport, CostSums, NodeCost, kernel_status, unknown_group_fields

FORMATS = ("table", "json", "csv", "markdown", "html")
GROUPINGS = ("node", "op-type", "kernel")

# Table cells: NOT_COMPUTED where a value is unknown (the work of an uncosted
# node, the FLOP/byte of a kernel that moves no bytes or has an uncosted node);
# LOWER_BOUND before a sum that leaves out the work of uncosted nodes.
NOT_COMPUTED = "-"
LOWER_BOUND = ">= "
# The bound cell of a kernel with an uncosted node, whose unknown work could change what limits it.
UNKNOWN_BOUND = "unknown"

_NODE_HEADERS = [
    "#",
    "node",
    "op",
    "output shape",
    "MACs (M)",
    "MACs share (%)",
    "elem ops (M)",
    "params",
    "read (kB)",
    "weights (kB)",
    "write (kB)",
    "status",
]
_OP_TYPE_HEADERS = [
    "op",
    "nodes",
    "MACs (M)",
    "MACs share (%)",
    "elem ops (M)",
    "params",
    "read (kB)",
    "weights (kB)",
    "write (kB)",
    "bytes share (%)",
]
_KERNEL_HEADERS = [
    "kernel",
    "class",
    "ops",
    "output shape",
    "MACs (M)",
    "MACs share (%)",
    "elem ops (M)",
    "params",
    "read (kB)",
    "weights (kB)",
    "write (kB)",
    "bytes share (%)",
]
_CSV_KERNEL_FIELDS = [
    "id",
    "kernel_class",
    "label",
    "nodes",
    "status",
    "uncosted_nodes",
    "output_shapes",
    "macs",
    "elementwise_ops",
    "param_count",
    "read_bytes",
    "weight_bytes",
    "write_bytes",
    "bytes_moved",
]
_CSV_NODE_FIELDS = [
    "index",
    "key",
    "onnx_name",
    "op_type",
    "status",
    "output_shapes",
    "output_dtype",
    "macs",
    "elementwise_ops",
    "param_count",
    "read_bytes",
    "weight_bytes",
    "write_bytes",
    "bytes_moved",
    "reason",
]
_CSV_OP_TYPE_FIELDS = [
    "op_type",
    "node_count",
    "uncosted_nodes",
    "macs",
    "elementwise_ops",
    "param_count",
    "read_bytes",
    "weight_bytes",
    "write_bytes",
    "bytes_moved",
]


def count_text(count: int, noun: str, plural: str | None = None) -> str:
    """Return ``count`` and ``noun`` in the number that fits, e.g. '1 kernel' and '3 kernels'.

    ``plural`` defaults to ``noun`` + 's'.
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _millions(value: int) -> str:
    return f"{value / 1e6:,.3f}"


def _kilobytes(value: int) -> str:
    return f"{value / 1e3:,.1f}"


def _size(value: int) -> str:
    """Return a byte count in B, kB, MB or GB, whichever keeps it readable."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:,.2f} {unit}"
    return f"{value:,} B"


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}" if whole else "-"


def _shape_text(shapes: list[list[int] | None]) -> str:
    texts = ["?" if shape is None else "x".join(str(d) for d in shape) or "scalar" for shape in shapes]
    return ", ".join(texts)


def kernel_uncosted_counts(report: AnalysisReport) -> dict[str, int]:
    """Return the number of uncosted nodes in each kernel, keyed by kernel id."""
    return {kernel.id: kernel.uncosted_nodes for kernel in report.kernels.kernels}


def kernel_bound(item, uncosted: int) -> str:
    """Return what limits a kernel's latency (``item`` is its KernelLatency): its bound, or UNKNOWN_BOUND with ``uncosted`` nodes."""
    return UNKNOWN_BOUND if uncosted else item.bound


def kernel_bound_text(item, uncosted: int) -> str:
    """Return a kernel's bound as labels and tooltips write it: 'memory-bound', or 'bound unknown' with ``uncosted`` nodes."""
    return "bound unknown" if uncosted else f"{item.bound}-bound"


def _work_cell(text: str, uncosted: int, count: int) -> str:
    """Return a MACs or element-wise cell of a row that sums ``count`` nodes, ``uncosted`` of them uncosted."""
    if uncosted == 0:
        return text
    if uncosted == count:
        return NOT_COMPUTED
    return LOWER_BOUND + text


def _uncosted_by_op_type(report: AnalysisReport) -> Counter[str]:
    return Counter(row.op_type for row in report.rows if row.status is CostStatus.UNCOSTED)


def _share_cell(text: str, uncosted: int, count: int) -> str:
    return NOT_COMPUTED if uncosted == count else text


def _total_cell(text: str, report: AnalysisReport) -> str:
    return LOWER_BOUND + text if totals_are_lower_bounds(report) else text


def _intensity_cell(flop_per_byte: float) -> str:
    return f"{flop_per_byte:.1f}" if math.isfinite(flop_per_byte) else NOT_COMPUTED


def select_rows(report: AnalysisReport, top: int | None) -> list[tuple[int, NodeCost]]:
    """Return (execution index, row) pairs: all in order, or the ``top`` by MACs then bytes."""
    indexed = list(enumerate(report.rows))
    if top is None:
        return indexed
    ranked = sorted(indexed, key=lambda item: (-item[1].macs, -item[1].bytes_moved, item[0]))
    return ranked[:top]


def select_op_types(report: AnalysisReport, top: int | None) -> list[tuple[str, CostSums]]:
    groups = list(report.by_op_type().items())
    return groups if top is None else groups[:top]


def select_kernels(report: AnalysisReport, top: int | None) -> list:
    """Return all kernels in order, or the ``top`` by latency (with a profile) or by MACs then bytes."""
    kernels = list(report.kernels.kernels)
    if top is None:
        return kernels
    if report.latency is not None:
        latency = {item.kernel_id: item.latency_s for item in report.latency.kernels}
        return sorted(kernels, key=lambda kernel: -latency[kernel.id])[:top]
    return sorted(kernels, key=lambda kernel: (-kernel.macs, -kernel.bytes_moved))[:top]


_LATENCY_HEADERS = ["latency (ms)", "latency share (%)", "bound", "FLOP/byte"]


def _latency_cells(report: AnalysisReport) -> dict[str, list[str]]:
    """Return the latency columns of each kernel row, keyed by kernel id.

    The latency of a kernel with an uncosted node leaves out that node's
    unknown work, so it is marked as a lower bound, and its bound and
    FLOP/byte are unknown.
    """
    latency = report.latency
    uncosted = kernel_uncosted_counts(report)
    return {
        item.kernel_id: [
            (LOWER_BOUND if uncosted[item.kernel_id] else "") + f"{item.latency_s * 1e3:.3f}",
            _share_float(item.latency_s, latency.total_s),
            kernel_bound(item, uncosted[item.kernel_id]) + (f" ({item.device})" if item.device != latency.profile else ""),
            NOT_COMPUTED if uncosted[item.kernel_id] else _intensity_cell(item.arithmetic_intensity),
        ]
        for item in latency.kernels
    }


def _share_float(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}" if whole else "-"


def _kernel_table(report: AnalysisReport, top: int | None) -> tuple[list[str], list[list[str]]]:
    headers, rows = _kernel_cost_table(report, top)
    if report.latency is None:
        return headers, rows
    cells = _latency_cells(report)
    for row in rows[:-1]:
        row.extend(cells[row[0]])
    total = report.latency.total_s
    rows[-1].extend([_total_cell(f"{total * 1e3:.3f}", report), _share_float(total, total), "", ""])
    return headers + _LATENCY_HEADERS, rows


def _kernel_cost_table(report: AnalysisReport, top: int | None) -> tuple[list[str], list[list[str]]]:
    kernels = report.kernels.kernels
    total_macs = sum(kernel.macs for kernel in kernels)
    total_bytes = sum(kernel.bytes_moved for kernel in kernels)
    rows = []
    for kernel in select_kernels(report, top):
        uncosted, count = kernel.uncosted_nodes, len(kernel.nodes)
        rows.append(
            [
                kernel.id,
                kernel.kernel_class,
                kernel.label,
                _shape_text(kernel.output_shapes),
                _work_cell(_millions(kernel.macs), uncosted, count),
                _share_cell(_share(kernel.macs, total_macs), uncosted, count),
                _work_cell(_millions(kernel.elementwise_ops), uncosted, count),
                f"{kernel.param_count:,}",
                _kilobytes(kernel.read_bytes),
                _kilobytes(kernel.weight_bytes),
                _kilobytes(kernel.write_bytes),
                _share(kernel.bytes_moved, total_bytes),
            ]
        )
    rows.append(
        [
            "total",
            count_text(len(kernels), "kernel"),
            "",
            "",
            _total_cell(_millions(total_macs), report),
            _share(total_macs, total_macs),
            _total_cell(_millions(sum(kernel.elementwise_ops for kernel in kernels)), report),
            f"{sum(kernel.param_count for kernel in kernels):,}",
            _kilobytes(sum(kernel.read_bytes for kernel in kernels)),
            _kilobytes(sum(kernel.weight_bytes for kernel in kernels)),
            _kilobytes(sum(kernel.write_bytes for kernel in kernels)),
            _share(total_bytes, total_bytes),
        ]
    )
    return _KERNEL_HEADERS, rows


def _node_table(report: AnalysisReport, top: int | None) -> tuple[list[str], list[list[str]]]:
    totals = report.totals
    rows = []
    for index, row in select_rows(report, top):
        uncosted = int(row.status is CostStatus.UNCOSTED)
        rows.append(
            [
                str(index),
                row.key,
                row.op_type,
                _shape_text(row.output_shapes),
                _work_cell(_millions(row.macs), uncosted, 1),
                _share_cell(_share(row.macs, totals.macs), uncosted, 1),
                _work_cell(_millions(row.elementwise_ops), uncosted, 1),
                f"{row.param_count:,}",
                _kilobytes(row.read_bytes),
                _kilobytes(row.weight_bytes),
                _kilobytes(row.write_bytes),
                row.status.value,
            ]
        )
    rows.append(
        [
            "",
            "total",
            "",
            "",
            _total_cell(_millions(totals.macs), report),
            _share(totals.macs, totals.macs),
            _total_cell(_millions(totals.elementwise_ops), report),
            f"{totals.param_count:,}",
            _kilobytes(totals.read_bytes),
            _kilobytes(totals.weight_bytes),
            _kilobytes(totals.write_bytes),
            count_text(totals.node_count, "node"),
        ]
    )
    return _NODE_HEADERS, rows


def _op_type_table(report: AnalysisReport, top: int | None) -> tuple[list[str], list[list[str]]]:
    totals = report.totals
    uncosted_by_op_type = _uncosted_by_op_type(report)
    rows = []
    for op_type, sums in select_op_types(report, top):
        uncosted = uncosted_by_op_type[op_type]
        rows.append(
            [
                op_type,
                str(sums.node_count),
                _work_cell(_millions(sums.macs), uncosted, sums.node_count),
                _share_cell(_share(sums.macs, totals.macs), uncosted, sums.node_count),
                _work_cell(_millions(sums.elementwise_ops), uncosted, sums.node_count),
                f"{sums.param_count:,}",
                _kilobytes(sums.read_bytes),
                _kilobytes(sums.weight_bytes),
                _kilobytes(sums.write_bytes),
                _share(sums.bytes_moved, totals.bytes_moved),
            ]
        )
    rows.append(
        [
            "total",
            str(totals.node_count),
            _total_cell(_millions(totals.macs), report),
            _share(totals.macs, totals.macs),
            _total_cell(_millions(totals.elementwise_ops), report),
            f"{totals.param_count:,}",
            _kilobytes(totals.read_bytes),
            _kilobytes(totals.weight_bytes),
            _kilobytes(totals.write_bytes),
            _share(totals.bytes_moved, totals.bytes_moved),
        ]
    )
    return _OP_TYPE_HEADERS, rows


UNCOSTED_NO_FORMULA = "no compute formula"
UNCOSTED_UNKNOWN_SHAPE = "a tensor shape its formula needs is unknown"
UNCOSTED_IN_BODY = "inside an If, Loop or Scan body"


def uncosted_groups(report: AnalysisReport) -> dict[str, Counter[str]]:
    """Return the uncosted nodes' counts per op type, grouped by why they are uncosted.

    A graph node is uncosted because its op has no compute formula, or
    because its formula needs a tensor shape that is unknown. For nodes of
    If, Loop and Scan bodies the report keeps only the op type, so they form
    a group of their own.
    """
    groups: dict[str, Counter[str]] = {
        UNCOSTED_NO_FORMULA: Counter(),
        UNCOSTED_UNKNOWN_SHAPE: Counter(),
        UNCOSTED_IN_BODY: Counter(),
    }
    for row in report.rows:
        if row.status is not CostStatus.UNCOSTED:
            continue
        has_formula = row.domain in STANDARD_DOMAINS and lookup(row.domain, row.op_type) is not None
        groups[UNCOSTED_UNKNOWN_SHAPE if has_formula else UNCOSTED_NO_FORMULA][row.op_type] += 1
    in_graph = groups[UNCOSTED_NO_FORMULA] + groups[UNCOSTED_UNKNOWN_SHAPE]
    for op_type, count in report.uncosted_op_types.items():
        if count > in_graph[op_type]:
            groups[UNCOSTED_IN_BODY][op_type] = count - in_graph[op_type]
    return groups


def _uncosted_lines(report: AnalysisReport) -> list[str]:
    lines = [
        f"uncosted, {reason}: " + ", ".join(f"{op_type} x{count}" for op_type, count in sorted(counts.items()))
        for reason, counts in uncosted_groups(report).items()
        if counts
    ]
    if not lines:
        return ["uncosted: none"]
    lines.append(
        "uncosted nodes: bytes counted for tensors of known shape, work unknown, so the MACs, element-wise ops "
        f"and latency totals ('{LOWER_BOUND.strip()}' in the table, '{NOT_COMPUTED}' for unknown work) and the bytes "
        "moved are lower bounds"
    )
    return lines


def _summary_lines(report: AnalysisReport, shown: int, available: int) -> list[str]:
    totals = report.totals
    counts = totals.status_counts
    at_least = "at least " if totals_are_lower_bounds(report) else ""
    lines = [
        f"model: {report.source} (IR {report.ir_version}, opset {report.opset}"
        + (f", producer {report.producer})" if report.producer else ")"),
        "inputs: " + ("; ".join(f"{t.name} {_shape_text([t.shape])} {t.dtype}" for t in report.inputs) or "none"),
        "outputs: " + "; ".join(f"{t.name} {_shape_text([t.shape])} {t.dtype}" for t in report.outputs),
        f"MACs: {at_least}{totals.macs:,} ({totals.macs / 1e6:,.2f} M); element-wise ops: {at_least}{totals.elementwise_ops:,}",
        f"params: {totals.param_count:,} ({_size(totals.weight_storage_bytes)} stored)",
        f"bytes moved: {at_least}{totals.bytes_moved:,} (read {totals.read_bytes:,}, weights {totals.weight_bytes:,}, "
        f"write {totals.write_bytes:,})",
        f"nodes: {counts.get('costed', 0)} costed, {counts.get('free', 0)} free, {counts.get('uncosted', 0)} uncosted",
    ]
    lines.extend(_uncosted_lines(report))
    if shown < available:
        lines.append(f"rows: top {shown} of {available} shown; totals cover all")
    for assumption in report.assumptions():
        lines.append(f"assumption: {assumption}")
    for note in report.notes:
        lines.append(f"note: {note}")
    if report.dead_nodes:
        lines.append(f"dead nodes (no path to an output, not counted): {len(report.dead_nodes)}: {', '.join(report.dead_nodes[:10])}"
                     + (" ..." if len(report.dead_nodes) > 10 else ""))
    if report.unused_initializers:
        lines.append(f"unused initializers (not counted): {len(report.unused_initializers)}: "
                     f"{', '.join(report.unused_initializers[:10])}" + (" ..." if len(report.unused_initializers) > 10 else ""))
    if report.patterns is not None:
        counts = report.patterns.counts()
        listed = ", ".join(f"{kind} {count}" for kind, count in counts.items()) or "none"
        lines.append(f"patterns: {listed}")
    if report.kernels is not None and not report.kernels.kernels:
        lines.append(f"kernels ({report.kernels.rules.name} fusion rules): none")
    elif report.kernels is not None:
        kernels = report.kernels
        kernel_bytes = sum(kernel.bytes_moved for kernel in kernels.kernels)
        lines.append(
            f"kernels ({kernels.rules.name} fusion rules): {len(kernels.kernels)}, moving {at_least}{kernel_bytes:,} bytes; "
            f"{count_text(len(kernels.unfused), 'pattern')} not fused (see --group-by kernel or JSON)"
        )
        lines.extend(_kernel_totals_lines(report, at_least))
    if report.latency is not None:
        lines.extend(_latency_lines(report))
    if report.checker_message:
        lines.append(f"warning: the model fails onnx.checker: {report.checker_message}")
    lines.append("counting convention: MACs are conv/FC multiply-accumulates (MobileNet MAdds); see docs/counting.md")
    return lines


KERNEL_BATCHNORM_REASON = "BatchNormalization is folded into its conv"
KERNEL_QDQ_REASON = "an int8 conv or FC kernel counts no element-wise ops for its quantize and dequantize steps"


def _kernel_totals_lines(report: AnalysisReport, at_least: str) -> list[str]:
    """Return the kernel table's params and element-wise ops, with the reason, if they differ from the node totals.

    A kernel folds a BatchNormalization into its conv's bias, and an int8
    conv or FC kernel does its quantize and dequantize steps inside, so
    the kernel sums of params and element-wise ops can be smaller than the
    node totals. Returns no line when both sums match.
    """
    kernels = report.kernels.kernels
    params = sum(kernel.param_count for kernel in kernels)
    elementwise_ops = sum(kernel.elementwise_ops for kernel in kernels)
    if params == report.totals.param_count and elementwise_ops == report.totals.elementwise_ops:
        return []
    rows = {row.key: row for row in report.rows}
    reasons: list[str] = []
    for kernel in kernels:
        node_params = sum(rows[key].param_count for key in kernel.nodes)
        node_elementwise_ops = sum(rows[key].elementwise_ops for key in kernel.nodes)
        if kernel.param_count == node_params and kernel.elementwise_ops == node_elementwise_ops:
            continue
        if "BatchNormalization" in kernel.op_types and KERNEL_BATCHNORM_REASON not in reasons:
            reasons.append(KERNEL_BATCHNORM_REASON)
        if QDQ_OPS.intersection(kernel.op_types) and KERNEL_QDQ_REASON not in reasons:
            reasons.append(KERNEL_QDQ_REASON)
    reason_text = ", because " + " and ".join(reasons) if reasons else ""
    return [
        f"kernel totals: params {params:,}, element-wise ops {at_least}{elementwise_ops:,} "
        f"(node totals above: {report.totals.param_count:,} and {at_least}{report.totals.elementwise_ops:,}){reason_text}"
    ]


def _latency_lines(report: AnalysisReport) -> list[str]:
    latency = report.latency
    if not latency.kernels:
        return [f"latency on {latency.profile}: 0 ms, no kernels to run"]
    uncosted = kernel_uncosted_counts(report)
    bounds = Counter(kernel_bound(item, uncosted[item.kernel_id]) for item in latency.kernels)
    unknown = bounds.pop(UNKNOWN_BOUND, 0)
    bound_parts = [f"{count} {bound}-bound" for bound, count in sorted(bounds.items())]
    if unknown:
        bound_parts.append(f"bound unknown for {unknown} with uncosted nodes")
    bound_text = ", ".join(bound_parts)
    by_class = ", ".join(f"{name} {seconds * 1e3:.2f}" for name, seconds in latency.by_class.items())
    at_least = "at least " if totals_are_lower_bounds(report) else ""
    lines = [
        f"latency on {latency.profile}: {at_least}{latency.total_s * 1e3:.2f} ms over {count_text(len(latency.kernels), 'kernel')} ({bound_text})",
        f"latency by kernel class (ms): {by_class}",
    ]
    if latency.fallback_kernels:
        fallback = report.hardware.npu.fallback
        listed = ", ".join(latency.fallback_kernels[:10]) + (" ..." if len(latency.fallback_kernels) > 10 else "")
        count = len(latency.fallback_kernels)
        verb = "falls" if count == 1 else "fall"
        lines.append(f"{count_text(count, 'kernel')} {verb} back to {fallback}: {listed}")
    return lines


def _unfused_lines(report: AnalysisReport) -> list[str]:
    """Return one line per (pattern, reason), with a count and the first node; JSON lists every one."""
    groups: dict[tuple[str, str], list[str]] = {}
    for item in report.kernels.unfused:
        groups.setdefault((item.kind, item.reason), []).append(item.anchor)
    return [
        f"not fused: {len(anchors)} x {kind}: {reason} (first at {anchors[0]})"
        for (kind, reason), anchors in groups.items()
    ]


def _table_text(report: AnalysisReport, group_by: str, top: int | None, table_format: str) -> str:
    if group_by == "op-type":
        headers, rows = _op_type_table(report, top)
        available = len(report.by_op_type())
        text_columns = 1
    elif group_by == "kernel":
        headers, rows = _kernel_table(report, top)
        available = len(report.kernels.kernels)
        text_columns = 4
    else:
        headers, rows = _node_table(report, top)
        available = len(report.rows)
        text_columns = 4
    shown = len(rows) - 1
    alignment = ["left"] * text_columns + ["right"] * (len(headers) - text_columns)
    if group_by == "kernel" and report.latency is not None:
        alignment[headers.index("bound")] = "left"
    if group_by == "node":
        alignment[0] = "right"
        alignment[-1] = "left"
    table = tabulate(rows, headers=headers, tablefmt=table_format, colalign=alignment, disable_numparse=True)
    summary = _summary_lines(report, shown, available)
    if group_by == "kernel":
        summary.extend(_unfused_lines(report))
    if table_format == "github":
        return "\n".join(["## Summary", "", *[f"- {line}" for line in summary], "", "## Costs", "", table, ""])
    return "\n".join([table, "", *summary, ""])


def _csv_text(report: AnalysisReport, group_by: str, top: int | None) -> str:
    buffer = io.StringIO()
    if group_by == "kernel":
        fields = list(_CSV_KERNEL_FIELDS)
        latency = {}
        if report.latency is not None:
            fields += ["device", "latency_s", "compute_s", "memory_s", "overhead_s", "transfer_s", "bound", "arithmetic_intensity"]
            latency = {item.kernel_id: item.to_dict() for item in report.latency.kernels}
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        uncosted = kernel_uncosted_counts(report)
        for kernel in select_kernels(report, top):
            data = {**kernel.to_dict(), **latency.get(kernel.id, {})}
            data["nodes"] = " ".join(kernel.nodes)
            data["output_shapes"] = _shape_text(kernel.output_shapes)
            data["status"] = kernel_status(uncosted[kernel.id])
            data["uncosted_nodes"] = uncosted[kernel.id]
            unknown = unknown_group_fields(uncosted[kernel.id], len(kernel.nodes))
            # Empty cells for unknown values, and for the infinite intensity of a kernel that moves no bytes.
            writer.writerow(
                {field: "" if field in unknown or finite_floats(data[field]) is None else data[field] for field in fields}
            )
        return buffer.getvalue()
    if group_by == "op-type":
        writer = csv.DictWriter(buffer, fieldnames=_CSV_OP_TYPE_FIELDS, lineterminator="\n")
        writer.writeheader()
        uncosted_by_op_type = _uncosted_by_op_type(report)
        for op_type, sums in select_op_types(report, top):
            data = {"op_type": op_type, **sums.to_dict(), "uncosted_nodes": uncosted_by_op_type[op_type]}
            unknown = unknown_group_fields(uncosted_by_op_type[op_type], sums.node_count)
            writer.writerow({field: "" if field in unknown else data[field] for field in _CSV_OP_TYPE_FIELDS})
        return buffer.getvalue()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_NODE_FIELDS, lineterminator="\n")
    writer.writeheader()
    for index, row in select_rows(report, top):
        data = row.to_dict()
        data["index"] = index
        data["output_shapes"] = _shape_text(row.output_shapes)
        writer.writerow({field: data[field] for field in _CSV_NODE_FIELDS})
    return buffer.getvalue()


def finite_floats(value):
    """Return ``value`` with infinite and NaN floats replaced by None, in nested dicts, lists and tuples too.

    Strict JSON has no Infinity or NaN. The arithmetic intensity of a kernel
    that moves no bytes is infinite in the report, so the JSON contains null.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite_floats(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_floats(item) for item in value]
    return value


def strict_json_text(data, indent: int | None = 2) -> str:
    """Return ``data`` as strict JSON text, non-finite floats as null.

    ``allow_nan=False`` makes json.dumps raise ValueError if a non-finite
    float still gets through, so none reaches a file as ``Infinity``.
    """
    return json.dumps(finite_floats(data), indent=indent, allow_nan=False)


def totals_are_lower_bounds(report: AnalysisReport) -> bool:
    """Return True if some node is uncosted, so the totals are lower bounds."""
    return report.totals_are_lower_bounds


def report_data(report: AnalysisReport) -> dict:
    """Return the JSON report, ``report.to_dict()``, which marks uncosted work as unknown."""
    return report.to_dict()


def render(report: AnalysisReport, output_format: str = "table", group_by: str = "node", top: int | None = None) -> str:
    """Return the report as text in ``output_format`` (one of FORMATS)."""
    if output_format == "json":
        return strict_json_text(report_data(report)) + "\n"
    if output_format == "html":
        # Imported here because the HTML page builds on this module's tables.
        from graphcost.report.html import render_analysis_html

        return render_analysis_html(report, group_by, top)
    if output_format == "csv":
        return _csv_text(report, group_by, top)
    if output_format == "markdown":
        return _table_text(report, group_by, top, "github")
    return _table_text(report, group_by, top, "simple")
