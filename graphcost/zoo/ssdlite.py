"""SSDLite detectors following the TF Object Detection API's SSD MobileNet feature extractors.

SSDLite (Sandler et al., "MobileNetV2", CVPR 2018, section 6.2) replaces
every regular conv in the SSD prediction layers with a depthwise 3x3 conv
(batch norm, ReLU6) followed by a 1x1 conv. The model ends at the raw class
logits and box encodings per anchor; anchor decoding and non-maximum
suppression are not included.
"""

from __future__ import annotations

import onnx

from graphcost.zoo.backbone import BackboneSpec, build_backbone, input_map
from graphcost.zoo.blocks import RELU6, conv_bn_act
from graphcost.zoo.graph_builder import FeatureMap, GraphBuilder
from graphcost.zoo.options import BuildOptions

# Depths of the four extra feature maps added on the stride-32 map. The
# width scales each one to max(int(depth * width), 16).
EXTRA_LAYER_DEPTHS = (512, 256, 256, 128)
EXTRA_LAYER_MIN_DEPTH = 16

# Anchors per location: 3 on the stride-16 map (reduce_boxes_in_lowest_layer),
# 6 on the others (aspect ratios 1, 2, 1/2, 3, 1/3 and one extra scale).
LOWEST_MAP_ANCHORS = 3
ANCHORS = 6
BOX_CODE_SIZE = 4

CLASS_OUTPUT = "class_logits"
BOX_OUTPUT = "box_encodings"


def extra_layer_depth(depth: float, width: float) -> int:
    return max(int(depth * width), EXTRA_LAYER_MIN_DEPTH)


def build_extra_layers(g: GraphBuilder, x: FeatureMap, width: float, hswish_style: str) -> list[FeatureMap]:
    """Emit the extra feature maps: 1x1 conv to depth/2, depthwise 3x3 stride 2, 1x1 conv to depth, each with BN and ReLU6."""
    maps = []
    for index, depth in enumerate(EXTRA_LAYER_DEPTHS, start=1):
        with g.scope(f"extra{index}"):
            with g.scope("reduce"):
                x = conv_bn_act(g, x, extra_layer_depth(depth / 2, width), RELU6, hswish_style)
            with g.scope("depthwise"):
                x = conv_bn_act(g, x, x.channels, RELU6, hswish_style, kernel=3, stride=2, depthwise=True)
            with g.scope("expand"):
                x = conv_bn_act(g, x, extra_layer_depth(depth, width), RELU6, hswish_style)
        maps.append(x)
    return maps


def _prediction_head(
    g: GraphBuilder, x: FeatureMap, anchors: int, outputs_per_anchor: int, hswish_style: str
) -> str:
    """Emit depthwise 3x3 + BN + ReLU6 and a 1x1 conv with bias, reshaped to [1, H*W*anchors, outputs_per_anchor]."""
    with g.scope("depthwise"):
        y = conv_bn_act(g, x, x.channels, RELU6, hswish_style, kernel=3, depthwise=True)
    y = g.conv(y, anchors * outputs_per_anchor, bias=True)
    # NCHW to NHWC first, so the anchors of one location are adjacent, as in
    # the TF Object Detection API's box predictors.
    nhwc = g.add_node("Transpose", [y.name], perm=[0, 2, 3, 1])
    return g.add_node("Reshape", [nhwc, g.int64_vector([1, -1, outputs_per_anchor])])


def anchors_per_location(map_index: int) -> int:
    return LOWEST_MAP_ANCHORS if map_index == 0 else ANCHORS


def build_ssdlite(*, name: str, title: str, spec: BackboneSpec, options: BuildOptions) -> onnx.ModelProto:
    """Build an SSDLite detector on a MobileNet backbone (without its classifier)."""
    g = GraphBuilder(bn_folded=options.bn_folded)
    image = input_map(options.resolution)
    taps = build_backbone(g, image, spec, options.hswish)
    with g.scope("extra_layers"):
        extra_maps = build_extra_layers(g, taps.last, options.width, options.hswish)
    feature_maps = [taps.stride16_tap, taps.last, *extra_maps]

    class_parts = []
    box_parts = []
    anchor_count = 0
    with g.scope("heads"):
        for index, feature_map in enumerate(feature_maps):
            anchors = anchors_per_location(index)
            anchor_count += feature_map.height * feature_map.width * anchors
            with g.scope(f"map{index}"):
                with g.scope("class"):
                    class_parts.append(_prediction_head(g, feature_map, anchors, options.num_classes, options.hswish))
                with g.scope("box"):
                    box_parts.append(_prediction_head(g, feature_map, anchors, BOX_CODE_SIZE, options.hswish))
        g.add_node("Concat", class_parts, output_name=CLASS_OUTPUT, axis=1)
        g.add_node("Concat", box_parts, output_name=BOX_OUTPUT, axis=1)

    map_sizes = ", ".join(f"{m.height}x{m.width}" for m in feature_maps)
    return g.build_model(
        graph_name=name,
        doc_string=(
            f"SSDLite {title} detector: {options.summary()}. The classes are per anchor, background included. "
            f"Feature maps {map_sizes}, {anchor_count} anchors. No anchor decoding or NMS. All weights are zero."
        ),
        input_map=image,
        outputs=[(CLASS_OUTPUT, [1, anchor_count, options.num_classes]), (BOX_OUTPUT, [1, anchor_count, BOX_CODE_SIZE])],
        opset=options.opset,
    )
