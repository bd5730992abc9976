"""Channel rounding, SE widths, SSDLite taps and feature maps of the reference models."""

from __future__ import annotations

import onnx
import pytest

from graphcost.zoo import build_model
from graphcost.zoo.blocks import make_divisible
from graphcost.zoo.mobilenet_v2 import mobilenet_v2_spec
from graphcost.zoo.mobilenet_v3 import LARGE, SMALL, reduce_tail
from zoo_helpers import initializer_shapes


@pytest.mark.parametrize(
    "value, expected",
    [
        (32 * 0.35, 16),  # rounds down to 8, which loses more than 10%, so 16
        (16 * 0.35, 8),
        (24 * 0.5, 16),  # 12 is halfway and rounds up
        (72 / 4, 24),  # 16 would lose more than 10% of 18
        (120 / 4, 32),
        (1280 * 0.35, 448),
        (4, 8),  # never below the divisor
    ],
)
def test_make_divisible(value, expected):
    assert make_divisible(value, 8) == expected


def test_v2_035_keeps_last_conv_for_classification():
    assert mobilenet_v2_spec(0.35).last_channels == 1280
    assert mobilenet_v2_spec(0.35, for_detection=True).last_channels == 448
    assert mobilenet_v2_spec(0.35).stem_channels == 16


def test_v2_035_block_channels():
    spec = mobilenet_v2_spec(0.35)
    outputs = [block.out_channels for block in spec.blocks]
    assert outputs == [8, 8, 8, 16, 16, 16, 24, 24, 24, 24, 32, 32, 32, 56, 56, 56, 112]
    assert spec.blocks[0].expansion_channels == 16, "t=1 keeps the stem's 16 channels"


@pytest.mark.parametrize(
    "name, weight, shape",
    [
        # V3-Large bneck 4: 72 expansion channels, SE squeeze make_divisible(72 / 4) = 24
        ("mobilenet_v3_large", "backbone/block4/se/Conv.weight", [24, 72, 1, 1]),
        ("mobilenet_v3_large", "backbone/block4/se/Conv_1.weight", [72, 24, 1, 1]),
        ("mobilenet_v3_large", "backbone/block15/se/Conv.weight", [240, 960, 1, 1]),
        # V3-Small bneck 1 has no expansion conv: SE on the stem's 16 channels
        ("mobilenet_v3_small", "backbone/block1/se/Conv.weight", [8, 16, 1, 1]),
        ("mobilenet_v3_small", "backbone/block8/se/Conv.weight", [40, 144, 1, 1]),
        ("mobilenet_v3_large", "classifier/hidden/Conv.weight", [1280, 960, 1, 1]),
        ("mobilenet_v3_small", "classifier/hidden/Conv.weight", [1024, 576, 1, 1]),
        ("mobilenet_v3_small", "classifier/Gemm.weight", [1000, 1024]),
    ],
)
def test_weight_shapes(name, weight, shape):
    assert initializer_shapes(build_model(name))[weight] == shape


def test_v3_small_first_block_has_no_expand():
    shapes = initializer_shapes(build_model("mobilenet_v3_small"))
    assert "backbone/block1/expand/Conv.weight" not in shapes
    assert shapes["backbone/block1/depthwise/Conv.weight"] == [16, 1, 3, 3]


def test_reduce_tail_large():
    reduced = reduce_tail(LARGE)
    assert [bneck[1:3] for bneck in reduced.bnecks[12:]] == [(672, 80), (480, 80), (480, 80)]
    assert reduced.bnecks[:12] == LARGE.bnecks[:12]
    assert reduced.last_channels == 480
    assert reduced.hidden_channels == 1280


def test_reduce_tail_small():
    reduced = reduce_tail(SMALL)
    assert [bneck[1:3] for bneck in reduced.bnecks[8:]] == [(288, 48), (288, 48), (288, 48)]
    assert reduced.last_channels == 288


@pytest.mark.parametrize(
    "name, tap_channels, last_channels",
    [
        ("ssdlite_mobilenet_v2", 576, 1280),
        ("ssdlite_mobilenet_v2_0.5", 288, 640),
        ("ssdlite_mobilenet_v3_large", 672, 960),
        ("ssdlite_mobilenet_v3_large_reduced", 672, 480),
        ("ssdlite_mobilenet_v3_small", 288, 576),
        ("ssdlite_mobilenet_v3_small_reduced", 288, 288),
    ],
)
def test_ssdlite_taps(name, tap_channels, last_channels):
    shapes = initializer_shapes(build_model(name))
    assert shapes["heads/map0/class/depthwise/Conv.weight"] == [tap_channels, 1, 3, 3]
    assert shapes["heads/map1/class/depthwise/Conv.weight"] == [last_channels, 1, 3, 3]
    assert shapes["heads/map0/class/Conv.weight"] == [3 * 91, tap_channels, 1, 1]
    assert shapes["heads/map1/box/Conv.weight"] == [6 * 4, last_channels, 1, 1]


def test_ssdlite_tap_is_expansion_output():
    """The stride-16 head reads the activation after bneck 13's expansion, before its depthwise conv."""
    model = build_model("ssdlite_mobilenet_v3_large")
    head = next(node for node in model.graph.node if node.name == "heads/map0/class/depthwise/Conv")
    depthwise = next(node for node in model.graph.node if node.name == "backbone/block13/depthwise/Conv")
    assert head.input[0] == depthwise.input[0]
    assert head.input[0].startswith("backbone/block13/expand/")


@pytest.mark.parametrize("name", ["ssdlite_mobilenet_v2", "ssdlite_mobilenet_v3_small_reduced"])
def test_ssdlite_feature_map_sizes(name):
    model = onnx.shape_inference.infer_shapes(build_model(name), strict_mode=True)
    shapes = {value.name: [dim.dim_value for dim in value.type.tensor_type.shape.dim] for value in model.graph.value_info}
    heads = {node.name: node for node in model.graph.node}
    sides = []
    for index in range(6):
        feature_map = heads[f"heads/map{index}/class/depthwise/Conv"].input[0]
        sides.append(shapes[feature_map][2:])
    assert sides == [[20, 20], [10, 10], [5, 5], [3, 3], [2, 2], [1, 1]]


def test_extra_layer_depths_at_width_035():
    shapes = initializer_shapes(build_model("ssdlite_mobilenet_v2_0.35"))
    # max(int(depth * 0.35), 16) for depth/2 and depth of 512, 256, 256, 128
    reduce_out = [shapes[f"extra_layers/extra{index}/reduce/Conv.weight"][0] for index in range(1, 5)]
    expand_out = [shapes[f"extra_layers/extra{index}/expand/Conv.weight"][0] for index in range(1, 5)]
    assert reduce_out == [89, 44, 44, 22]
    assert expand_out == [179, 89, 89, 44]


def test_names_are_deterministic():
    first = build_model("ssdlite_mobilenet_v3_large")
    second = build_model("ssdlite_mobilenet_v3_large")
    assert first.SerializeToString(deterministic=True) == second.SerializeToString(deterministic=True)
    names = [node.name for node in first.graph.node]
    assert len(names) == len(set(names))
