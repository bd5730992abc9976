"""Tiny models for diff and explain tests, built with onnx.helper."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from graphcost.load import Model, load


def load_named(model: onnx.ModelProto, source: str) -> Model:
    """Load ``model`` under the file name ``source``, which explain uses to name it."""
    loaded = load(model)
    loaded.source = source
    return loaded


def _weight(name: str, shape: tuple[int, ...]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.full(shape, 0.01, dtype=np.float32), name)


def _model(nodes, inputs, outputs, initializers) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def conv_net(channels: int = 16, groups: int = 1, size: int = 16, softmax: bool = False) -> onnx.ModelProto:
    """Return Conv 3x3 (8 -> ``channels``, ``groups`` groups) and Relu on a 1x8xSIZExSIZE input.

    ``softmax`` adds a Softmax over the channels: more work and traffic, no MACs.
    """
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=groups),
        helper.make_node("Relu", ["c"], ["r" if softmax else "y"]),
    ]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["r"], ["y"], axis=1))
    return _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, channels, size, size])],
        [_weight("w", (channels, 8 // groups, 3, 3))],
    )
