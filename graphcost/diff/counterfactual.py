"""Counterfactual graphs: a model with its SE blocks removed or its h-swish replaced by ReLU.

Each function returns a new ModelProto built from the loaded model's nodes;
the user's model is never modified. The counterfactual is loaded again, so
its shapes, patterns and kernels are found from scratch.
"""

from __future__ import annotations

import onnx
from onnx import helper

from graphcost.load import Model
from graphcost.patterns import PatternResult

# Activation kinds the activation counterfactual replaces. The h-sigmoid
# gate inside an SE block belongs to the SE component and is left alone.
SWAPPED_ACTIVATIONS = ("h_swish", "h_sigmoid")


def _rebuild(model: Model, removed: set[str], renamed: dict[str, str], added: dict[str, list[onnx.NodeProto]]) -> onnx.ModelProto:
    """Copy ``model`` without the ``removed`` nodes, reading ``renamed`` tensors under their new names.

    ``added`` maps a removed node's key to the nodes that take its place.
    """
    proto = onnx.ModelProto()
    proto.CopyFrom(model.proto)
    graph = proto.graph
    del graph.node[:]
    for key in model.nodes_in_order():
        if key in added:
            graph.node.extend(added[key])
        if key in removed:
            continue
        node = onnx.NodeProto()
        node.CopyFrom(model.graph.nodes[key]["proto"])
        for index, name in enumerate(node.input):
            if name in renamed:
                node.input[index] = renamed[name]
        graph.node.append(node)
    for output in graph.output:
        if output.name in renamed:
            # A graph output the counterfactual removed is passed through an Identity.
            graph.node.append(helper.make_node("Identity", [renamed[output.name]], [output.name]))
    del proto.functions[:]
    return proto


def remove_squeeze_excite(model: Model, patterns: PatternResult) -> onnx.ModelProto | None:
    """Return ``model`` with every SE block bypassed (its output replaced by its input), or None if it has none."""
    blocks = patterns.of_kind("squeeze_excite")
    if not blocks:
        return None
    removed = {node for block in blocks for node in block.nodes}
    renamed = {block.output: block.input for block in blocks}
    return _rebuild(model, removed, renamed, {})


def replace_activations(model: Model, patterns: PatternResult) -> onnx.ModelProto | None:
    """Return ``model`` with h-swish and h-sigmoid outside SE blocks replaced by ReLU, or None if it has none."""
    in_se = {node for block in patterns.of_kind("squeeze_excite") for node in block.nodes}
    matches = [
        match
        for match in patterns.matches
        if match.kind in SWAPPED_ACTIVATIONS and not (set(match.nodes) & in_se)
    ]
    if not matches:
        return None
    removed: set[str] = set()
    added: dict[str, list[onnx.NodeProto]] = {}
    for match in matches:
        removed.update(match.nodes)
        last = match.nodes[-1]
        added[last] = [helper.make_node("Relu", [match.input], [match.output], name=f"{last}/relu_counterfactual")]
    return _rebuild(model, removed, {}, added)
