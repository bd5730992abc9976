"""Read measured traces: onnxruntime's profiling JSON and TensorFlow Lite's op-profiling CSV.

Both become fit samples. An onnxruntime trace names its nodes, so each
graphcost kernel gets the time of the trace nodes that carry the name of
one of its ops. TensorFlow Lite's benchmark tool names ops differently from
an ONNX export, so its CSV is used per op type: the time of all CONV_2D
ops, say, against all graphcost kernels of the conv classes.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass

import networkx as nx

from graphcost.calibrate.measure import node_times_from_trace
from graphcost.errors import GraphcostError
from graphcost.kernels import Kernel, KernelResult
from graphcost.latency.fit import FitSample

MIN_MATCHED_SHARE = 0.8

# Suffixes onnxruntime appends to the names of nodes its optimizers rewrite.
_ORT_NAME_SUFFIX = re.compile(r"(_nchwc|_fused|_token_\d+)+$")

# TensorFlow Lite op types and the graphcost kernel classes whose time they measure.
TFLITE_CLASSES = {
    "CONV_2D": ("conv", "conv_1x1"),
    "DEPTHWISE_CONV_2D": ("conv_depthwise",),
    "FULLY_CONNECTED": ("fc",),
    "ADD": ("elementwise",),
    "MUL": ("elementwise",),
    "SUB": ("elementwise",),
    "DIV": ("elementwise",),
    "HARD_SWISH": ("elementwise",),
    "LOGISTIC": ("elementwise",),
    "RELU": ("elementwise",),
    "RELU6": ("elementwise",),
    "MEAN": ("pooling",),
    "AVERAGE_POOL_2D": ("pooling",),
    "MAX_POOL_2D": ("pooling",),
    "RESHAPE": ("data_movement",),
    "CONCATENATION": ("data_movement",),
    "TRANSPOSE": ("data_movement",),
}


@dataclass
class TraceMatch:
    """Fit samples made from a trace, and the trace time no kernel claimed."""

    samples: list[FitSample]
    matched_s: float
    unmatched_s: float
    unmatched_names: list[str]


def _single(kernels: KernelResult, kernel: Kernel) -> KernelResult:
    return KernelResult(kernels.rules, [kernel], nx.DiGraph(), [])


def read_trace(path: str) -> tuple[str, object]:
    """Return ("onnxruntime", events) or ("tflite", rows) for the trace at ``path``."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise GraphcostError(f"{path}: cannot read the trace ({error.strerror}); check the path") from None
    stripped = text.lstrip()
    if stripped.startswith("[") or stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise GraphcostError(f"{path}: invalid JSON ({error.msg} at line {error.lineno}); give an onnxruntime profile") from None
        events = data.get("traceEvents", []) if isinstance(data, dict) else data
        return "onnxruntime", events
    rows = list(csv.reader(text.splitlines()))
    header_index = next((i for i, row in enumerate(rows) if row and row[0].strip().lower() == "node type"), None)
    if header_index is None:
        raise GraphcostError(
            f"{path}: neither an onnxruntime profiling JSON nor a TensorFlow Lite op-profiling CSV "
            "(no 'node type' header); record it with benchmark_model --enable_op_profiling=true"
        )
    header = [cell.strip().lower() for cell in rows[header_index]]
    table = []
    for row in rows[header_index + 1 :]:
        if not row or not row[0].strip() or len(row) < len(header):
            break
        table.append(dict(zip(header, (cell.strip() for cell in row))))
    return "tflite", table


def trace_names(kernels: KernelResult, graph=None) -> dict[str, Kernel]:
    """Map every name onnxruntime may give a kernel's node to that kernel.

    onnxruntime names a node by its ONNX name, or by its first output when
    the node has no name. ``graph``, the model's op graph, supplies both.
    """
    names: dict[str, Kernel] = {}
    for kernel in kernels.kernels:
        for node in kernel.nodes:
            names[node] = kernel
            if graph is not None:
                data = graph.nodes[node]
                if data["onnx_name"]:
                    names[data["onnx_name"]] = kernel
                for output in data["outputs"]:
                    if output:
                        names.setdefault(output, kernel)
    return names


def match_onnxruntime(events: list[dict], kernels: KernelResult, byte_scale: float, graph=None) -> TraceMatch:
    """Return one fit sample per kernel whose ops appear by name in the onnxruntime trace."""
    times = node_times_from_trace(events)
    kernel_of = trace_names(kernels, graph)
    measured: dict[str, float] = {}
    unmatched: dict[str, float] = {}
    for name, entry in times.items():
        base = _ORT_NAME_SUFFIX.sub("", name)
        kernel = kernel_of.get(base) or kernel_of.get(name)
        if kernel is None:
            unmatched[name] = entry["mean_s"]
            continue
        measured[kernel.id] = measured.get(kernel.id, 0.0) + entry["mean_s"]
    samples = [
        FitSample(kernel.id, _single(kernels, kernel), byte_scale, measured[kernel.id])
        for kernel in kernels.kernels
        if measured.get(kernel.id, 0.0) > 0
    ]
    if not samples:
        raise GraphcostError(
            "no node of the onnxruntime trace matches a node of the model; record the trace on the same model"
        )
    matched_s, unmatched_s = sum(measured.values()), sum(unmatched.values())
    # Layout conversions onnxruntime inserts take a few percent of a trace of
    # the same model; a trace of another model leaves much more unmatched.
    if matched_s < MIN_MATCHED_SHARE * (matched_s + unmatched_s):
        raise GraphcostError(
            f"only {matched_s / (matched_s + unmatched_s):.0%} of the onnxruntime trace's time is in nodes of the model "
            f"(at least {MIN_MATCHED_SHARE:.0%} expected); record the trace on the same model"
        )
    return TraceMatch(samples, matched_s, unmatched_s, sorted(unmatched))


def match_tflite(rows: list[dict], kernels: KernelResult, byte_scale: float) -> TraceMatch:
    """Return one fit sample per TensorFlow Lite op type: its total time against the kernels of its classes."""
    totals: dict[str, float] = {}
    unmatched: dict[str, float] = {}
    for row in rows:
        op_type = row.get("node type", "").upper()
        try:
            average_ms = float(row.get("avg_ms") or row.get("avg ms") or 0)
            calls = float(row.get("times called") or 1)
        except ValueError:
            raise GraphcostError(f"TensorFlow Lite CSV row for {op_type} has a non-numeric time: {row}") from None
        seconds = average_ms * 1e-3 * calls
        if op_type in TFLITE_CLASSES:
            totals[op_type] = totals.get(op_type, 0.0) + seconds
        else:
            unmatched[op_type] = unmatched.get(op_type, 0.0) + seconds
    samples = []
    # Op types that measure the same kernel classes are summed into one sample.
    by_classes: dict[tuple[str, ...], float] = {}
    for op_type, seconds in totals.items():
        by_classes[TFLITE_CLASSES[op_type]] = by_classes.get(TFLITE_CLASSES[op_type], 0.0) + seconds
    for classes, seconds in by_classes.items():
        members = [kernel for kernel in kernels.kernels if kernel.kernel_class in classes]
        if members and seconds > 0:
            result = KernelResult(kernels.rules, members, nx.DiGraph(), [])
            samples.append(FitSample("+".join(classes), result, byte_scale, seconds))
    if not samples:
        raise GraphcostError("the TensorFlow Lite CSV has no op type graphcost can match to the model's kernels")
    return TraceMatch(samples, sum(totals.values()), sum(unmatched.values()), sorted(unmatched))
