"""Inverted-residual blocks: 1x1 expand -> depthwise -> (SE) -> 1x1 linear project (+ residual Add).

MobileNetV2's bottleneck and MobileNetV3's bneck. The expand conv is absent
when the expansion equals the input channels. The match is anchored on the
projection layer, a pointwise conv layer without activation, and is used to
label blocks in reports.
"""

from __future__ import annotations

from graphcost.patterns.base import GraphView, NoMatch, PatternMatch

# Ops between a prediction conv and the graph outputs of a detector.
_PREDICTION_TAIL_OPS = frozenset({"Reshape", "Transpose", "Concat", "Flatten", "Squeeze", "Unsqueeze", "Identity"})


def feeds_prediction_only(view: GraphView, tensor: str) -> bool:
    """True if ``tensor`` reaches graph outputs only through reshaping and concatenation.

    Such a tensor is the output of a prediction layer (an SSD box or class
    head), not of a backbone block.
    """
    pending, seen = [tensor], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        readers = view.consumers(current)
        if not readers and not view.is_graph_output(current):
            return False
        for reader in readers:
            if view.op(reader) not in _PREDICTION_TAIL_OPS:
                return False
            pending.extend(name for name in view.outputs(reader) if name)
    return True


def match_inverted_residual(
    view: GraphView,
    project: PatternMatch,
    layers_by_output: dict[str, PatternMatch],
    se_by_output: dict[str, PatternMatch],
    claimed_expands: set[str],
) -> PatternMatch:
    """Match the block ending at the layer ``project``.

    An expand layer whose output several depthwise convs read (an SSDLite
    tap feeding the backbone and the prediction heads) belongs to the first
    block, in execution order, that reaches it; ``claimed_expands`` records
    those taken. Without an expand layer, the block input may be read only
    by the depthwise conv and the residual Add, so a depthwise-separable
    prediction head reading a shared feature map is not labelled a block.
    """
    if project.details.get("conv_kind") != "pointwise" or project.details.get("activation") != "none":
        raise NoMatch("the block must end with a linear 1x1 conv")
    if feeds_prediction_only(view, project.output):
        raise NoMatch("the 1x1 conv is a prediction layer")
    nodes = list(project.nodes)
    tensor = project.input
    se = se_by_output.get(tensor)
    if se is not None:
        nodes.extend(se.nodes)
        tensor = se.input
    depthwise = layers_by_output.get(tensor)
    if depthwise is None or depthwise.details.get("conv_kind") != "depthwise":
        raise NoMatch("no depthwise conv before the projection")
    nodes.extend(depthwise.nodes)
    block_input = depthwise.input
    expand = layers_by_output.get(block_input)
    has_expand = (
        expand is not None
        and expand.details.get("conv_kind") == "pointwise"
        and expand.details.get("activation") != "none"
        and expand.output not in claimed_expands
    )
    if has_expand:
        nodes.extend(expand.nodes)
        block_input = expand.input
    output = project.output
    residual = None
    readers = view.consumers(output)
    if len(readers) == 1 and view.op(readers[0]) == "Add" and block_input in view.inputs(readers[0]):
        residual = readers[0]
        nodes.append(residual)
        output = view.output(residual)
    if has_expand:
        claimed_expands.add(expand.output)
    else:
        allowed = {depthwise.nodes[0], residual}
        if any(reader not in allowed for reader in view.consumers(block_input)):
            raise NoMatch("the block input is also read outside the block")
    weight = view.shape(view.inputs(depthwise.nodes[0])[1])
    details = {
        "expand": has_expand,
        "squeeze_excite": se is not None,
        "residual": residual is not None,
        "kernel": weight[-1] if weight else None,
        "stride": max(view.attr(depthwise.nodes[0], "strides", [1])),
        "activation": depthwise.details.get("activation"),
    }
    parts = ["expand"] if has_expand else []
    parts.append("depthwise")
    if se is not None:
        parts.append("SE")
    parts.append("project")
    form = " -> ".join(parts) + (" + residual" if residual else "")
    ordered = tuple(sorted(set(nodes), key=lambda node: view.graph.nodes[node]["index"]))
    return PatternMatch("inverted_residual", form, ordered, block_input, output, details)
