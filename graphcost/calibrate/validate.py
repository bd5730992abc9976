"""Predicted against measured latency, per model and per op type."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import onnx

from graphcost.analysis import analyze_model
from graphcost.calibrate.measure import measure, profile_nodes
from graphcost.calibrate.traces import ORT_LAYOUT_OPS, free_node_names, lookup_trace_node, trace_names
from graphcost.hardware import HardwareProfile
from graphcost.load import load


# Marks the per-op rows of onnxruntime nodes that match no node of the model.
UNMATCHED_LABEL = "(matches no model node)"


@dataclass
class ValidationRow:
    model: str
    predicted_s: float
    measured_s: float
    by_op_type: dict[str, tuple[float, float]] = field(default_factory=dict)  # op type -> (predicted, measured)

    @property
    def error(self) -> float:
        return (self.predicted_s - self.measured_s) / self.measured_s


def validate_model(path: str, profile: HardwareProfile, threads: int = 1, per_op: bool = True, input_shapes=None) -> ValidationRow:
    """Measure ``path`` with onnxruntime and compare with the prediction on ``profile``.

    Both run at the same input shapes: ``input_shapes`` where given, else the
    declared dims with symbolic dims as 1.
    """
    model = load(path, input_shapes)
    report = analyze_model(model, hw=profile)
    feed_shapes = {name: tuple(model.tensors[name].shape) for name in model.inputs if model.tensors[name].shape is not None}
    proto = _with_input_shapes(model.proto, feed_shapes) if input_shapes else model.proto
    timing = measure(proto, threads=threads, warmup=5, repeats=20, min_time_s=0.5, input_shapes=feed_shapes, source=str(path))
    row = ValidationRow(os.path.basename(str(path)), report.latency.total_s, timing.median_s)
    if per_op:
        predicted: dict[str, float] = {}
        for kernel, latency in zip(report.kernels.kernels, report.latency.kernels):
            predicted[kernel.op_types[0]] = predicted.get(kernel.op_types[0], 0.0) + latency.latency_s
        # Kernels are labelled by their first op and free nodes by their op
        # type. A trace node that matches neither, such as a layout
        # conversion onnxruntime inserted, keeps onnxruntime's op type with UNMATCHED_LABEL.
        labels = {name: kernel.op_types[0] for name, kernel in trace_names(report.kernels, model.graph).items()}
        for name, op_type in free_node_names(report.kernels, model.graph).items():
            labels.setdefault(name, op_type)
        node_profile = profile_nodes(proto, threads=threads, input_shapes=feed_shapes, source=str(path))
        measured: dict[str, float] = {}
        for name, entry in node_profile.times.items():
            # A layout conversion writes a model tensor too, but it is not the node that wrote it in the model.
            outputs = [] if entry["op_type"] in ORT_LAYOUT_OPS else node_profile.outputs.get(name, [])
            label = lookup_trace_node(name, labels, outputs)
            if label is None:
                label = f"{entry['op_type']} {UNMATCHED_LABEL}"
            measured[label] = measured.get(label, 0.0) + entry["mean_s"]
        for op_type in sorted(set(predicted) | set(measured), key=lambda op: -measured.get(op, 0.0)):
            row.by_op_type[op_type] = (predicted.get(op_type, 0.0), measured.get(op_type, 0.0))
    return row


def _with_input_shapes(proto: onnx.ModelProto, shapes: dict[str, tuple[int, ...]]) -> onnx.ModelProto:
    """Return a copy of ``proto`` whose graph inputs declare ``shapes``, so onnxruntime accepts inputs of those sizes.

    A dim the model declares as a number must change too when the user set
    it, since onnxruntime rejects an input that contradicts a declared number.
    """
    copy = onnx.ModelProto()
    copy.CopyFrom(proto)
    for graph_input in copy.graph.input:
        if graph_input.name not in shapes or not graph_input.type.HasField("tensor_type"):
            continue
        dims = graph_input.type.tensor_type.shape.dim
        del dims[:]
        for size in shapes[graph_input.name]:
            dims.add().dim_value = size
    return copy
