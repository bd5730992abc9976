"""h-swish, h-sigmoid, swish and ReLU6 in every exported form, and look-alikes that must not match."""

from __future__ import annotations

import pytest

import graphcost
from conftest import parse_model
from graphcost.patterns import find_patterns

# Constants: three = 3, six = 6, sixth = 1/6 rounded as float32 prints it,
# sixth7 = 0.1666667, zero = 0.
CONSTANTS = (
    "float three = {3.0}, float six = {6.0}, float sixth = {0.16666667}, float sixth7 = {0.1666667}, "
    "float zero = {0.0}, float[1,4,1,1] six_b = {6.0, 6.0, 6.0, 6.0}, float two = {2.0}"
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
}


@pytest.mark.parametrize("form", sorted(H_SIGMOID_FORMS))
def test_h_sigmoid_forms(form):
    result = patterns_of(H_SIGMOID_FORMS[form])
    assert len(result.of_kind("h_sigmoid")) == 1
    assert result.of_kind("h_swish") == []


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
