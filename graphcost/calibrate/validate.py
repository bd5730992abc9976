"""Predicted against measured latency, per model and per op type."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from graphcost.analysis import analyze_model
from graphcost.calibrate.measure import measure, profile_node_times
from graphcost.calibrate.traces import _ORT_NAME_SUFFIX, trace_names
from graphcost.hardware import HardwareProfile
from graphcost.load import load


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
    """Measure ``path`` with onnxruntime and compare with the prediction on ``profile``."""
    model = load(path, input_shapes)
    report = analyze_model(model, hw=profile)
    timing = measure(model.proto, threads=threads, warmup=5, repeats=20, min_time_s=0.5, source=str(path))
    row = ValidationRow(os.path.basename(str(path)), report.latency.total_s, timing.median_s)
    if per_op:
        predicted: dict[str, float] = {}
        for kernel, latency in zip(report.kernels.kernels, report.latency.kernels):
            predicted[kernel.op_types[0]] = predicted.get(kernel.op_types[0], 0.0) + latency.latency_s
        kernel_of = trace_names(report.kernels, model.graph)
        measured: dict[str, float] = {}
        for name, entry in profile_node_times(model.proto, threads=threads, source=str(path)).items():
            kernel = kernel_of.get(_ORT_NAME_SUFFIX.sub("", name)) or kernel_of.get(name)
            op_type = kernel.op_types[0] if kernel is not None else f"{entry['op_type']} (onnxruntime only)"
            measured[op_type] = measured.get(op_type, 0.0) + entry["mean_s"]
        for op_type in sorted(set(predicted) | set(measured), key=lambda op: -measured.get(op, 0.0)):
            row.by_op_type[op_type] = (predicted.get(op_type, 0.0), measured.get(op_type, 0.0))
    return row
