"""Data movement and shape bookkeeping.

Bookkeeping ops change only the tensor's description, not its bytes, so
they are known-free. Movement ops copy or rearrange data: no arithmetic
(except where noted) but full read and write traffic.
"""

from __future__ import annotations

from graphcost.costs.context import NodeContext
from graphcost.costs.registry import CostStatus, OpCost, register

BOOKKEEPING_REASON = "shape bookkeeping: the output is a view of the input, no data is moved"


@register("Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Shape", "Size", "Constant")
def bookkeeping(ctx: NodeContext) -> OpCost:
    return OpCost(status=CostStatus.FREE, reason=BOOKKEEPING_REASON, read_bytes=0, weight_bytes=0, write_bytes=0)


@register("Dropout")
def dropout(ctx: NodeContext) -> OpCost:
    # At inference Dropout passes its input through; with an optional mask
    # output the mask is written, one compare per element.
    if len(ctx.outputs) > 1 and ctx.outputs[1] is not None:
        return OpCost(elementwise_ops=ctx.output_numel(1), read_bytes=0)
    return bookkeeping(ctx)


def _copy(ctx: NodeContext) -> OpCost:
    return OpCost()


register(
    "Transpose",
    "Concat",
    "Split",
    "Pad",
    "Expand",
    "Tile",
    "DepthToSpace",
    "SpaceToDepth",
    "ScatterND",
    "ScatterElements",
    "ReverseSequence",
    "Trilu",
    "ConstantOfShape",
    "Range",
    "OneHot",
    "EyeLike",
    "CenterCropPad",
)(_copy)


@register("Slice")
def slice_(ctx: NodeContext) -> OpCost:
    # Only the selected elements are read.
    return OpCost(read_bytes=ctx.outputs[0].nbytes)


@register("Gather", "GatherElements", "GatherND")
def gather(ctx: NodeContext) -> OpCost:
    # Only the gathered elements are read, plus the indices.
    gathered = ctx.outputs[0].nbytes
    indices = ctx.inputs[1].nbytes if not ctx.inputs[1].is_constant else 0
    if ctx.inputs[0].is_constant:
        return OpCost(read_bytes=indices, weight_bytes=gathered)
    return OpCost(read_bytes=gathered + indices)


@register("NonZero", "Compress", "CumSum")
def scan_elements(ctx: NodeContext) -> OpCost:
    # One compare (NonZero, Compress) or add (CumSum) per input element.
    return OpCost(elementwise_ops=ctx.input_numel(0))


# Operations per resized axis per output element: a linear interpolation is
# a subtract, a multiply and an add; cubic uses 4 taps (4 multiplies, 3 adds).
_RESIZE_OPS_PER_AXIS = {"nearest": 0, "linear": 3, "bilinear": 3, "cubic": 7, "bicubic": 7}


@register("Resize", "Upsample")
def resize(ctx: NodeContext) -> OpCost:
    mode = ctx.attr("mode", "nearest")
    in_shape, out_shape = ctx.input_shape(0), ctx.output_shape(0)
    resized_axes = sum(1 for before, after in zip(in_shape, out_shape) if before != after)
    return OpCost(elementwise_ops=_RESIZE_OPS_PER_AXIS.get(mode, 0) * resized_axes * ctx.output_numel())
