"""Assign every kernel to a stage, so two architectures can be aligned stage by stage.

Backbone stages are named by output stride: the model input's height over
the kernel output's height, rounded to a power of two (``stride 2`` ...
``stride 32``). An SE block belongs to the stage of the tensor it gates.
Detection models add ``extras`` (feature maps past stride 32, and the
layer before them that only they read) and ``heads``
(the prediction layers, whose outputs reach the graph outputs only through
reshaping and concatenation, with the layers that feed only them);
classifiers end with ``classifier`` (global pooling and what follows).
"""

from __future__ import annotations

import math

from graphcost.kernels import KernelResult
from graphcost.load import Model
from graphcost.patterns import PatternResult
from graphcost.patterns.base import GraphView
from graphcost.patterns.inverted_residual import feeds_prediction_only

MAX_BACKBONE_STRIDE = 32
GLOBAL_POOLS = ("GlobalAveragePool", "GlobalMaxPool")


def stage_order(name: str) -> tuple[int, int]:
    """Sort key: backbone strides ascending, then extras, heads, classifier, other."""
    if name.startswith("stride "):
        return (0, int(name.split()[1]))
    return ({"extras": 1, "heads": 2, "classifier": 3}.get(name, 4), 0)


def _input_height(model: Model) -> int | None:
    for name in model.inputs:
        shape = model.tensors[name].shape
        if shape is not None and len(shape) == 4:
            return shape[2]
    return None


def _head_nodes(view: GraphView, order: list[str], classifier: set[str], patterns: PatternResult) -> set[str]:
    """Prediction convs, the layer feeding only each of them, and the reshaping after them.

    A conv after global pooling belongs to the classifier, not to a head, and a
    model with fewer than two prediction convs has no heads. An
    SSDLite head is a depthwise layer and a 1x1 prediction conv; the
    depthwise layer joins the head when the prediction conv alone reads it.
    """
    layers = {match.output: match for match in patterns.matches if match.kind in ("conv_block", "fc_block")}
    predictions = [
        key
        for key in order
        if key not in classifier and view.op(key) == "Conv" and feeds_prediction_only(view, view.output(key))
    ]
    # A detector predicts from several convs (box and class, on several maps);
    # a single conv before the output is just the network's last layer.
    if len(predictions) < 2:
        return set()
    heads: set[str] = set()
    for key in predictions:
        heads.add(key)
        feeding = layers.get(view.inputs(key)[0])
        if feeding is not None and view.consumers(feeding.output) == [key]:
            heads.update(feeding.nodes)
    for key in order:
        if key not in heads and any(view.producer(name) in heads for name in view.inputs(key) if name):
            heads.add(key)
    return heads


def kernel_stages(model: Model, patterns: PatternResult, kernels: KernelResult) -> dict[str, str]:
    """Return the stage name of every kernel id."""
    view = GraphView(model)
    order = [key for key in model.nodes_in_order() if model.graph.nodes[key]["live"]]
    se_input = {node: block.input for block in patterns.of_kind("squeeze_excite") for node in block.nodes}
    height = _input_height(model)
    after_pool: set[str] = set()
    for key in order:
        if key in se_input:
            continue
        if view.op(key) in GLOBAL_POOLS or any(view.producer(name) in after_pool for name in view.inputs(key) if name):
            after_pool.add(key)
    heads = _head_nodes(view, order, after_pool, patterns)

    stages: dict[str, str] = {}
    for kernel in kernels.kernels:
        members = kernel.nodes
        if any(node in heads for node in members):
            stages[kernel.id] = "heads"
            continue
        if any(node in after_pool for node in members):
            stages[kernel.id] = "classifier"
            continue
        se_tensor = next((se_input[node] for node in members if node in se_input), None)
        tensor = se_tensor or view.output(members[-1])
        shape = view.shape(tensor)
        if height is None or shape is None or len(shape) != 4 or shape[2] == 0:
            stages[kernel.id] = "other"
            continue
        stride = 2 ** round(math.log2(max(height / shape[2], 1)))
        stages[kernel.id] = f"stride {stride}" if stride <= MAX_BACKBONE_STRIDE else "extras"
    # The first layer of an extra block still works at stride 32; it is an
    # extra layer when extra layers alone read its output. Walking backwards
    # lets this pass through the layer's separate activation kernel; it stops
    # at the backbone's last map, which the heads also read.
    last_backbone = f"stride {MAX_BACKBONE_STRIDE}"
    for kernel_id in reversed(list(stages)):
        readers = list(kernels.graph.successors(kernel_id))
        if stages[kernel_id] == last_backbone and readers and all(stages[reader] == "extras" for reader in readers):
            stages[kernel_id] = "extras"
    return stages
