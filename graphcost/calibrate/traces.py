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
import math
import re
from dataclasses import dataclass

import networkx as nx

from graphcost.calibrate.measure import node_times_from_trace
from graphcost.errors import GraphcostError
from graphcost.kernels import Kernel, KernelResult
from graphcost.latency.fit import FitSample

MIN_MATCHED_SHARE = 0.8

# Prefix and suffixes onnxruntime 1.32 adds to the names of nodes its
# optimizers rewrite. "fused fc1" is Gemm "fc1" with its activation, and
# "r1_nchwc" is a conv in the NCHWc layout. "/MatMulAddFusion" marks a MatMul
# and Add run as one Gemm, and "_token_N" makes a generated name unique.
_ORT_FUSED_PREFIX = "fused "
_ORT_NAME_SUFFIX = re.compile(r"(_nchwc|_fused|_token_\d+|/MatMulAddFusion)+$")

# Op types of the layout conversions onnxruntime's NCHWc transformer inserts.
ORT_LAYOUT_OPS = frozenset({"ReorderInput", "ReorderOutput"})

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


TRACE_KINDS = "an onnxruntime profiling JSON or a TensorFlow Lite op-profiling CSV"
_RECORD_HINT = (
    "give the JSON that onnxruntime writes with SessionOptions.enable_profiling, "
    "or the CSV of benchmark_model --enable_op_profiling=true"
)


def _not_a_trace(path: str, reason: str) -> GraphcostError:
    return GraphcostError(f"{path}: not {TRACE_KINDS} ({reason}); {_RECORD_HINT}")


def read_trace(path: str) -> tuple[str, object]:
    """Return ("onnxruntime", events) or ("tflite", rows) for the trace at ``path``.

    Raises GraphcostError, naming the file, when it is not UTF-8 text, is
    empty, or has neither the structure of an onnxruntime profile nor the
    columns of a TensorFlow Lite op-profiling CSV.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise GraphcostError(f"{path}: cannot read the trace ({error.strerror}); check the path") from None
    # A NUL byte is valid UTF-8 but never occurs in either text format.
    if b"\0" in raw:
        raise _not_a_trace(path, "binary data: the file contains NUL bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_a_trace(path, "not UTF-8 text") from None
    stripped = text.lstrip()
    if not stripped:
        raise _not_a_trace(path, "empty file")
    if stripped.startswith("[") or stripped.startswith("{"):
        return "onnxruntime", _onnxruntime_events(path, text)
    return "tflite", _tflite_rows(path, text)


def _onnxruntime_events(path: str, text: str) -> list[dict]:
    """Return the events of an onnxruntime profile, checking the node events that the fit reads."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _not_a_trace(path, f"invalid JSON: {error.msg} at line {error.lineno}") from None
    # onnxruntime writes a list of events. The Chrome trace format wraps the list in "traceEvents".
    events = data.get("traceEvents") if isinstance(data, dict) else data
    if not isinstance(events, list):
        raise _not_a_trace(path, "JSON that is neither a list of events nor an object with a 'traceEvents' list")
    node_events = 0
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise _not_a_trace(path, f"event {index} is {type(event).__name__}, not an object")
        if event.get("cat") != "Node" or not str(event.get("name", "")).endswith("_kernel_time"):
            continue
        duration = event.get("dur", 0)
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0:
            raise _not_a_trace(path, f"node event {index} '{event['name']}' has duration {duration!r}, not a number of microseconds")
        if not isinstance(event.get("args", {}), dict):
            raise _not_a_trace(path, f"node event {index} '{event['name']}' has 'args' that is not an object")
        node_events += 1
    if node_events == 0:
        raise _not_a_trace(path, "no node event: no event of category 'Node' whose name ends in '_kernel_time'")
    return events


def _tflite_rows(path: str, text: str) -> list[dict]:
    """Return the rows of the op table of a TensorFlow Lite CSV, keyed by lower-case column name."""
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as error:
        raise _not_a_trace(path, f"invalid CSV: {error}") from None
    header_index = next((i for i, row in enumerate(rows) if row and row[0].strip().lower() == "node type"), None)
    if header_index is None:
        raise _not_a_trace(path, "no row starts with a 'node type' column")
    header = [cell.strip().lower() for cell in rows[header_index]]
    time_column = next((name for name in ("avg_ms", "avg ms") if name in header), None)
    if time_column is None:
        raise _not_a_trace(path, f"the 'node type' header on line {header_index + 1} has no 'avg_ms' column")
    table = []
    for line, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not row or not row[0].strip() or len(row) < len(header):
            break
        cells = dict(zip(header, (cell.strip() for cell in row)))
        for column in (time_column, "times called"):
            value = cells.get(column, "")
            # An empty cell takes the default of match_tflite: no time, or one call.
            if value and not _is_non_negative_number(value):
                raise _not_a_trace(path, f"line {line} has {column} {value!r}, which is not a non-negative number")
        table.append(cells)
    if not table:
        raise _not_a_trace(path, f"no op row follows the 'node type' header on line {header_index + 1}")
    return table


def _is_non_negative_number(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return math.isfinite(number) and number >= 0


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


def free_node_names(kernels: KernelResult, graph) -> dict[str, str]:
    """Map the names of the graph's live nodes that belong to no kernel (graphcost counts them as free) to their op types."""
    in_kernels = {node for kernel in kernels.kernels for node in kernel.nodes}
    names: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        if node in in_kernels or not data.get("live", True):
            continue
        names[node] = data["op_type"]
        if data["onnx_name"]:
            names[data["onnx_name"]] = data["op_type"]
        for output in data["outputs"]:
            if output:
                names.setdefault(output, data["op_type"])
    return names


def trace_name_candidates(name: str) -> list[str]:
    """Return the model node names an onnxruntime trace node name may stand for, the name itself first.

    A user's name may itself start with "fused " or end in "_token_3", so
    the name is tried as it is before each part is stripped.
    """
    candidates = [name]
    without_suffix = _ORT_NAME_SUFFIX.sub("", name)
    without_prefix = name.removeprefix(_ORT_FUSED_PREFIX)
    for candidate in (without_suffix, without_prefix, _ORT_NAME_SUFFIX.sub("", without_prefix)):
        if candidate and candidate not in candidates:
            candidates.append(candidate)
    return candidates


def lookup_trace_node(name: str, names: dict, outputs: list[str] = ()):
    """Return the value ``names`` holds for onnxruntime node ``name``, or None when nothing matches.

    ``outputs`` are the node's output tensors in onnxruntime's optimized
    graph, where known. They identify a fused node whose generated name
    carries no model name, such as "fused " for an unnamed Gemm, because
    the fused node writes the tensor of the last model node it replaces.
    """
    for candidate in list(trace_name_candidates(name)) + [output for output in outputs if output]:
        if candidate in names:
            return names[candidate]
    return None


def match_onnxruntime(events: list[dict], kernels: KernelResult, byte_scale: float, graph=None) -> TraceMatch:
    """Return one fit sample per kernel whose ops appear by name in the onnxruntime trace."""
    times = node_times_from_trace(events)
    kernel_of = trace_names(kernels, graph)
    measured: dict[str, float] = {}
    unmatched: dict[str, float] = {}
    for name, entry in times.items():
        kernel = lookup_trace_node(name, kernel_of)
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
