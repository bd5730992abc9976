"""Time ONNX models with onnxruntime on this machine's CPU."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass

import numpy as np
import onnx

from graphcost.errors import GraphcostError

_NUMPY_TYPES = {
    onnx.TensorProto.FLOAT: np.float32,
    onnx.TensorProto.FLOAT16: np.float16,
    onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.INT64: np.int64,
    onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.UINT8: np.uint8,
    onnx.TensorProto.INT8: np.int8,
    onnx.TensorProto.BOOL: np.bool_,
}


def import_onnxruntime():
    try:
        import onnxruntime  # noqa: PLC0415 - optional dependency, needed only to measure
    except ImportError:
        raise GraphcostError(
            "measuring needs onnxruntime, which is not installed; install it with: pip install onnxruntime"
        ) from None
    return onnxruntime


@dataclass
class Measurement:
    """Median latency of repeated runs, and the spread."""

    median_s: float
    min_s: float
    runs: int


def _session(
    model: onnx.ModelProto,
    threads: int,
    profile_path: str | None = None,
    source: str = "the model",
    optimized_path: str | None = None,
):
    onnxruntime = import_onnxruntime()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    if profile_path is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_path
    if optimized_path is not None:
        options.optimized_model_filepath = optimized_path
    try:
        return onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # noqa: BLE001 - onnxruntime raises its own exception types
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise GraphcostError(f"{source}: onnxruntime cannot load the model: {first_line}") from None


_ORT_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(uint16)": np.uint16,
    "tensor(bool)": np.bool_,
}


def _feeds(session, input_shapes: dict[str, tuple[int, ...]] | None) -> dict[str, np.ndarray]:
    """Random inputs of each input's type: normal values for floats, small non-negative ones for integers."""
    rng = np.random.default_rng(0)
    feeds = {}
    for info in session.get_inputs():
        shape = (input_shapes or {}).get(info.name) or [d if isinstance(d, int) and d > 0 else 1 for d in info.shape]
        element = _ORT_TYPES.get(info.type)
        if element is None:
            raise GraphcostError(f"input '{info.name}' has type {info.type}, which graphcost cannot fill to measure the model")
        if np.issubdtype(element, np.floating):
            feeds[info.name] = rng.standard_normal(shape).astype(element)
        elif element is np.bool_:
            feeds[info.name] = rng.integers(0, 2, shape).astype(np.bool_)
        else:
            feeds[info.name] = rng.integers(0, 8, shape).astype(element)
    return feeds


def measure(
    model: onnx.ModelProto,
    threads: int = 1,
    warmup: int = 3,
    repeats: int = 15,
    min_time_s: float = 0.0,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    source: str = "the model",
) -> Measurement:
    """Run ``model`` ``warmup`` times, then at least ``repeats`` times (and ``min_time_s``); return the median."""
    session = _session(model, threads, source=source)
    feeds = _feeds(session, input_shapes)
    for _ in range(warmup):
        session.run(None, feeds)
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - started < min_time_s:
        begin = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - begin)
    return Measurement(statistics.median(times), min(times), len(times))


@dataclass
class NodeProfile:
    """Per-node times from onnxruntime's profiler, and the outputs of each node of the graph it ran."""

    times: dict[str, dict]  # node name -> {op_type, mean_s, count}
    outputs: dict[str, list[str]]  # node name in onnxruntime's optimized graph -> its output tensor names


def profile_nodes(
    model: onnx.ModelProto,
    threads: int = 1,
    runs: int = 10,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    source: str = "the model",
) -> NodeProfile:
    """Run ``model`` with onnxruntime's profiler and return each node's mean time over ``runs`` runs after one warm-up run.

    The same session saves its optimized graph, so the node names of the
    trace can be mapped to the tensors each node writes.
    """
    with tempfile.TemporaryDirectory() as folder:
        optimized_path = os.path.join(folder, "optimized.onnx")
        session = _session(model, threads, os.path.join(folder, "ort_profile"), source, optimized_path)
        feeds = _feeds(session, input_shapes)
        session.run(None, feeds)
        for _ in range(runs):
            session.run(None, feeds)
        path = session.end_profiling()
        with open(path, encoding="utf-8") as handle:
            events = json.load(handle)
        optimized = onnx.load(optimized_path, load_external_data=False)
    outputs = {node.name: list(node.output) for node in optimized.graph.node}
    return NodeProfile(node_times_from_trace(events, skip_first_run=True), outputs)


def node_times_from_trace(events: list[dict], skip_first_run: bool = False) -> dict[str, dict]:
    """Average per-node kernel times from onnxruntime profiling events.

    Node events are named ``<node name>_kernel_time`` with ``dur`` in
    microseconds and the op type in ``args.op_name``. With
    ``skip_first_run``, each node's first event (the warm-up run) is dropped.
    """
    samples: dict[str, list[float]] = {}
    op_types: dict[str, str] = {}
    for event in events:
        if event.get("cat") != "Node" or not str(event.get("name", "")).endswith("_kernel_time"):
            continue
        name = event["name"][: -len("_kernel_time")]
        samples.setdefault(name, []).append(float(event.get("dur", 0)) * 1e-6)
        op_types[name] = event.get("args", {}).get("op_name", "")
    result = {}
    for name, durations in samples.items():
        kept = durations[1:] if skip_first_run and len(durations) > 1 else durations
        result[name] = {"op_type": op_types[name], "mean_s": sum(kept) / len(kept), "count": len(kept)}
    return result
