"""Building blocks shared by MobileNetV2, MobileNetV3 and SSDLite.

h-sigmoid(x) = ReLU6(x + 3) / 6 and h-swish(x) = x * h-sigmoid(x), from
Howard et al., "Searching for MobileNetV3", ICCV 2019. Each can be written in
three export styles (see ``activation``).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphcost.zoo.graph_builder import FeatureMap, GraphBuilder

RELU = "relu"
RELU6 = "relu6"
HSWISH = "hswish"
HSIGMOID = "hsigmoid"


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to the nearest multiple of ``divisor``, never below ``min_value``.

    This is the rounding of the TF-slim and torchvision MobileNets. When
    rounding down loses more than 10% of ``value``, one more ``divisor`` is
    added. ``min_value`` defaults to ``divisor``.
    """
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def activation(g: GraphBuilder, x: FeatureMap, kind: str | None, hswish_style: str) -> FeatureMap:
    """Emit the activation ``kind`` (None means linear) in the given h-swish export style.

    Styles for h-swish and h-sigmoid:
    ``op``: the HardSwish op and HardSigmoid(alpha=1/6, beta=0.5);
    ``tf``: x * Clip(x + 3, 0, 6) * (1/6), TensorFlow's formulation;
    ``clip-div``: x * Clip(x + 3, 0, 6) / 6.
    ReLU6 is always Clip(x, 0, 6).
    """
    if kind is None:
        return x
    if kind == RELU:
        return g.unary("Relu", x)
    if kind == RELU6:
        return g.clip(x, 0.0, 6.0)
    if kind == HSIGMOID:
        if hswish_style == "op":
            return g.unary("HardSigmoid", x, alpha=1.0 / 6.0, beta=0.5)
        return _divide_by_six(g, _relu6_of_x_plus_3(g, x), hswish_style)
    if kind == HSWISH:
        if hswish_style == "op":
            return g.unary("HardSwish", x)
        gated = g.binary("Mul", x, _relu6_of_x_plus_3(g, x).name)
        return _divide_by_six(g, gated, hswish_style)
    raise ValueError(f"unknown activation kind {kind!r}")


def _relu6_of_x_plus_3(g: GraphBuilder, x: FeatureMap) -> FeatureMap:
    return g.clip(g.binary("Add", x, g.scalar(3.0)), 0.0, 6.0)


def _divide_by_six(g: GraphBuilder, x: FeatureMap, hswish_style: str) -> FeatureMap:
    if hswish_style == "tf":
        return g.binary("Mul", x, g.scalar(1.0 / 6.0))
    return g.binary("Div", x, g.scalar(6.0))


def conv_bn_act(
    g: GraphBuilder,
    x: FeatureMap,
    out_channels: int,
    act: str | None,
    hswish_style: str,
    *,
    kernel: int = 1,
    stride: int = 1,
    depthwise: bool = False,
) -> FeatureMap:
    """Emit conv + batch normalization + activation (``act`` None for a linear layer)."""
    y = g.conv_bn(x, out_channels, kernel=kernel, stride=stride, depthwise=depthwise)
    return activation(g, y, act, hswish_style)


def squeeze_excite(g: GraphBuilder, x: FeatureMap, hswish_style: str) -> FeatureMap:
    """Emit MobileNetV3's squeeze-and-excite gate and multiply it into ``x``.

    Global average pool, 1x1 conv with bias to make_divisible(C / 4, 8)
    channels, ReLU, 1x1 conv with bias back to C, h-sigmoid, multiply.
    """
    squeeze_channels = make_divisible(x.channels / 4, 8)
    with g.scope("se"):
        pooled = g.global_average_pool(x)
        squeezed = g.unary("Relu", g.conv(pooled, squeeze_channels, bias=True))
        gate = activation(g, g.conv(squeezed, x.channels, bias=True), HSIGMOID, hswish_style)
        return g.binary("Mul", x, gate.name)


@dataclass(frozen=True)
class BlockSpec:
    """One inverted residual block (a V2 bottleneck or a V3 bneck)."""

    kernel: int
    expansion_channels: int
    out_channels: int
    use_se: bool
    act: str
    stride: int


@dataclass(frozen=True)
class BlockOutputs:
    output: FeatureMap
    # The activation after the 1x1 expansion, or the block input when the
    # block has no expansion conv. SSDLite reads its first feature map here.
    expansion_output: FeatureMap


def inverted_residual(g: GraphBuilder, x: FeatureMap, spec: BlockSpec, hswish_style: str) -> BlockOutputs:
    """Emit 1x1 expand + act, kxk depthwise + act, optional SE, linear 1x1 projection, residual.

    The expansion conv is left out when the expansion equals the input
    channels. The residual Add is present when the stride is 1 and the
    channel count is unchanged.
    """
    expanded = x
    if spec.expansion_channels != x.channels:
        with g.scope("expand"):
            expanded = conv_bn_act(g, x, spec.expansion_channels, spec.act, hswish_style)
    with g.scope("depthwise"):
        y = conv_bn_act(g, expanded, expanded.channels, spec.act, hswish_style, kernel=spec.kernel, stride=spec.stride, depthwise=True)
    if spec.use_se:
        y = squeeze_excite(g, y, hswish_style)
    with g.scope("project"):
        y = conv_bn_act(g, y, spec.out_channels, None, hswish_style)
    if spec.stride == 1 and spec.out_channels == x.channels:
        y = g.binary("Add", y, x.name)
    return BlockOutputs(output=y, expansion_output=expanded)
