"""The MobileNet feature extractor: stem, inverted residual blocks and the last 1x1 conv."""

from __future__ import annotations

from dataclasses import dataclass

from graphcost.zoo.blocks import BlockSpec, conv_bn_act, inverted_residual
from graphcost.zoo.graph_builder import FeatureMap, GraphBuilder

STEM_CHANNELS_IN = 3


@dataclass(frozen=True)
class BackboneSpec:
    """Channel counts and activations of one MobileNet, after the width multiplier."""

    stem_channels: int
    stem_act: str
    blocks: tuple[BlockSpec, ...]
    last_channels: int
    last_act: str


@dataclass(frozen=True)
class BackboneOutputs:
    # Expansion output of the first block of the stride-32 stage (stride 16),
    # the first SSDLite feature map.
    stride16_tap: FeatureMap
    # Output of the last 1x1 conv (stride 32).
    last: FeatureMap


def build_backbone(g: GraphBuilder, image: FeatureMap, spec: BackboneSpec, hswish_style: str) -> BackboneOutputs:
    """Emit the backbone on ``image`` and return its two SSDLite taps."""
    with g.scope("backbone"):
        with g.scope("stem"):
            x = conv_bn_act(g, image, spec.stem_channels, spec.stem_act, hswish_style, kernel=3, stride=2)
        stride = 2
        stride16_tap = None
        for index, block in enumerate(spec.blocks, start=1):
            with g.scope(f"block{index}"):
                outputs = inverted_residual(g, x, block, hswish_style)
            if block.stride == 2 and stride == 16:
                stride16_tap = outputs.expansion_output
            stride *= block.stride
            x = outputs.output
        with g.scope("last_conv"):
            last = conv_bn_act(g, x, spec.last_channels, spec.last_act, hswish_style)
    if stride16_tap is None:
        raise ValueError("backbone spec has no stride-2 block that reaches stride 32")
    return BackboneOutputs(stride16_tap=stride16_tap, last=last)


def input_map(resolution: int) -> FeatureMap:
    """Return the graph input: one RGB image of resolution x resolution pixels."""
    return FeatureMap("input", STEM_CHANNELS_IN, resolution, resolution)
