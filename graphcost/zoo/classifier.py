"""ImageNet classification models: a MobileNet backbone, global pooling and a classifier."""

from __future__ import annotations

from dataclasses import dataclass

import onnx

from graphcost.zoo.backbone import BackboneSpec, build_backbone, input_map
from graphcost.zoo.blocks import activation
from graphcost.zoo.graph_builder import GraphBuilder
from graphcost.zoo.options import BuildOptions

LOGITS = "logits"


@dataclass(frozen=True)
class HiddenLayer:
    """A 1x1 conv with bias and no batch normalization between pooling and the logits (MobileNetV3)."""

    channels: int
    act: str


def build_classification_model(
    *,
    name: str,
    doc_string: str,
    spec: BackboneSpec,
    hidden: HiddenLayer | None,
    options: BuildOptions,
) -> onnx.ModelProto:
    """Emit backbone, GlobalAveragePool, the optional hidden layer and a Gemm to ``num_classes`` logits."""
    g = GraphBuilder(bn_folded=options.bn_folded)
    image = input_map(options.resolution)
    features = build_backbone(g, image, spec, options.hswish).last

    with g.scope("classifier"):
        x = g.global_average_pool(features)
        if hidden is not None:
            with g.scope("hidden"):
                x = activation(g, g.conv(x, hidden.channels, bias=True), hidden.act, options.hswish)
        flat = g.add_node("Flatten", [x.name], axis=1)
        g.gemm(flat, x.channels, options.num_classes, output_name=LOGITS)

    return g.build_model(
        graph_name=name,
        doc_string=doc_string,
        input_map=image,
        outputs=[(LOGITS, [1, options.num_classes])],
        opset=options.opset,
    )
