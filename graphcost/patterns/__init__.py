"""Recognise what the hardware executes: activations, conv layers, SE and inverted-residual blocks.

Independent of any device. Each matcher is a pattern plus checks; a
look-alike that fails a check is reported with the reason. A node belongs
to at most one activation match, and activations are matched before the
layers that absorb them.
"""

from __future__ import annotations

import logging

from graphcost.load import Model
from graphcost.patterns.activations import match_hard_sigmoid, match_hard_swish, match_swish
from graphcost.patterns.base import GraphView, NoMatch, PatternMatch, PatternRejection, PatternResult, Rejected
from graphcost.patterns.inverted_residual import match_inverted_residual
from graphcost.patterns.layers import CONV_OPS, MATRIX_OPS, match_layer
from graphcost.patterns.relu6 import match_relu6
from graphcost.patterns.squeeze_excite import match_squeeze_excite

__all__ = ["PatternMatch", "PatternRejection", "PatternResult", "find_patterns"]

logger = logging.getLogger(__name__)

LAYER_KINDS = ("conv_block", "fc_block")


def _activation_matches(view: GraphView, order: list[str], result: PatternResult, claimed: set[str]) -> None:
    """Match h-swish, then standalone h-sigmoid, swish and ReLU6, so no node is counted twice.

    A look-alike that several passes reach, such as the Clip(x + 3, 0, 5) of
    an h-swish look-alike, is reported once, by the first pass.
    """
    passes = (
        ("h_swish", ("HardSwish", "Mul", "Div"), lambda key: match_hard_swish(view, key)),
        ("h_sigmoid", ("HardSigmoid", "Div", "Mul"), lambda key: match_hard_sigmoid(view, view.output(key))),
        ("swish", ("Mul",), lambda key: match_swish(view, key)),
        ("relu6", ("Clip", "Min", "Max", "Relu"), lambda key: match_relu6(view, view.output(key))),
    )
    reported_nodes: set[str] = set()
    for kind, anchors, matcher in passes:
        for key in order:
            if key in claimed or view.op(key) not in anchors:
                continue
            try:
                x, nodes, form = matcher(key)
                if kind != "h_swish":
                    view.check_internal(nodes, view.output(key))
            except Rejected as rejection:
                if rejection.node is None or rejection.node not in reported_nodes:
                    result.rejections.append(PatternRejection(kind, key, str(rejection), rejection.shared))
                if rejection.node is not None:
                    reported_nodes.add(rejection.node)
                continue
            except NoMatch:
                continue
            if claimed & set(nodes):
                continue
            claimed.update(nodes)
            ordered = tuple(sorted(nodes, key=lambda node: view.graph.nodes[node]["index"]))
            result.matches.append(PatternMatch(kind, form, ordered, x, view.output(key)))


def find_patterns(model: Model) -> PatternResult:
    """Find every pattern in the live part of ``model``."""
    view = GraphView(model)
    order = [key for key in model.nodes_in_order() if model.graph.nodes[key]["live"]]
    result = PatternResult()
    claimed: set[str] = set()

    _activation_matches(view, order, result, claimed)
    activations = {match.input: match for match in result.matches}

    se_matches: dict[str, PatternMatch] = {}
    for key in order:
        if view.op(key) != "Mul" or key in claimed:
            continue
        try:
            match = match_squeeze_excite(view, key)
        except Rejected as rejection:
            result.rejections.append(PatternRejection("squeeze_excite", key, str(rejection), rejection.shared))
            continue
        except NoMatch:
            continue
        result.matches.append(match)
        se_matches[match.output] = match

    layer_claimed: set[str] = set()
    layers: dict[str, PatternMatch] = {}
    for key in order:
        if view.op(key) not in CONV_OPS + MATRIX_OPS:
            continue
        match = match_layer(view, key, activations, layer_claimed)
        layer_claimed.update(match.nodes)
        result.matches.append(match)
        layers[match.output] = match

    claimed_expands: set[str] = set()
    for match in list(layers.values()):
        try:
            result.matches.append(match_inverted_residual(view, match, layers, se_matches, claimed_expands))
        except NoMatch:
            continue

    # A rejection whose anchor belongs to a match is a partial view of that
    # match. Layers are left out, because a HardSigmoid with other constants
    # still runs in a conv's epilogue and is still no h-sigmoid.
    matched_nodes = {node for match in result.matches if match.kind not in LAYER_KINDS for node in match.nodes}
    result.rejections = [r for r in result.rejections if r.anchor not in matched_nodes]
    logger.info("%s: patterns %s", model.source, result.counts())
    return result
