"""Shape rules for the outputs that onnx shape inference leaves unknown.

onnx infers most shapes; these rules fill the gaps it leaves: targets known
only after graphcost's own folding (Reshape, Expand, Tile, Resize, Slice,
Range, ConstantOfShape, Split), Conv and pooling with auto_pad when the
input was only resolved by graphcost, and data-dependent outputs (NonZero,
NonMaxSuppression, TopK with a computed k), which get an upper bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper

Shape = tuple[int, ...]


@dataclass
class RuleInput:
    """View of one node for a shape rule: its attributes, input shapes and known input values."""

    node: onnx.NodeProto
    opset: int
    input_shapes: list[Shape | None]
    input_values: list[np.ndarray | None]

    def attr(self, name: str, default=None):
        for attribute in self.node.attribute:
            if attribute.name == name:
                return helper.get_attribute_value(attribute)
        return default

    def shape(self, index: int) -> Shape | None:
        return self.input_shapes[index] if index < len(self.input_shapes) else None

    def value(self, index: int) -> np.ndarray | None:
        return self.input_values[index] if index < len(self.input_values) else None


@dataclass
class RuleResult:
    shapes: list[Shape | None]
    upper_bound: bool = False


ShapeRule = Callable[[RuleInput], RuleResult | None]
SHAPE_RULES: dict[str, ShapeRule] = {}


def shape_rule(*op_types: str) -> Callable[[ShapeRule], ShapeRule]:
    def register(function: ShapeRule) -> ShapeRule:
        for op_type in op_types:
            if op_type in SHAPE_RULES:
                raise ValueError(f"shape rule for {op_type} registered twice")
            SHAPE_RULES[op_type] = function
        return function

    return register


def broadcast(*shapes: Shape) -> Shape:
    """Return the numpy-style broadcast of ``shapes``."""
    return tuple(np.broadcast_shapes(*shapes))


@shape_rule("Reshape")
def _reshape(rule: RuleInput) -> RuleResult | None:
    data, target = rule.shape(0), rule.value(1)
    if data is None or target is None:
        return None
    allow_zero = rule.attr("allowzero", 0)
    dims = [int(d) for d in target.reshape(-1)]
    for i, dim in enumerate(dims):
        if dim == 0 and not allow_zero:
            dims[i] = data[i]
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        dims[dims.index(-1)] = math.prod(data) // known if known else 0
    return RuleResult([tuple(dims)])


@shape_rule("Expand")
def _expand(rule: RuleInput) -> RuleResult | None:
    data, target = rule.shape(0), rule.value(1)
    if data is None or target is None:
        return None
    return RuleResult([broadcast(data, tuple(int(d) for d in target.reshape(-1)))])


@shape_rule("Tile")
def _tile(rule: RuleInput) -> RuleResult | None:
    data, repeats = rule.shape(0), rule.value(1)
    if data is None or repeats is None:
        return None
    return RuleResult([tuple(d * int(r) for d, r in zip(data, repeats.reshape(-1)))])


@shape_rule("ConstantOfShape")
def _constant_of_shape(rule: RuleInput) -> RuleResult | None:
    target = rule.value(0)
    if target is None:
        return None
    return RuleResult([tuple(int(d) for d in target.reshape(-1))])


@shape_rule("Range")
def _range(rule: RuleInput) -> RuleResult | None:
    start, limit, delta = rule.value(0), rule.value(1), rule.value(2)
    if start is None or limit is None or delta is None:
        return None
    count = max(int(math.ceil((float(limit) - float(start)) / float(delta))), 0)
    return RuleResult([(count,)])


@shape_rule("Resize", "Upsample")
def _resize(rule: RuleInput) -> RuleResult | None:
    data = rule.shape(0)
    if data is None:
        return None
    if rule.node.op_type == "Upsample":
        scales = rule.value(1) if rule.opset >= 9 else np.array(rule.attr("scales", []), dtype=np.float32)
        sizes = None
    elif rule.opset < 11:
        scales, sizes = rule.value(1), None
    else:
        scales, sizes = rule.value(2), rule.value(3)
    axes = rule.attr("axes")
    axes = [a % len(data) for a in axes] if axes else list(range(len(data)))
    out = list(data)
    if sizes is not None and sizes.size:
        for axis, size in zip(axes, sizes.reshape(-1)):
            out[axis] = int(size)
        # NOTE: keep_aspect_ratio_policy (opset 18) is not applied; sizes are taken as given.
        return RuleResult([tuple(out)])
    if scales is not None and scales.size:
        for axis, scale in zip(axes, scales.reshape(-1)):
            out[axis] = int(math.floor(data[axis] * float(scale)))
        return RuleResult([tuple(out)])
    return None


@shape_rule("Slice")
def _slice(rule: RuleInput) -> RuleResult | None:
    data = rule.shape(0)
    if data is None:
        return None
    if rule.opset < 10:
        starts, ends = rule.attr("starts"), rule.attr("ends")
        axes, steps = rule.attr("axes"), None
    else:
        starts, ends = rule.value(1), rule.value(2)
        axes, steps = rule.value(3), rule.value(4)
        if starts is None or ends is None or (len(rule.node.input) > 3 and rule.node.input[3] and axes is None):
            return None
        if len(rule.node.input) > 4 and rule.node.input[4] and steps is None:
            return None
    starts = [int(s) for s in np.reshape(starts, -1)]
    ends = [int(e) for e in np.reshape(ends, -1)]
    axes = [int(a) % len(data) for a in np.reshape(axes, -1)] if axes is not None else list(range(len(starts)))
    steps = [int(s) for s in np.reshape(steps, -1)] if steps is not None else [1] * len(starts)
    out = list(data)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        out[axis] = len(range(*slice(start, end, step).indices(data[axis])))
    return RuleResult([tuple(out)])


@shape_rule("Split")
def _split(rule: RuleInput) -> RuleResult | None:
    data = rule.shape(0)
    if data is None:
        return None
    axis = rule.attr("axis", 0) % len(data)
    outputs = len(rule.node.output)
    if rule.opset < 13:
        sizes = rule.attr("split")
    else:
        value = rule.value(1)
        sizes = [int(s) for s in value.reshape(-1)] if value is not None else None
        if sizes is None and len(rule.node.input) > 1 and rule.node.input[1]:
            return None
    if not sizes:
        count = rule.attr("num_outputs", outputs)
        chunk = -(-data[axis] // count)
        sizes = [min(chunk, data[axis] - chunk * i) for i in range(count)]
    shapes = []
    for size in sizes:
        shape = list(data)
        shape[axis] = int(size)
        shapes.append(tuple(shape))
    return RuleResult(shapes)


def _pooled_size(size: int, kernel: int, stride: int, dilation: int, pads: int, auto_pad: str, ceil: bool) -> int:
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        return -(-size // stride)
    effective = dilation * (kernel - 1) + 1
    if auto_pad == "VALID":
        return (size - effective) // stride + 1
    rounding = math.ceil if ceil else math.floor
    return int(rounding((size + pads - effective) / stride)) + 1


@shape_rule("Conv", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool")
def _windowed(rule: RuleInput) -> RuleResult | None:
    data = rule.shape(0)
    if data is None:
        return None
    spatial = len(data) - 2
    if rule.node.op_type in ("Conv", "ConvInteger", "QLinearConv"):
        weight = rule.shape(3 if rule.node.op_type == "QLinearConv" else 1)
        if weight is None:
            return None
        kernel, channels = list(weight[2:]), weight[0]
    else:
        kernel, channels = list(rule.attr("kernel_shape")), data[1]
    strides = rule.attr("strides") or [1] * spatial
    dilations = rule.attr("dilations") or [1] * spatial
    pads = rule.attr("pads") or [0] * (2 * spatial)
    auto_pad = rule.attr("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    ceil = bool(rule.attr("ceil_mode", 0))
    out = [data[0], channels]
    for i in range(spatial):
        out.append(_pooled_size(data[2 + i], kernel[i], strides[i], dilations[i], pads[i] + pads[i + spatial], auto_pad, ceil))
    shapes: list[Shape | None] = [tuple(out)]
    if len(rule.node.output) > 1:
        shapes.append(tuple(out))  # MaxPool's Indices output
    return RuleResult(shapes)


@shape_rule("NonZero")
def _non_zero(rule: RuleInput) -> RuleResult | None:
    data = rule.shape(0)
    if data is None:
        return None
    # At most every element is nonzero.
    return RuleResult([(len(data), math.prod(data))], upper_bound=True)


@shape_rule("NonMaxSuppression")
def _non_max_suppression(rule: RuleInput) -> RuleResult | None:
    boxes, scores = rule.shape(0), rule.shape(1)
    if boxes is None or scores is None:
        return None
    batches, classes, box_count = scores
    limit = rule.value(2)
    per_class = box_count if limit is None else min(box_count, int(limit.reshape(-1)[0]))
    # At most max_output_boxes_per_class boxes for every (batch, class) pair.
    return RuleResult([(batches * classes * per_class, 3)], upper_bound=True)


@shape_rule("TopK")
def _top_k(rule: RuleInput) -> RuleResult | None:
    data = rule.shape(0)
    if data is None:
        return None
    axis = rule.attr("axis", -1) % len(data)
    k = rule.value(1) if rule.opset >= 10 else np.array(rule.attr("k"))
    out = list(data)
    if k is not None:
        out[axis] = min(int(k.reshape(-1)[0]), data[axis])
        return RuleResult([tuple(out), tuple(out)])
    # k is computed at run time; it cannot exceed the axis length.
    return RuleResult([tuple(out), tuple(out)], upper_bound=True)
