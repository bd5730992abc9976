"""Tiny models for diff and explain tests, built with onnx.helper."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from graphcost.load import Model, load

CUSTOM_DOMAIN = "com.example"


def load_named(model: onnx.ModelProto, source: str) -> Model:
    """Load ``model`` under the file name ``source``, which explain uses to name it."""
    loaded = load(model)
    loaded.source = source
    return loaded


def _weight(name: str, shape: tuple[int, ...]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.full(shape, 0.01, dtype=np.float32), name)


def _model(nodes, inputs, outputs, initializers, custom_domain: bool = False) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, initializers)
    opsets = [helper.make_opsetid("", 17)]
    if custom_domain:
        opsets.append(helper.make_opsetid(CUSTOM_DOMAIN, 1))
    model = helper.make_model(graph, opset_imports=opsets)
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


def custom_op_net() -> onnx.ModelProto:
    """Return Conv 1x1, a custom-domain op and a Relu reading it: the last two nodes are uncosted.

    The custom op has no cost formula, and shape inference cannot see through
    it, so the Relu after it has no input shape either.
    """
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1]),
        helper.make_node("Blur", ["c"], ["b"], domain=CUSTOM_DOMAIN),
        helper.make_node("Relu", ["b"], ["y"]),
    ]
    return _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [_weight("w", (8, 8, 1, 1))],
        custom_domain=True,
    )


def if_with_custom_branch() -> onnx.ModelProto:
    """Return an If whose then-branch is a custom-domain op: an uncosted node inside a body."""
    then_branch = helper.make_graph(
        [helper.make_node("Blur", ["x"], ["then_out"], domain=CUSTOM_DOMAIN)],
        "then",
        [],
        [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [1, 8, 16, 16])],
    )
    else_branch = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["else_out"])],
        "else",
        [],
        [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [1, 8, 16, 16])],
    )
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["sum"], keepdims=0),
        helper.make_node("Greater", ["sum", "zero"], ["condition"]),
        helper.make_node("If", ["condition"], ["y"], then_branch=then_branch, else_branch=else_branch),
    ]
    return _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16])],
        [numpy_helper.from_array(np.zeros((), dtype=np.float32), "zero")],
        custom_domain=True,
    )
