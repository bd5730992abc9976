"""Microbenchmark graphs: one small ONNX model per case, covering the latency model's kernel classes.

Every case is float32 at batch 1 with zero weights (the kernels' speed does
not depend on the values; zeros also keep the models tiny). The shapes are
the layer shapes of MobileNetV2/V3 and SSDLite, at several resolutions and
channel counts, so the fit covers the sizes those networks run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


@dataclass(frozen=True)
class MicroCase:
    name: str
    kernel_class: str
    model: onnx.ModelProto


class _Graph:
    """Collects nodes and zero initializers for one microbenchmark model."""

    def __init__(self, channels: int, height: int, width: int | None = None):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, height, width or height])
        self._count = 0

    def name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: np.ndarray) -> str:
        name = self.name("c")
        self.initializers.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def node(self, op_type: str, inputs: list[str], **attributes) -> str:
        output = self.name("t")
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=self.name(op_type), **attributes))
        return output

    def conv(self, x: str, c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> str:
        weight = self.constant(np.zeros((c_out, c_in // groups, kernel, kernel)))
        bias = self.constant(np.zeros(c_out))
        pad = kernel // 2
        return self.node("Conv", [x, weight, bias], strides=[stride, stride], pads=[pad] * 4, group=groups, kernel_shape=[kernel, kernel])

    def model(self, output: str) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "micro", [self.input], [helper.make_empty_tensor_value_info(output)], self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)
        # Declare the output's type and shape, as exporters do, so the model passes onnx.checker.
        inferred = onnx.shape_inference.infer_shapes(model)
        declared = {info.name: info for info in inferred.graph.value_info}.get(output) or inferred.graph.output[0]
        model.graph.output[0].CopyFrom(declared)
        return model


def _conv_cases() -> list[MicroCase]:
    cases = []
    for c_in, c_out, size, stride in [(3, 16, 224, 2), (3, 32, 320, 2), (16, 32, 56, 1), (32, 64, 28, 2)]:
        graph = _Graph(c_in, size)
        out = graph.node("Relu", [graph.conv("x", c_in, c_out, 3, stride)])
        cases.append(MicroCase(f"conv3x3 {c_in}->{c_out} {size}px s{stride}", "conv", graph.model(out)))
    for c_in, c_out, size in [
        (16, 64, 112), (24, 144, 56), (144, 24, 56), (40, 240, 28), (240, 40, 28), (80, 480, 14),
        (112, 672, 14), (672, 112, 14), (160, 960, 7), (960, 160, 7), (960, 1280, 7), (576, 256, 20),
    ]:
        graph = _Graph(c_in, size)
        out = graph.node("Relu", [graph.conv("x", c_in, c_out, 1)])
        cases.append(MicroCase(f"conv1x1 {c_in}->{c_out} {size}px", "conv_1x1", graph.model(out)))
    for channels, size, kernel, stride in [
        (32, 112, 3, 1), (96, 112, 3, 2), (144, 56, 3, 1), (72, 56, 5, 2), (240, 28, 3, 1),
        (480, 14, 3, 1), (672, 14, 5, 2), (960, 7, 5, 1), (576, 20, 3, 1),
    ]:
        graph = _Graph(channels, size)
        out = graph.node("Relu", [graph.conv("x", channels, channels, kernel, stride, groups=channels)])
        cases.append(MicroCase(f"depthwise{kernel}x{kernel} {channels}ch {size}px s{stride}", "conv_depthwise", graph.model(out)))
    return cases


def _elementwise_cases() -> list[MicroCase]:
    cases = []
    for channels, size in [(16, 112), (96, 112), (72, 56), (240, 28), (672, 14)]:
        graph = _Graph(channels, size)
        out = graph.node("HardSwish", ["x"])
        cases.append(MicroCase(f"HardSwish {channels}ch {size}px", "elementwise", graph.model(out)))
    for channels, size in [(24, 56), (40, 28), (112, 14)]:
        graph = _Graph(channels, size)
        other = graph.node("Relu", ["x"])
        out = graph.node("Add", ["x", other])
        cases.append(MicroCase(f"Relu + Add {channels}ch {size}px", "elementwise", graph.model(out)))
    for channels, size in [(64, 112), (240, 28)]:
        # The TensorFlow form of h-swish: four element-wise ops.
        graph = _Graph(channels, size)
        three, zero, six = (graph.constant(np.array(v)) for v in (3.0, 0.0, 6.0))
        gate = graph.node("Clip", [graph.node("Add", ["x", three]), zero, six])
        out = graph.node("Div", [graph.node("Mul", ["x", gate]), six])
        cases.append(MicroCase(f"h-swish as 4 ops {channels}ch {size}px", "elementwise", graph.model(out)))
    return cases


def _pooling_cases() -> list[MicroCase]:
    cases = []
    for channels, size in [(72, 28), (480, 14), (960, 7), (1280, 10)]:
        graph = _Graph(channels, size)
        out = graph.node("GlobalAveragePool", ["x"])
        cases.append(MicroCase(f"GlobalAveragePool {channels}ch {size}px", "pooling", graph.model(out)))
    graph = _Graph(64, 112)
    out = graph.node("MaxPool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cases.append(MicroCase("MaxPool 3x3 s2 64ch 112px", "pooling", graph.model(out)))
    return cases


def _squeeze_excite_cases() -> list[MicroCase]:
    cases = []
    for channels, squeeze, size in [(72, 24, 28), (480, 120, 14), (960, 240, 7)]:
        graph = _Graph(channels, size)
        pooled = graph.node("GlobalAveragePool", ["x"])
        hidden = graph.node("Relu", [graph.conv(pooled, channels, squeeze, 1)])
        gate = graph.node("HardSigmoid", [graph.conv(hidden, squeeze, channels, 1)], alpha=1.0 / 6.0, beta=0.5)
        out = graph.node("Mul", ["x", gate])
        cases.append(MicroCase(f"SE {channels}ch {size}px", "squeeze_excite", graph.model(out)))
    return cases


def _fc_cases() -> list[MicroCase]:
    cases = []
    for c_in, c_out in [(1280, 1000), (1024, 1000), (960, 1280), (576, 1024)]:
        graph = _Graph(c_in, 1)
        flat = graph.node("Flatten", ["x"])
        weight = graph.constant(np.zeros((c_out, c_in)))
        bias = graph.constant(np.zeros(c_out))
        out = graph.node("Gemm", [flat, weight, bias], transB=1)
        cases.append(MicroCase(f"Gemm {c_in}->{c_out}", "fc", graph.model(out)))
    return cases


def _movement_cases() -> list[MicroCase]:
    cases = []
    for channels, size in [(546, 20), (24, 20), (546, 10)]:
        graph = _Graph(channels, size)
        out = graph.node("Transpose", ["x"], perm=[0, 2, 3, 1])
        cases.append(MicroCase(f"Transpose {channels}ch {size}px", "data_movement", graph.model(out)))
    graph = _Graph(96, 56)
    out = graph.node("Concat", ["x", graph.node("Relu", ["x"])], axis=1)
    cases.append(MicroCase("Relu + Concat 96ch 56px", "data_movement", graph.model(out)))
    return cases


def _overhead_cases() -> list[MicroCase]:
    """Chains of tiny layers, whose time is mostly the fixed cost of each kernel."""
    cases = []
    for length in (4, 16):
        graph = _Graph(16, 7)
        tensor = "x"
        for _ in range(length):
            tensor = graph.node("Relu", [graph.conv(tensor, 16, 16, 1)])
        cases.append(MicroCase(f"{length} tiny 1x1 convs 16ch 7px", "conv_1x1", graph.model(tensor)))
        graph = _Graph(16, 7)
        tensor = "x"
        for _ in range(length):
            tensor = graph.node("HardSwish", [graph.conv(tensor, 16, 16, 3, groups=16)])
        cases.append(MicroCase(f"{length} tiny depthwise + h-swish 16ch 7px", "conv_depthwise", graph.model(tensor)))
    return cases


def microbenchmarks(quick: bool = False) -> list[MicroCase]:
    """Return the microbenchmark cases; ``quick`` keeps a handful, one or two per class, for smoke tests."""
    cases = (
        _conv_cases() + _elementwise_cases() + _pooling_cases() + _squeeze_excite_cases() + _fc_cases()
        + _movement_cases() + _overhead_cases()
    )
    if not quick:
        return cases
    kept, per_class = [], {}
    for case in cases:
        if per_class.get(case.kernel_class, 0) < 1:
            kept.append(case)
            per_class[case.kernel_class] = per_class.get(case.kernel_class, 0) + 1
    return kept
