"""Matrix products: Gemm, MatMul and their integer and quantized forms."""

from __future__ import annotations

import math

import numpy as np

from graphcost.costs.context import NodeContext, ShapeMismatchError
from graphcost.costs.registry import OpCost, register


@register("Gemm")
def gemm(ctx: NodeContext) -> OpCost:
    a_shape, b_shape = ctx.input_shape(0), ctx.input_shape(1)
    m = a_shape[1] if ctx.attr("transA", 0) else a_shape[0]
    k = a_shape[0] if ctx.attr("transA", 0) else a_shape[1]
    n = b_shape[0] if ctx.attr("transB", 0) else b_shape[1]
    k_of_b = b_shape[1] if ctx.attr("transB", 0) else b_shape[0]
    if k != k_of_b:
        raise ShapeMismatchError(f"A has shape {list(a_shape)} and B {list(b_shape)}: their inner dims {k} and {k_of_b} differ")
    # Adding C is one operation per output element; alpha and beta other
    # than 1 scale the product and C, one multiply per output element each.
    elementwise = 0
    if ctx.has_input(2):
        elementwise += m * n
        if ctx.attr("beta", 1.0) != 1.0:
            elementwise += m * n
    if ctx.attr("alpha", 1.0) != 1.0:
        elementwise += m * n
    return OpCost(macs=m * n * k, elementwise_ops=elementwise)


def matmul_macs(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> int:
    """Return the MACs of numpy-style matmul, with broadcast batch dims and 1-D operands."""
    a = (1,) + a_shape if len(a_shape) == 1 else a_shape
    b = b_shape + (1,) if len(b_shape) == 1 else b_shape
    if a[-1] != b[-2]:
        raise ShapeMismatchError(f"A has shape {list(a_shape)} and B {list(b_shape)}: their inner dims {a[-1]} and {b[-2]} differ")
    try:
        batch = np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise ShapeMismatchError(f"batch dims of {list(a_shape)} and {list(b_shape)} do not broadcast") from None
    return math.prod(batch) * a[-2] * a[-1] * b[-1]


@register("MatMul")
def matmul(ctx: NodeContext) -> OpCost:
    return OpCost(macs=matmul_macs(ctx.input_shape(0), ctx.input_shape(1)))


@register("MatMulInteger")
def matmul_integer(ctx: NodeContext) -> OpCost:
    zero_point_ops = 0
    if ctx.has_input(2):
        zero_point_ops += ctx.input_numel(0)
    if ctx.has_input(3):
        zero_point_ops += ctx.input_numel(1)
    return OpCost(macs=matmul_macs(ctx.input_shape(0), ctx.input_shape(1)), elementwise_ops=zero_point_ops)


@register("QLinearMatMul")
def qlinear_matmul(ctx: NodeContext) -> OpCost:
    # Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale,
    # y_zero_point. Requantizing is a multiply, a round and an add per output.
    return OpCost(macs=matmul_macs(ctx.input_shape(0), ctx.input_shape(3)), elementwise_ops=3 * ctx.output_numel())
