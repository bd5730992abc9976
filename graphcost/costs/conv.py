"""Convolutions: Conv, ConvTranspose and their integer and quantized forms.

MACs count one multiply-accumulate per weight tap per output element, the
convention of the MobileNet papers' MAdds. The bias add is element-wise
work, one operation per output element, reported outside MACs.
"""

from __future__ import annotations

import math

from graphcost.costs.context import NodeContext, ShapeMismatchError
from graphcost.costs.registry import OpCost, register


def check_conv_channels(ctx: NodeContext, data_index: int, weight_index: int) -> None:
    """Raise ShapeMismatchError unless input channels = weight channels x groups."""
    data, weight = ctx.input_shape(data_index), ctx.input_shape(weight_index)
    groups = ctx.attr("group", 1)
    if len(data) < 2 or len(weight) < 2 or data[1] != weight[1] * groups:
        raise ShapeMismatchError(
            f"input has shape {list(data)} but the weight {list(weight)} with group={groups} needs "
            f"{weight[1] * groups if len(weight) > 1 else '?'} input channels"
        )


def _conv_macs(output_shape: tuple[int, ...], weight_shape: tuple[int, ...]) -> int:
    # weight: [C_out, C_in / groups, k1, k2, ...]; each output element sums
    # C_in / groups * k1 * k2 * ... products.
    return math.prod(output_shape) * math.prod(weight_shape[1:])


@register("Conv")
def conv(ctx: NodeContext) -> OpCost:
    check_conv_channels(ctx, 0, 1)
    macs = _conv_macs(ctx.output_shape(), ctx.input_shape(1))
    bias_ops = ctx.output_numel() if ctx.has_input(2) else 0
    return OpCost(macs=macs, elementwise_ops=bias_ops)


@register("ConvInteger")
def conv_integer(ctx: NodeContext) -> OpCost:
    check_conv_channels(ctx, 0, 1)
    # Subtracting the zero points is one operation per input or weight element.
    zero_point_ops = 0
    if ctx.has_input(2):
        zero_point_ops += ctx.input_numel(0)
    if ctx.has_input(3):
        zero_point_ops += ctx.input_numel(1)
    return OpCost(macs=_conv_macs(ctx.output_shape(), ctx.input_shape(1)), elementwise_ops=zero_point_ops)


@register("QLinearConv")
def qlinear_conv(ctx: NodeContext) -> OpCost:
    # Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
    # y_zero_point, B. Requantizing the int32 accumulator is a multiply, a
    # round and an add per output element; the bias add is one more.
    check_conv_channels(ctx, 0, 3)
    output_numel = ctx.output_numel()
    bias_ops = output_numel if ctx.has_input(8) else 0
    return OpCost(macs=_conv_macs(ctx.output_shape(), ctx.input_shape(3)), elementwise_ops=3 * output_numel + bias_ops)


@register("ConvTranspose")
def conv_transpose(ctx: NodeContext) -> OpCost:
    # weight: [C_in, C_out / groups, k...]; every input element is scattered
    # to C_out / groups * k1 * k2 * ... outputs.
    macs = ctx.input_numel(0) * math.prod(ctx.input_shape(1)[1:])
    bias_ops = ctx.output_numel() if ctx.has_input(2) else 0
    return OpCost(macs=macs, elementwise_ops=bias_ops)
