"""Normalization layers.

The MobileNet papers count BatchNormalization as folded into the preceding
conv, so it has no MACs. Unfolded, it is a scale and a shift per element.
"""

from __future__ import annotations

from graphcost.costs.context import NodeContext
from graphcost.costs.registry import OpCost, register


@register("BatchNormalization")
def batch_normalization(ctx: NodeContext) -> OpCost:
    # y = x * (gamma / sqrt(var + eps)) + (beta - mean * gamma / sqrt(var + eps)):
    # the per-channel factors are constants, leaving a multiply and an add.
    return OpCost(elementwise_ops=2 * ctx.output_numel())


@register("InstanceNormalization", "LayerNormalization", "GroupNormalization")
def statistics_normalization(ctx: NodeContext) -> OpCost:
    # Per element: add to the mean sum, square the deviation and add it to
    # the variance sum, subtract the mean, multiply by 1/std, multiply by the
    # scale, add the bias (7). The per-group sqrt is negligible.
    return OpCost(elementwise_ops=7 * ctx.input_numel(0))


@register("LpNormalization")
def lp_normalization(ctx: NodeContext) -> OpCost:
    # Square (or abs) and accumulate, then divide: 3 per element.
    return OpCost(elementwise_ops=3 * ctx.input_numel(0))
