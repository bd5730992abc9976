"""h-swish, h-sigmoid, swish and ReLU6 in every exported form, and look-alikes that must not match."""

from __future__ import annotations

import pytest

import graphcost
from conftest import parse_model
from graphcost.patterns import find_patterns

# Constants: three = 3, six = 6, sixth = 1/6 rounded as float32 prints it,
# sixth7 = 0.1666667, zero = 0. six_1 and zero_1 are one-element tensors.
CONSTANTS = (
    "float three = {3.0}, float six = {6.0}, float sixth = {0.16666667}, float sixth7 = {0.1666667}, "
    "float zero = {0.0}, float[1,4,1,1] six_b = {6.0, 6.0, 6.0, 6.0}, float two = {2.0}, "
    "float[1] six_1 = {6.0}, float[1] zero_1 = {0.0}, float five = {5.0}, float seven = {7.0}, "
    "float minus_one = {-1.0}, float one = {1.0}, float sixth4 = {0.1667}"
)


def patterns_of(body: str, opset: int = 17, constants: str = CONSTANTS):
    model = graphcost.load(
        parse_model(
            f"""
            g (float[1,4,5,5] x) => (float y) <{constants}> {{
              {body}
            }}
            """,
            opset=opset,
        )
    )
    return find_patterns(model)


H_SWISH_FORMS = {
    "HardSwish op": "y = HardSwish(x)",
    "x * HardSigmoid(1/6)": "g = HardSigmoid<alpha=0.16666667, beta=0.5>(x)\n y = Mul(x, g)",
    "HardSigmoid(1/6) * x": "g = HardSigmoid<alpha=0.1666667, beta=0.5>(x)\n y = Mul(g, x)",
    "x * Clip(x + 3, 0, 6) / 6": "a = Add(x, three)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Div(m, six)",
    "x * Clip(3 + x, 0, 6) * (1/6)": "a = Add(three, x)\n c = Clip(a, zero, six)\n m = Mul(c, x)\n y = Mul(m, sixth)",
    "(1/6) * (x * Clip)": "a = Add(x, three)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Mul(sixth7, m)",
    "x * (Clip(x + 3, 0, 6) / 6)": "a = Add(x, three)\n c = Clip(a, zero, six)\n d = Div(c, six)\n y = Mul(x, d)",
    "x * (Clip * (1/6))": "a = Add(x, three)\n c = Clip(a, zero, six)\n d = Mul(sixth, c)\n y = Mul(d, x)",
    "Min(Relu(x + 3), 6)": "a = Add(x, three)\n r = Relu(a)\n c = Min(r, six)\n m = Mul(x, c)\n y = Div(m, six)",
    "broadcast 6": "a = Add(x, three)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Div(m, six_b)",
    "(x / 6) * Clip(x + 3, 0, 6)": "a = Add(x, three)\n c = Clip(a, zero, six)\n d = Div(x, six)\n y = Mul(d, c)",
    "Clip(x + 3, 0, 6) * (x / 6)": "a = Add(x, three)\n c = Clip(a, zero, six)\n d = Div(x, six_1)\n y = Mul(c, d)",
    "(x * (1/6)) * Clip": "a = Add(x, three)\n c = Clip(a, zero, six)\n d = Mul(x, sixth)\n y = Mul(d, c)",
    "Clip * ((1/6) * x)": "a = Add(three, x)\n c = Clip(a, zero, six)\n d = Mul(sixth7, x)\n y = Mul(c, d)",
    "(x / 6) * Min(Max(x + 3, 0), 6)": (
        "a = Add(x, three)\n m = Max(a, zero)\n c = Min(m, six)\n d = Div(x, six)\n y = Mul(d, c)"
    ),
    "x * (Clip / 6) one-element 6": "a = Add(x, three)\n c = Clip(a, zero, six)\n d = Div(c, six_1)\n y = Mul(x, d)",
}


@pytest.mark.parametrize("form", sorted(H_SWISH_FORMS))
def test_h_swish_forms(form):
    result = patterns_of(H_SWISH_FORMS[form])
    matches = result.of_kind("h_swish")
    assert len(matches) == 1
    assert matches[0].input == "x"
    assert matches[0].output == "y"
    # The whole expression is one match: no h-sigmoid or ReLU6 counted inside it.
    assert result.of_kind("h_sigmoid") == []
    assert result.of_kind("relu6") == []


def test_h_swish_clip_attributes_opset_6():
    # Before opset 11 Clip takes its bounds as attributes.
    body = "a = Add(x, three)\n c = Clip<min=0.0, max=6.0>(a)\n m = Mul(x, c)\n y = Div(m, six)"
    result = patterns_of(body, opset=6)
    assert len(result.of_kind("h_swish")) == 1


def test_h_swish_constant_nodes():
    # Bounds and constants from Constant nodes instead of initializers.
    body = """
      k3 = Constant<value = float {3.0}>()
      k0 = Constant<value = float {0.0}>()
      k6 = Constant<value = float {6.0}>()
      a = Add(x, k3)
      c = Clip(a, k0, k6)
      m = Mul(x, c)
      y = Div(m, k6)
    """
    assert len(patterns_of(body).of_kind("h_swish")) == 1


H_SIGMOID_FORMS = {
    "HardSigmoid(1/6)": "y = HardSigmoid<alpha=0.16666667, beta=0.5>(x)",
    "Clip(x + 3) / 6": "a = Add(x, three)\n c = Clip(a, zero, six)\n y = Div(c, six)",
    "Clip(x + 3) * (1/6)": "a = Add(x, three)\n c = Clip(a, zero, six)\n y = Mul(c, sixth)",
    "(1/6) * Clip(3 + x)": "a = Add(three, x)\n c = Clip(a, zero, six)\n y = Mul(sixth7, c)",
    "Max(Min(x + 3, 6), 0) / 6": "a = Add(x, three)\n m = Min(a, six)\n c = Max(m, zero)\n y = Div(c, six_1)",
}


@pytest.mark.parametrize("form", sorted(H_SIGMOID_FORMS))
def test_h_sigmoid_forms(form):
    result = patterns_of(H_SIGMOID_FORMS[form])
    assert len(result.of_kind("h_sigmoid")) == 1
    assert result.of_kind("h_swish") == []


def test_h_sigmoid_six_divided_by_clip():
    # 6 / Clip(x + 3, 0, 6) divides the constant, so it is not h-sigmoid.
    result = patterns_of("a = Add(x, three)\n c = Clip(a, zero, six)\n y = Div(six, c)")
    assert result.of_kind("h_sigmoid") == []
    assert len(result.of_kind("relu6")) == 1
    assert result.rejections == []


def test_h_swish_six_divided_by_x():
    # (6 / x) * Clip(x + 3, 0, 6) divides the constant by x, so it is not h-swish.
    result = patterns_of("a = Add(x, three)\n c = Clip(a, zero, six)\n d = Div(six, x)\n y = Mul(d, c)")
    assert result.of_kind("h_swish") == []


def test_h_swish_scaled_x_in_conv_block():
    # The conv output feeds both the scale and the Add, and both belong to the h-swish.
    body = "c = Conv(x, w)\n a = Add(c, three)\n r = Clip(a, zero, six)\n d = Div(c, six)\n y = Mul(d, r)"
    weights = f"{CONV_WEIGHTS}, float three = {{3.0}}"
    model = graphcost.load(parse_model(f"g (float[1,4,5,5] x) => (float y) <{weights}> {{ {body} }}"))
    result = find_patterns(model)
    (h_swish,) = result.of_kind("h_swish")
    assert h_swish.form == "(x / 6) * Clip(x + 3, 0, 6)"
    (block,) = result.of_kind("conv_block")
    assert block.details["activation"] == "h_swish"
    assert block.output == "y"


LOOK_ALIKES = {
    # HardSigmoid with ONNX's default alpha 0.2 is not h-sigmoid.
    "HardSigmoid default alpha": ("g = HardSigmoid(x)\n y = Mul(x, g)", "alpha 0.2"),
    # Clip with no lower bound is not ReLU6.
    "Clip without lower bound": ("a = Add(x, three)\n c = Clip(a, , six)\n m = Mul(x, c)\n y = Div(m, six)", "lower bound"),
    # Add of 2 instead of 3.
    "x + 2": ("a = Add(x, two)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Div(m, six)", None),
    # Division by 3 instead of 6.
    "divide by 3": ("a = Add(x, three)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Div(m, three)", None),
}


@pytest.mark.parametrize("case", sorted(LOOK_ALIKES))
def test_look_alikes_do_not_match(case):
    body, reason = LOOK_ALIKES[case]
    result = patterns_of(body)
    assert result.of_kind("h_swish") == []
    if reason is not None:
        assert any(reason in rejection.reason for rejection in result.rejections), result.rejections


# Look-alikes reported once each, with the kind they imitate and the part of
# the reason that names the constant that differs and its expected value.
REPORTED_LOOK_ALIKES = {
    "x * Clip(x + 3) / 5": (
        "a = Add(x, three)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Div(m, five)",
        "h_swish",
        "Div divides by 5, expected 6",
    ),
    "x * Clip(x + 2) / 6": (
        "a = Add(x, two)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Div(m, six)",
        "h_swish",
        "Add adds 2, expected 3",
    ),
    # |0.1667 - 1/6| = 3.3e-5 exceeds the tolerance of 1e-5.
    "x * Clip(x + 3) * 0.1667": (
        "a = Add(x, three)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Mul(m, sixth4)",
        "h_swish",
        "Mul multiplies by 0.1667, expected 1/6",
    ),
    "x * Clip(x + 3) * 6": (
        "a = Add(x, three)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n y = Mul(six, m)",
        "h_swish",
        "Mul multiplies by 6, expected 1/6",
    ),
    "(x / 5) * Clip(x + 3)": (
        "a = Add(x, three)\n c = Clip(a, zero, six)\n d = Div(x, five)\n y = Mul(c, d)",
        "h_swish",
        "Div divides by 5, expected 6",
    ),
    "x * (Clip(x + 3) / 5)": (
        "a = Add(x, three)\n c = Clip(a, zero, six)\n d = Div(c, five)\n y = Mul(x, d)",
        "h_swish",
        "Div divides by 5, expected 6",
    ),
    "x * Clip(x + 3, 0, 5) / 6": (
        "a = Add(x, three)\n c = Clip(a, zero, five)\n m = Mul(x, c)\n y = Div(m, six)",
        "h_swish",
        "upper bound 5, expected 6",
    ),
    "x * Min(Relu(x + 3), 7) / 6": (
        "a = Add(x, three)\n r = Relu(a)\n c = Min(r, seven)\n m = Mul(x, c)\n y = Div(m, six)",
        "h_swish",
        "upper bound 7, expected 6",
    ),
    "Clip(x + 3) / 5": (
        "a = Add(x, three)\n c = Clip(a, zero, six)\n y = Div(c, five)",
        "h_sigmoid",
        "Div divides by 5, expected 6",
    ),
    "HardSigmoid alpha 0.2": ("y = HardSigmoid<alpha=0.2, beta=0.5>(x)", "h_sigmoid", "alpha 0.2, expected 1/6"),
    "HardSigmoid default alpha": ("y = HardSigmoid(x)", "h_sigmoid", "Keras 2"),
    "HardSigmoid beta 0.6": ("y = HardSigmoid<alpha=0.16666667, beta=0.6>(x)", "h_sigmoid", "beta 0.6, expected 0.5"),
    "Clip(x, 0, 5)": ("y = Clip(x, zero, five)", "relu6", "upper bound 5, expected 6"),
    "Min(Max(x, 0), 5)": ("m = Max(x, zero)\n y = Min(m, five)", "relu6", "upper bound 5, expected 6"),
    "Min(Relu(x), 7)": ("r = Relu(x)\n y = Min(seven, r)", "relu6", "upper bound 7, expected 6"),
    "Clip(x, -1, 6)": ("y = Clip(x, minus_one, six)", "relu6", "lower bound -1, expected 0"),
    "Clip(x, none, 6)": ("y = Clip(x, , six)", "relu6", "no lower bound, expected 0"),
}


@pytest.mark.parametrize("case", sorted(REPORTED_LOOK_ALIKES))
def test_look_alike_reported_once(case):
    body, kind, reason = REPORTED_LOOK_ALIKES[case]
    result = patterns_of(body)
    assert result.of_kind(kind) == []
    assert len(result.rejections) == 1, result.rejections
    assert result.rejections[0].kind == kind
    assert reason in result.rejections[0].reason


@pytest.mark.parametrize("case", sorted(REPORTED_LOOK_ALIKES))
def test_look_alike_not_unfused_pattern(case):
    # The fuser lists a rejection as an unfused pattern only when another node reads its intermediate.
    body, _, _ = REPORTED_LOOK_ALIKES[case]
    proto = parse_model(f"g (float[1,4,5,5] x) => (float y) <{CONSTANTS}> {{ {body} }}")
    assert graphcost.analyze(proto).kernels.unfused == []


# Clamps that share neither bound with ReLU6 are other functions, not look-alikes.
NOT_LOOK_ALIKES = {
    "Clip(x, -1, 1)": "y = Clip(x, minus_one, one)",
    "Clip(x, 0, none)": "y = Clip(x, zero)",
    "Min(Max(x, -1), 1)": "m = Max(x, minus_one)\n y = Min(m, one)",
}


@pytest.mark.parametrize("case", sorted(NOT_LOOK_ALIKES))
def test_other_clamps_not_reported(case):
    result = patterns_of(NOT_LOOK_ALIKES[case])
    assert result.of_kind("relu6") == []
    assert result.rejections == []


def test_conv_hard_sigmoid_look_alike_reported():
    # The conv epilogue still runs the HardSigmoid, but it is not counted as h-sigmoid.
    body = "c = Conv(x, w)\n y = HardSigmoid<alpha=0.2, beta=0.5>(c)"
    model = graphcost.load(parse_model(f"g (float[1,4,5,5] x) => (float y) <{CONV_WEIGHTS}> {{ {body} }}"))
    result = find_patterns(model)
    assert result.of_kind("h_sigmoid") == []
    (block,) = result.of_kind("conv_block")
    assert block.details["activation_form"] == "HardSigmoid(alpha=0.2, beta=0.5)"
    (rejection,) = result.rejections
    assert rejection.kind == "h_sigmoid"
    assert "alpha 0.2, expected 1/6" in rejection.reason


def test_mul_by_other_tensor_rejected():
    # z * h-sigmoid(x): the multiplied tensor is not the gate's input.
    model = graphcost.load(
        parse_model(
            f"""
            g (float[1,4,5,5] x, float[1,4,5,5] z) => (float y) <{CONSTANTS}> {{
              a = Add(x, three)
              c = Clip(a, zero, six)
              m = Mul(z, c)
              y = Div(m, six)
            }}
            """
        )
    )
    result = find_patterns(model)
    assert result.of_kind("h_swish") == []
    assert any("not the input" in rejection.reason for rejection in result.rejections)


def test_shared_intermediate_rejected():
    # The Clip output is also a graph output, so the chain is not one kernel.
    model = graphcost.load(
        parse_model(
            f"""
            g (float[1,4,5,5] x) => (float y, float c) <{CONSTANTS}> {{
              a = Add(x, three)
              c = Clip(a, zero, six)
              m = Mul(x, c)
              y = Div(m, six)
            }}
            """
        )
    )
    result = find_patterns(model)
    assert result.of_kind("h_swish") == []
    assert any("also" in rejection.reason for rejection in result.rejections)


def test_shared_intermediate_read_by_node_rejected():
    result = patterns_of(
        "a = Add(x, three)\n c = Clip(a, zero, six)\n m = Mul(x, c)\n h = Div(m, six)\n y = Add(h, c)"
    )
    assert result.of_kind("h_swish") == []
    assert any("also read by" in rejection.reason for rejection in result.rejections)


def test_swish_and_relu6():
    result = patterns_of("s = Sigmoid(x)\n w = Mul(s, x)\n y = Clip(w, zero, six)")
    assert len(result.of_kind("swish")) == 1
    assert len(result.of_kind("relu6")) == 1


RELU6_FORMS = {
    "Clip(x, 0, 6)": "y = Clip(x, zero, six)",
    "Min(Relu(x), 6)": "r = Relu(x)\n y = Min(r, six)",
    "Min(6, Relu(x))": "r = Relu(x)\n y = Min(six, r)",
    "Min(Max(x, 0), 6)": "m = Max(x, zero)\n y = Min(m, six)",
    "Min(6, Max(0, x))": "m = Max(zero, x)\n y = Min(six, m)",
    "Max(Min(x, 6), 0)": "m = Min(x, six)\n y = Max(m, zero)",
    "Max(0, Min(6, x))": "m = Min(six, x)\n y = Max(zero, m)",
    "Relu(Min(x, 6))": "m = Min(x, six)\n y = Relu(m)",
    "Min(Max) one-element tensors": "m = Max(x, zero_1)\n y = Min(m, six_1)",
    "Max(Min) Constant nodes": """
        k6 = Constant<value = float[1] {6.0}>()
        k0 = Constant<value = float {0.0}>()
        m = Min(k6, x)
        y = Max(m, k0)
    """,
}


@pytest.mark.parametrize("form", sorted(RELU6_FORMS))
def test_relu6_forms(form):
    result = patterns_of(RELU6_FORMS[form])
    matches = result.of_kind("relu6")
    assert len(matches) == 1
    assert matches[0].input == "x"
    assert matches[0].output == "y"
    assert result.rejections == []


def test_h_swish_min_max_relu6():
    body = "a = Add(x, three)\n m = Max(a, zero)\n c = Min(m, six)\n p = Mul(x, c)\n y = Div(p, six)"
    (match,) = patterns_of(body).of_kind("h_swish")
    assert match.form == "x * Min(Max(x + 3, 0), 6) / 6"


CONV_WEIGHTS = "float[4,4,1,1] w, float zero = {0.0}, float six = {6.0}"


CONV_RELU6_BODIES = {
    "Min(Max(c, 0), 6)": "c = Conv(x, w)\n m = Max(c, zero)\n y = Min(m, six)",
    "Max(0, Min(6, c))": "c = Conv(x, w)\n m = Min(six, c)\n y = Max(zero, m)",
}


@pytest.mark.parametrize("form", sorted(CONV_RELU6_BODIES))
def test_conv_min_max_relu6_one_kernel(form):
    body = CONV_RELU6_BODIES[form]
    proto = parse_model(f"g (float[1,4,5,5] x) => (float y) <{CONV_WEIGHTS}> {{ {body} }}")
    report = graphcost.analyze(proto, hw="pixel1-cpu")
    (block,) = report.patterns.of_kind("conv_block")
    assert block.details["activation"] == "relu6"
    # pixel1-cpu applies ReLU6 in the conv epilogue, so the three ops are one kernel.
    (kernel,) = report.kernels.kernels
    assert sorted(kernel.op_types) == ["Conv", "Max", "Min"]
