"""Conv (+ BatchNormalization) (+ activation) and Gemm/MatMul (+ bias) (+ activation).

A layer extends from the Conv or matrix product along its output while each
intermediate tensor has exactly one reader: BatchNormalization, then (for
MatMul) an Add of a constant bias, then one activation. The activation may
be a single op or a recognised multi-op form (h-swish, h-sigmoid, swish,
ReLU6); ``activations`` maps each activation's input tensor to its match.
"""

from __future__ import annotations

from graphcost.patterns.activations import hard_sigmoid_reason
from graphcost.patterns.base import GraphView, PatternMatch

# Single-op activations and the name reports use for them.
SINGLE_OP_ACTIVATIONS = {
    "Relu": "relu",
    "LeakyRelu": "leaky_relu",
    "Sigmoid": "sigmoid",
    "HardSwish": "h_swish",
    "HardSigmoid": "h_sigmoid",
    "Tanh": "tanh",
    "Elu": "elu",
    "PRelu": "prelu",
}
CONV_OPS = ("Conv", "ConvInteger", "QLinearConv")
MATRIX_OPS = ("Gemm", "MatMul", "MatMulInteger", "QLinearMatMul")


def conv_kind(view: GraphView, key: str) -> str:
    """Classify a conv as ``depthwise``, ``pointwise`` (1x1, one group) or ``regular``."""
    weight_index = 3 if view.op(key) == "QLinearConv" else 1
    weight = view.shape(view.inputs(key)[weight_index])
    data = view.shape(view.inputs(key)[0])
    groups = view.attr(key, "group", 1)
    if weight is None or data is None:
        return "regular"
    if groups > 1 and groups == data[1] and weight[1] == 1:
        return "depthwise"
    if groups == 1 and all(k == 1 for k in weight[2:]):
        return "pointwise"
    return "regular"


def _sole_reader(view: GraphView, tensor: str) -> str | None:
    readers = view.consumers(tensor)
    if len(readers) != 1 or view.is_graph_output(tensor):
        return None
    return readers[0]


def match_layer(view: GraphView, key: str, activations: dict[str, PatternMatch], claimed: set[str]) -> PatternMatch:
    """Extend the Conv or matrix product ``key`` into its layer; return the match."""
    op = view.op(key)
    nodes = [key]
    tensor = view.output(key)
    details: dict = {"op": op, "batchnorm": False, "bias": False, "activation": "none"}
    if op in CONV_OPS:
        details["conv_kind"] = conv_kind(view, key)
    if op in ("Conv", "ConvTranspose", "Gemm"):
        details["bias"] = len(view.inputs(key)) > 2 and bool(view.inputs(key)[2])

    reader = _sole_reader(view, tensor)
    if reader is not None and view.op(reader) == "BatchNormalization" and reader not in claimed:
        nodes.append(reader)
        details["batchnorm"] = True
        tensor = view.output(reader)
        reader = _sole_reader(view, tensor)
    if op in ("MatMul", "Gemm") and reader is not None and view.op(reader) == "Add" and reader not in claimed:
        other = [name for name in view.inputs(reader) if name != tensor]
        if other and view.is_constant(other[0]):
            nodes.append(reader)
            details["bias"] = True
            tensor = view.output(reader)
            reader = _sole_reader(view, tensor)

    activation = activations.get(tensor)
    if activation is not None and set(view.consumers(tensor)) <= set(activation.nodes):
        if not view.is_graph_output(tensor) and not (set(activation.nodes) & claimed):
            nodes.extend(activation.nodes)
            details["activation"] = activation.kind
            details["activation_form"] = activation.form
            tensor = activation.output
    elif reader is not None and view.op(reader) in SINGLE_OP_ACTIVATIONS and reader not in claimed:
        nodes.append(reader)
        details["activation"] = SINGLE_OP_ACTIVATIONS[view.op(reader)]
        if view.op(reader) == "HardSigmoid" and hard_sigmoid_reason(view, reader) is not None:
            # The epilogue's work does not depend on alpha and beta, so the kind stays h_sigmoid for the fusion rules.
            alpha, beta = view.attr(reader, "alpha", 0.2), view.attr(reader, "beta", 0.5)
            details["activation_form"] = f"HardSigmoid(alpha={alpha:g}, beta={beta:g})"
        tensor = view.output(reader)
    elif reader is None:
        readers = view.consumers(tensor)
        if any(view.op(other) in SINGLE_OP_ACTIVATIONS for other in readers) or activation is not None:
            details["activation_not_absorbed"] = (
                f"intermediate consumed elsewhere: '{tensor}' is read by {len(readers)} nodes"
            )

    kind = "conv_block" if op in CONV_OPS else "fc_block"
    form = " + ".join(
        part
        for part, present in (
            (op, True),
            ("BatchNormalization", details["batchnorm"]),
            ("bias", details["bias"] and op == "MatMul"),
            (details["activation"], details["activation"] != "none"),
        )
        if present
    )
    return PatternMatch(kind, form, tuple(nodes), view.inputs(key)[0], tensor, details)
