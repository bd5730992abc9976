"""MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018, Table 2)."""

from __future__ import annotations

import onnx

from graphcost.zoo.backbone import BackboneSpec
from graphcost.zoo.blocks import RELU6, BlockSpec, make_divisible
from graphcost.zoo.classifier import build_classification_model
from graphcost.zoo.options import BuildOptions

STEM_CHANNELS = 32
LAST_CHANNELS = 1280
KERNEL = 3

# Bottleneck stages as (expansion factor t, output channels c, repeats n,
# stride of the first repeat s).
STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def mobilenet_v2_spec(width: float, *, for_detection: bool = False) -> BackboneSpec:
    """Return MobileNetV2's layers with every channel count scaled by ``width`` and rounded to a multiple of 8.

    For classification the last 1x1 conv keeps its 1280 channels when width <
    1, as in TF-slim (finegrain_classification_mode) and torchvision. The SSD
    feature extractor of the TF Object Detection API scales it like every
    other layer.
    """
    last_width = width if for_detection else max(1.0, width)

    # NOTE: the TF Object Detection API's SSDLite configs raise every backbone
    # layer to at least 16 channels (min_depth 16). The SSDLite V2 0.5 and
    # 0.35 figures in V3 Table 6 fit only without that floor (0.35: 167M
    # MAdds here against 236M with it), so the floor is TF-slim's 8.
    def scale(channels: int) -> int:
        return make_divisible(channels * width, 8)

    in_channels = scale(STEM_CHANNELS)
    blocks = []
    for expansion, channels, repeats, first_stride in STAGES:
        out_channels = scale(channels)
        for repeat in range(repeats):
            blocks.append(
                BlockSpec(
                    kernel=KERNEL,
                    expansion_channels=make_divisible(in_channels * expansion, 8),
                    out_channels=out_channels,
                    use_se=False,
                    act=RELU6,
                    stride=first_stride if repeat == 0 else 1,
                )
            )
            in_channels = out_channels
    return BackboneSpec(
        stem_channels=scale(STEM_CHANNELS),
        stem_act=RELU6,
        blocks=tuple(blocks),
        last_channels=make_divisible(LAST_CHANNELS * last_width, 8),
        last_act=RELU6,
    )


def build_mobilenet_v2(name: str, options: BuildOptions) -> onnx.ModelProto:
    """Build the MobileNetV2 ImageNet classifier: backbone, pooling and one fully connected layer."""
    return build_classification_model(
        name=name,
        doc_string=f"MobileNetV2 ImageNet classifier: {options.summary()}. All weights are zero.",
        spec=mobilenet_v2_spec(options.width),
        hidden=None,
        options=options,
    )
