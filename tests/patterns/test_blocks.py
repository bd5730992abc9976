"""Squeeze-excite, conv layers and inverted-residual blocks, on tiny graphs and real exports."""

from __future__ import annotations

import pytest

import graphcost
from conftest import TORCHVISION_MODELS, parse_model
from graphcost.patterns import find_patterns

SE_WEIGHTS = (
    "float[2,8,1,1] w1, float[2] b1, float[8,2,1,1] w2, float[8] b2, float[8,2] f1, float[2] fb1, "
    "float[2,8] f2, float[8] fb2, float[2,8] m1, float[8,2] m2, float three = {3.0}, float zero = {0.0}, "
    "float six = {6.0}, float sixth = {0.16666667}, int64[2] hw = {2, 3}, int64[4] nc11 = {1, 8, 1, 1}, "
    "float[2,8,3,3] w1_3x3"
)

SE_FORMS = {
    "torchvision: GlobalAveragePool, HardSigmoid": """
        p = GlobalAveragePool(x)
        s1 = Conv(p, w1, b1)
        r = Relu(s1)
        s2 = Conv(r, w2, b2)
        gate = HardSigmoid<alpha=0.16666667, beta=0.5>(s2)
        y = Mul(gate, x)
    """,
    "TF: ReduceMean axes attribute, Clip gate * (1/6)": """
        p = ReduceMean<axes=[2, 3], keepdims=1>(x)
        s1 = Conv(p, w1, b1)
        r = Relu(s1)
        s2 = Conv(r, w2, b2)
        a = Add(s2, three)
        c = Clip(a, zero, six)
        gate = Mul(c, sixth)
        y = Mul(x, gate)
    """,
    "AveragePool over the map, Flatten, Gemm, Sigmoid": """
        p = AveragePool<kernel_shape=[6, 6]>(x)
        flat = Flatten(p)
        s1 = Gemm<transB=1>(flat, f2, fb1)
        r = Relu(s1)
        s2 = Gemm<transB=1>(r, f1, fb2)
        gate_flat = Sigmoid(s2)
        gate = Reshape(gate_flat, nc11)
        y = Mul(x, gate)
    """,
    "ReduceMean, MatMul with bias Add, Div gate": """
        p = ReduceMean<axes=[2, 3], keepdims=0>(x)
        s1 = MatMul(p, f1)
        s1b = Add(s1, fb1)
        r = Relu(s1b)
        s2 = MatMul(r, f2)
        s2b = Add(fb2, s2)
        a = Add(s2b, three)
        c = Clip(a, zero, six)
        g = Div(c, six)
        gate = Reshape(g, nc11)
        y = Mul(gate, x)
    """,
}


def find(body: str, opset: int = 17):
    model = graphcost.load(
        parse_model(
            f"""
            g (float[1,8,6,6] x) => (float y) <{SE_WEIGHTS}> {{
              {body}
            }}
            """,
            opset=opset,
        )
    )
    return find_patterns(model)


@pytest.mark.parametrize("form", sorted(SE_FORMS))
def test_squeeze_excite_forms(form):
    result = find(SE_FORMS[form])
    matches = result.of_kind("squeeze_excite")
    assert len(matches) == 1
    assert matches[0].input == "x"
    assert matches[0].output == "y"


def test_squeeze_excite_reduce_mean_axes_input():
    result = find(
        """
        p = ReduceMean<keepdims=1>(x, hw)
        s1 = Conv(p, w1, b1)
        r = Relu(s1)
        s2 = Conv(r, w2, b2)
        gate = HardSigmoid<alpha=0.16666667, beta=0.5>(s2)
        y = Mul(x, gate)
        """,
        opset=18,
    )
    assert len(result.of_kind("squeeze_excite")) == 1


def test_squeeze_excite_other_tensor_rejected():
    # The gate multiplies a tensor other than the pooled one.
    result = find(
        """
        x2 = Relu(x)
        p = GlobalAveragePool(x)
        s1 = Conv(p, w1, b1)
        r = Relu(s1)
        s2 = Conv(r, w2, b2)
        gate = HardSigmoid<alpha=0.16666667, beta=0.5>(s2)
        y = Mul(gate, x2)
        """
    )
    assert result.of_kind("squeeze_excite") == []
    assert any("pooled tensor" in rejection.reason for rejection in result.rejections)


def test_squeeze_excite_3x3_conv_rejected():
    result = find(
        """
        p = GlobalAveragePool(x)
        s1 = Conv<pads=[1,1,1,1]>(p, w1_3x3, b1)
        r = Relu(s1)
        s2 = Conv(r, w2, b2)
        gate = HardSigmoid<alpha=0.16666667, beta=0.5>(s2)
        y = Mul(gate, x)
        """
    )
    assert result.of_kind("squeeze_excite") == []
    assert any("1x1" in rejection.reason for rejection in result.rejections)


def test_squeeze_excite_gate_look_alike_rejected():
    # An SE whose gate is the HardSigmoid of Keras 2 (alpha 0.2) is reported as an SE look-alike.
    result = find(
        """
        p = GlobalAveragePool(x)
        s1 = Conv(p, w1, b1)
        r = Relu(s1)
        s2 = Conv(r, w2, b2)
        gate = HardSigmoid<alpha=0.2, beta=0.5>(s2)
        y = Mul(gate, x)
        """
    )
    assert result.of_kind("squeeze_excite") == []
    kinds = {rejection.kind for rejection in result.rejections}
    assert "squeeze_excite" in kinds
    assert "h_sigmoid" in kinds


def test_gate_look_alike_without_pool_not_squeeze_excite():
    # x * HardSigmoid(x) with alpha 0.2 has no pooling, so it is no SE look-alike.
    result = find("g = HardSigmoid<alpha=0.2, beta=0.5>(x)\n y = Mul(x, g)")
    kinds = [rejection.kind for rejection in result.rejections]
    assert kinds == ["h_swish"]


LAYER_WEIGHTS = (
    "float[8,8,1,1] w, float[8] b, float[8] s, float[8] bb, float[8] m, float[8] v, float three = {3.0}, "
    "float zero = {0.0}, float six = {6.0}, float[8,4] fw, float[4] fb"
)


@pytest.mark.parametrize(
    "body, activation, batchnorm",
    [
        ("c = Conv(x, w, b)\n y = Clip(c, zero, six)", "relu6", False),
        ("c = Conv(x, w)\n n = BatchNormalization(c, s, bb, m, v)\n y = Relu(n)", "relu", True),
        ("c = Conv(x, w)\n n = BatchNormalization(c, s, bb, m, v)\n y = HardSwish(n)", "h_swish", True),
        (
            "c = Conv(x, w, b)\n a = Add(c, three)\n k = Clip(a, zero, six)\n p = Mul(c, k)\n y = Div(p, six)",
            "h_swish",
            False,
        ),
        ("c = Conv(x, w, b)\n y = LeakyRelu(c)", "leaky_relu", False),
        ("c = Conv(x, w, b)\n y = Sigmoid(c)", "sigmoid", False),
        ("c = Conv(x, w, b)\n g = Sigmoid(c)\n y = Mul(c, g)", "swish", False),
        ("c = Conv(x, w, b)\n y = BatchNormalization(c, s, bb, m, v)", "none", True),
    ],
)
def test_conv_block_forms(body, activation, batchnorm):
    model = graphcost.load(parse_model(f"g (float[1,8,4,4] x) => (float y) <{LAYER_WEIGHTS}> {{ {body} }}"))
    (block,) = find_patterns(model).of_kind("conv_block")
    assert block.details["activation"] == activation
    assert block.details["batchnorm"] == batchnorm
    assert block.output == "y"
    assert block.details["conv_kind"] == "pointwise"


def test_conv_activation_not_absorbed_when_shared():
    # The conv output is also read by the residual Add: the activation stays apart.
    model = graphcost.load(
        parse_model(
            f"""
            g (float[1,8,4,4] x) => (float y) <{LAYER_WEIGHTS}> {{
              c = Conv(x, w, b)
              r = Relu(c)
              y = Add(r, c)
            }}
            """
        )
    )
    (block,) = find_patterns(model).of_kind("conv_block")
    assert block.details["activation"] == "none"


@pytest.mark.parametrize(
    "body, bias",
    [
        ("f = MatMul(x, fw)\n a = Add(f, fb)\n y = Relu(a)", True),
        ("f = Gemm(x, fw, fb)\n y = HardSwish(f)", True),
    ],
)
def test_fc_block_forms(body, bias):
    model = graphcost.load(parse_model(f"g (float[1,8] x) => (float y) <{LAYER_WEIGHTS}> {{ {body} }}"))
    (block,) = find_patterns(model).of_kind("fc_block")
    assert block.details["bias"] == bias
    assert block.details["activation"] in ("relu", "h_swish")
    assert block.output == "y"


# Counts derived from the architectures (Howard et al. 2019, Table 1;
# Sandler et al. 2018, Table 2), not from graphcost's output.
# MobileNetV3-Large: SE in bnecks 4-6 and 11-15 = 8. h-swish: the stem, the
# expand and depthwise activations of the 9 HS bnecks (7-15; 18), the last
# 1x1 conv and the classifier's hidden layer = 1 + 18 + 1 + 1 = 21.
# MobileNetV2: 17 bottlenecks; ReLU6 after the stem, after both the expand
# and depthwise convs of 16 bottlenecks with t = 6, after the depthwise of
# the t = 1 bottleneck, and after the last 1x1 conv = 1 + 32 + 1 + 1 = 35.
# SSDLite320-MobileNetV3-Large (no classifier): 20 h-swish; ReLU6 in the 4
# extra layers (3 each) and the 12 depthwise convs of the heads = 24.
EXPECTED_COUNTS = {
    "mobilenet_v3_large": {"squeeze_excite": 8, "h_swish": 21, "inverted_residual": 15, "h_sigmoid": 8},
    "mobilenet_v2": {"squeeze_excite": 0, "h_swish": 0, "inverted_residual": 17, "relu6": 35},
    "ssdlite320_mobilenet_v3_large": {"squeeze_excite": 8, "h_swish": 20, "inverted_residual": 15, "relu6": 24},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_real_model_pattern_counts(name):
    counts = find_patterns(graphcost.load(TORCHVISION_MODELS[name])).counts()
    for kind, expected in EXPECTED_COUNTS[name].items():
        assert counts.get(kind, 0) == expected, kind


def test_mobilenet_v3_blocks_labelled():
    result = find_patterns(graphcost.load(TORCHVISION_MODELS["mobilenet_v3_large"]))
    blocks = result.of_kind("inverted_residual")
    # bneck 1 has no expand conv (expansion 16 = input 16) and a residual.
    assert blocks[0].details["expand"] is False
    assert blocks[0].details["residual"] is True
    assert sum(block.details["squeeze_excite"] for block in blocks) == 8
    # Residual when stride 1 and in == out channels: bnecks 1, 3, 5, 6, 8, 9, 10, 12, 14, 15.
    assert sum(block.details["residual"] for block in blocks) == 10
    assert [block.details["kernel"] for block in blocks] == [3, 3, 3, 5, 5, 5, 3, 3, 3, 3, 3, 3, 5, 5, 5]
    assert result.rejections == []


# The reference models in every export style: the counts depend only on the
# architecture. MobileNetV3-Large classifier: 8 SE, 21 h-swish (as above).
# MobileNetV3-Small (Howard et al. 2019, Table 2): SE in bnecks 1 and 4-11 =
# 9; h-swish: the stem, expand and depthwise of the 8 HS bnecks 4-11 (16),
# the last 1x1 conv and the classifier's hidden layer = 19.
ZOO_COUNTS = {
    "mobilenet_v3_large": {"squeeze_excite": 8, "h_swish": 21, "inverted_residual": 15},
    "mobilenet_v3_small": {"squeeze_excite": 9, "h_swish": 19, "inverted_residual": 11},
}


@pytest.mark.parametrize("hswish", ["op", "tf", "clip-div"])
@pytest.mark.parametrize("bn", ["fold", "keep"])
@pytest.mark.parametrize("name", sorted(ZOO_COUNTS))
def test_zoo_pattern_counts_every_style(name, bn, hswish):
    from graphcost.zoo import build_model

    proto = build_model(name, bn=bn, hswish=hswish)
    result = find_patterns(graphcost.load(proto))
    counts = result.counts()
    for kind, expected in ZOO_COUNTS[name].items():
        assert counts.get(kind, 0) == expected, kind
    assert result.rejections == []
    if bn == "keep":
        # Every conv has BN except the two 1x1 convs of each SE and the
        # classifier's hidden 1x1 conv.
        without_bn = [layer for layer in result.of_kind("conv_block") if not layer.details["batchnorm"]]
        assert len(without_bn) == 2 * ZOO_COUNTS[name]["squeeze_excite"] + 1


def test_zoo_ablations_counts():
    from graphcost.zoo import build_model

    no_se = find_patterns(graphcost.load(build_model("mobilenet_v3_large", se=False))).counts()
    assert no_se.get("squeeze_excite", 0) == 0
    assert no_se["h_swish"] == 21
    all_relu = find_patterns(graphcost.load(build_model("mobilenet_v3_large", activation="relu"))).counts()
    assert all_relu.get("h_swish", 0) == 0
    assert all_relu["squeeze_excite"] == 8
