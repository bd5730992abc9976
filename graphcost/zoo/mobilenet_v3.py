"""MobileNetV3-Large and -Small (Howard et al., "Searching for MobileNetV3", ICCV 2019, Tables 1 and 2)."""

from __future__ import annotations

from dataclasses import dataclass

import onnx

from graphcost.zoo.backbone import BackboneSpec
from graphcost.zoo.blocks import HSWISH, RELU, BlockSpec, make_divisible
from graphcost.zoo.classifier import HiddenLayer, build_classification_model
from graphcost.zoo.options import BuildOptions

STEM_CHANNELS = 16
RE = RELU
HS = HSWISH


@dataclass(frozen=True)
class V3Table:
    """One MobileNetV3 architecture at width 1.0."""

    title: str
    # bnecks as (kernel, expansion, output channels, SE, activation, stride)
    bnecks: tuple[tuple[int, int, int, bool, str, int], ...]
    last_channels: int
    # Channels of the 1x1 conv after pooling (with bias, no batch normalization).
    hidden_channels: int


LARGE = V3Table(
    title="MobileNetV3-Large",
    bnecks=(
        (3, 16, 16, False, RE, 1),
        (3, 64, 24, False, RE, 2),
        (3, 72, 24, False, RE, 1),
        (5, 72, 40, True, RE, 2),
        (5, 120, 40, True, RE, 1),
        (5, 120, 40, True, RE, 1),
        (3, 240, 80, False, HS, 2),
        (3, 200, 80, False, HS, 1),
        (3, 184, 80, False, HS, 1),
        (3, 184, 80, False, HS, 1),
        (3, 480, 112, True, HS, 1),
        (3, 672, 112, True, HS, 1),
        (5, 672, 160, True, HS, 2),
        (5, 960, 160, True, HS, 1),
        (5, 960, 160, True, HS, 1),
    ),
    last_channels=960,
    hidden_channels=1280,
)

# The 1x1 conv after pooling has 1024 channels, as in the TF-slim and
# torchvision implementations.
SMALL = V3Table(
    title="MobileNetV3-Small",
    bnecks=(
        (3, 16, 16, True, RE, 2),
        (3, 72, 24, False, RE, 2),
        (3, 88, 24, False, RE, 1),
        (5, 96, 40, True, HS, 2),
        (5, 240, 40, True, HS, 1),
        (5, 240, 40, True, HS, 1),
        (5, 120, 48, True, HS, 1),
        (5, 144, 48, True, HS, 1),
        (5, 288, 96, True, HS, 2),
        (5, 576, 96, True, HS, 1),
        (5, 576, 96, True, HS, 1),
    ),
    last_channels=576,
    hidden_channels=1024,
)


def reduce_tail(table: V3Table) -> V3Table:
    """Halve the channels between the stride-16 tap and the stride-32 output (the † models of V3 Table 6).

    The first stride-32 bneck and those after it get half the output
    channels. The bnecks after it also get half the expansion channels, and
    the last 1x1 conv gets half its channels.
    """
    first_stride32 = _first_stride32_index(table)
    bnecks = []
    for index, (kernel, expansion, out, se, act, stride) in enumerate(table.bnecks):
        if index > first_stride32:
            expansion //= 2
        if index >= first_stride32:
            out //= 2
        bnecks.append((kernel, expansion, out, se, act, stride))
    return V3Table(
        title=f"{table.title} (reduced tail)",
        bnecks=tuple(bnecks),
        last_channels=table.last_channels // 2,
        hidden_channels=table.hidden_channels,
    )


def _first_stride32_index(table: V3Table) -> int:
    stride = 2
    for index, bneck in enumerate(table.bnecks):
        stride *= bneck[5]
        if stride == 32:
            return index
    raise ValueError(f"{table.title} has no bneck that reaches stride 32")


def mobilenet_v3_spec(table: V3Table, options: BuildOptions) -> BackboneSpec:
    """Return the backbone with channels scaled by the width and the SE and activation ablations applied.

    Output channels are make_divisible(channels * width, 8). As in TF-slim,
    each expansion is the block's scaled input channels times the table's
    expansion ratio, rounded the same way. At width 1.0 this is the table's
    expansion. With ``--activation relu`` every h-swish becomes ReLU (the
    "all ReLU" row of V3 Table 5), while the SE gate keeps its h-sigmoid.
    """
    def scale(channels: int) -> int:
        return make_divisible(channels * options.width, 8)

    def act(designed: str) -> str:
        return RELU if options.activation == "relu" else designed

    blocks = []
    table_input, scaled_input = STEM_CHANNELS, scale(STEM_CHANNELS)
    for kernel, expansion, out, se, designed_act, stride in table.bnecks:
        if expansion == table_input:
            expansion_channels = scaled_input  # no expand conv
        else:
            expansion_channels = make_divisible(scaled_input * expansion / table_input, 8)
        blocks.append(
            BlockSpec(
                kernel=kernel,
                expansion_channels=expansion_channels,
                out_channels=scale(out),
                use_se=se and options.se,
                act=act(designed_act),
                stride=stride,
            )
        )
        table_input, scaled_input = out, scale(out)
    return BackboneSpec(
        stem_channels=scale(STEM_CHANNELS),
        stem_act=act(HS),
        blocks=tuple(blocks),
        last_channels=scale(table.last_channels),
        last_act=act(HS),
    )


def build_mobilenet_v3(name: str, table: V3Table, options: BuildOptions) -> onnx.ModelProto:
    """Build a MobileNetV3 ImageNet classifier.

    After pooling come a 1x1 conv with bias and h-swish but no batch
    normalization, then a fully connected layer to the logits.
    """
    # Below width 1.0 the hidden layer keeps its full width, as the last conv
    # of MobileNetV2 does. This matches the published V3-Large 0.75 (155M
    # MAdds, 4.0M parameters).
    hidden_channels = table.hidden_channels if options.width < 1 else make_divisible(table.hidden_channels * options.width, 8)
    hidden = HiddenLayer(
        channels=hidden_channels,
        act=RELU if options.activation == "relu" else HS,
    )
    return build_classification_model(
        name=name,
        doc_string=f"{table.title} ImageNet classifier: {options.summary()}. All weights are zero.",
        spec=mobilenet_v3_spec(table, options),
        hidden=hidden,
        options=options,
    )

