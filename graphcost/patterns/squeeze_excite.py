"""Squeeze-and-excitation (SE) blocks, as MobileNetV3 places them after the depthwise conv.

x -> pool over H and W -> 1x1 conv or FC -> ReLU -> 1x1 conv or FC -> gate
(h-sigmoid in any form, HardSigmoid or Sigmoid) -> x * gate. The pool is
GlobalAveragePool, ReduceMean over the spatial axes (axes as an attribute
or an input) or an AveragePool whose window covers the whole map. Reshape,
Flatten, Squeeze and Unsqueeze may surround an FC. The match is anchored on
the final Mul, with its operands in either order.
"""

from __future__ import annotations

from itertools import permutations

from graphcost.patterns.activations import match_hard_sigmoid
from graphcost.patterns.base import GraphView, NoMatch, PatternMatch, Rejected

RESHAPE_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity")
PROJECTION_OPS = ("Conv", "Gemm", "MatMul")


def _skip_reshapes(view: GraphView, tensor: str, nodes: list[str]) -> str:
    """Walk back through reshaping ops; append them to ``nodes``; return the tensor before them."""
    key = view.producer_of_op(tensor, *RESHAPE_OPS)
    while key is not None:
        nodes.append(key)
        tensor = view.inputs(key)[0]
        key = view.producer_of_op(tensor, *RESHAPE_OPS)
    return tensor


def _projection(view: GraphView, tensor: str, nodes: list[str]) -> str:
    """Match a 1x1 conv or FC (with an optional bias Add) ending at ``tensor``; return its input."""
    tensor = _skip_reshapes(view, tensor, nodes)
    key = view.producer(tensor)
    if view.op(key) == "Add":
        operands = view.inputs(key)
        matmul = next((name for name in operands if view.producer_of_op(name, "MatMul")), None)
        if matmul is not None and any(view.is_constant(name) for name in operands if name != matmul):
            nodes.append(key)
            key = view.producer(matmul)
    if view.op(key) not in PROJECTION_OPS:
        raise NoMatch(f"'{tensor}' is not made by a 1x1 conv or FC")
    if view.op(key) == "Conv":
        weight = view.shape(view.inputs(key)[1])
        if weight is None or any(k != 1 for k in weight[2:]):
            raise Rejected("the SE projection conv is not 1x1")
    nodes.append(key)
    return _skip_reshapes(view, view.inputs(key)[0], nodes)


def _is_spatial_pool(view: GraphView, key: str, x: str) -> bool:
    op = view.op(key)
    shape = view.shape(x)
    if op == "GlobalAveragePool":
        return True
    if shape is None:
        return False
    spatial = set(range(2, len(shape)))
    if op == "ReduceMean":
        axes = view.attr(key, "axes")
        if axes is None and len(view.inputs(key)) > 1:
            value = view.values.get(view.inputs(key)[1])
            axes = None if value is None else [int(a) for a in value.reshape(-1)]
        return axes is not None and {a % len(shape) for a in axes} == spatial
    if op == "AveragePool":
        return list(view.attr(key, "kernel_shape", [])) == list(shape[2:])
    return False


def _gate(view: GraphView, tensor: str) -> tuple[str, list[str], str]:
    sigmoid = view.producer_of_op(tensor, "Sigmoid")
    if sigmoid is not None:
        return view.inputs(sigmoid)[0], [sigmoid], "Sigmoid"
    return match_hard_sigmoid(view, tensor)


def match_squeeze_excite(view: GraphView, key: str) -> PatternMatch:
    if view.op(key) != "Mul":
        raise NoMatch("SE ends with Mul")
    reasons = []
    for x, gate in permutations(view.inputs(key)):
        try:
            return _match_from_gate(view, key, x, gate)
        except Rejected as rejection:
            reasons.append(str(rejection))
        except NoMatch:
            continue
    if reasons:
        raise Rejected(reasons[0])
    raise NoMatch("Mul is not x * SE gate")


def _match_from_gate(view: GraphView, key: str, x: str, gate: str) -> PatternMatch:
    nodes: list[str] = [key]
    gate = _skip_reshapes(view, gate, nodes)
    try:
        gate_input, gate_nodes, gate_form = _gate(view, gate)
    except Rejected:
        # A gate look-alike makes an SE look-alike only where x is pooled as
        # an SE pools it. Elsewhere the activation passes report the gate.
        if not any(_is_spatial_pool(view, reader, x) for reader in view.consumers(x)):
            raise NoMatch("the gate is no h-sigmoid, and x is not pooled over H and W") from None
        raise
    nodes.extend(gate_nodes)
    hidden = _projection(view, gate_input, nodes)
    relu = view.producer_of_op(hidden, "Relu", "Clip")
    if relu is None:
        raise NoMatch("no ReLU between the SE projections")
    nodes.append(relu)
    pooled = _projection(view, view.inputs(relu)[0], nodes)
    pool = view.producer(pooled)
    if pool is None or not _is_spatial_pool(view, pool, view.inputs(pool)[0]):
        raise NoMatch("the SE input is not pooled over H and W")
    if view.inputs(pool)[0] != x:
        raise Rejected("the pooled tensor is not the tensor the gate multiplies")
    nodes.append(pool)
    ordered = tuple(sorted(nodes, key=lambda node: view.graph.nodes[node]["index"]))
    details = {"pool": view.op(pool), "gate": gate_form}
    return PatternMatch("squeeze_excite", f"{view.op(pool)} -> ... -> {gate_form} -> Mul", ordered, x, view.output(key), details)
