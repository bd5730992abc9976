"""Pooling, reductions, softmax and selection (TopK, NonMaxSuppression)."""

from __future__ import annotations

import math

from graphcost.costs.context import NodeContext
from graphcost.costs.registry import OpCost, register


@register("MaxPool", "AveragePool")
def window_pool(ctx: NodeContext) -> OpCost:
    # One compare or add per window tap per output element; AveragePool
    # divides once per output element.
    taps = math.prod(ctx.attr("kernel_shape"))
    per_output = taps + (1 if ctx.op_type == "AveragePool" else 0)
    return OpCost(elementwise_ops=per_output * ctx.output_numel())


@register("LpPool")
def lp_pool(ctx: NodeContext) -> OpCost:
    # |x|^p and an add per tap, one root per output.
    taps = math.prod(ctx.attr("kernel_shape"))
    return OpCost(elementwise_ops=(2 * taps + 1) * ctx.output_numel())


@register("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
def global_pool(ctx: NodeContext) -> OpCost:
    # One add or compare per input element; the average divides once per
    # output element; Lp adds |x|^p per input and a root per output.
    inputs, outputs = ctx.input_numel(0), ctx.output_numel()
    if ctx.op_type == "GlobalAveragePool":
        return OpCost(elementwise_ops=inputs + outputs)
    if ctx.op_type == "GlobalLpPool":
        return OpCost(elementwise_ops=2 * inputs + outputs)
    return OpCost(elementwise_ops=inputs)


# (ops per input element, ops per output element) of each reduction.
_REDUCTION_OPS = {
    "ReduceSum": (1, 0),
    "ReduceMax": (1, 0),
    "ReduceMin": (1, 0),
    "ReduceProd": (1, 0),
    "ReduceMean": (1, 1),  # sum, then one divide
    "ReduceL1": (2, 0),  # abs, add
    "ReduceL2": (2, 1),  # square, add; sqrt
    "ReduceSumSquare": (2, 0),  # square, add
    "ReduceLogSum": (1, 1),  # add; log
    "ReduceLogSumExp": (2, 1),  # exp, add; log
    "ArgMax": (1, 0),
    "ArgMin": (1, 0),
}


@register(*_REDUCTION_OPS)
def reduction(ctx: NodeContext) -> OpCost:
    per_input, per_output = _REDUCTION_OPS[ctx.op_type]
    return OpCost(elementwise_ops=per_input * ctx.input_numel(0) + per_output * ctx.output_numel())


@register("Softmax", "LogSoftmax", "Hardmax")
def softmax(ctx: NodeContext) -> OpCost:
    # Softmax per element: compare for the max, subtract it, exp, add to the
    # sum, divide (5). LogSoftmax replaces the divide by a subtract of the log
    # sum (5). Hardmax only compares (1).
    per_element = 1 if ctx.op_type == "Hardmax" else 5
    return OpCost(elementwise_ops=per_element * ctx.input_numel(0))


@register("TopK")
def top_k(ctx: NodeContext) -> OpCost:
    # A heap of k elements: about log2(k) + 1 compares per input element.
    shape = ctx.input_shape(0)
    axis = ctx.attr("axis", -1) % len(shape)
    k = ctx.output_shape(0)[axis]
    return OpCost(elementwise_ops=ctx.input_numel(0) * (math.ceil(math.log2(k + 1)) if k > 0 else 0))


@register("NonMaxSuppression")
def non_max_suppression(ctx: NodeContext) -> OpCost:
    # Upper bound: every (batch, class) pair sorts its boxes (n log2 n
    # compares) and computes the IoU of every box pair, about 12 operations
    # each (intersection corners 4, areas 4, union and ratio 3, compare 1).
    batches, classes, boxes = ctx.input_shape(1)
    pairs = boxes * (boxes - 1) // 2
    sort = boxes * math.ceil(math.log2(boxes)) if boxes > 1 else 0
    return OpCost(elementwise_ops=batches * classes * (12 * pairs + sort))
