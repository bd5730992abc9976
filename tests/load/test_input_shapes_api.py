"""``graphcost.load(..., input_shapes=...)`` from Python: the checks the CLI applies, in words that fit Python."""

from __future__ import annotations

import numpy as np
import pytest

import graphcost
from conftest import parse_model
from graphcost.errors import InputShapeError, ShapeError

RELU = "g (float[1,3,8,8] x) => (float[1,3,8,8] y) { y = Relu(x) }"


@pytest.mark.parametrize(
    ("input_shapes", "expected"),
    [
        ({"x": (1, 3, 0, 8)}, "has the dim 0 in (1, 3, 0, 8)"),
        ({"x": (1, 3, -8, 8)}, "has the dim -8"),
        ({"x": (1, 3, 8.7, 8)}, "has the dim 8.7"),
        ({"x": (1, 3, "a", 8)}, "has the dim 'a'"),
        ({"x": (True, 3, 8, 8)}, "has the dim True"),
        ({"x": (1, 3, float("nan"), 8)}, "has the dim nan"),
        ({None: (1, 3, 0, 8)}, "input shape of the model's input has the dim 0"),
        ({"x": "1x3x8x8"}, "must be a sequence of dims"),
        ({"x": 8}, "must be a sequence of dims"),
        ({3: (1, 3, 8, 8)}, "input shape key 3 is not an input name"),
        ((1, 3, 8, 8), "input_shapes must be a dict"),
        ("x=1x3x8x8", "input_shapes must be a dict"),
    ],
    ids=["zero", "negative", "fraction", "string dim", "bool", "nan", "bare zero", "string dims", "int dims", "int key", "tuple", "string"],
)
def test_invalid_input_shapes_rejected(input_shapes, expected):
    with pytest.raises(InputShapeError) as error:
        graphcost.load(parse_model(RELU), input_shapes=input_shapes)

    message = str(error.value)
    assert expected in message
    assert "\n" not in message
    assert "--input-shape" not in message


@pytest.mark.parametrize(
    "dims",
    [(2, 3, 8, 8), [2, 3, 8, 8], (2.0, 3, 8, 8), (np.int64(2), 3, 8, 8), np.array([2, 3, 8, 8])],
    ids=["tuple", "list", "integral float", "numpy int", "numpy array"],
)
def test_valid_input_shapes_accepted(dims):
    model = graphcost.load(parse_model(RELU), input_shapes={"x": dims})

    assert model.tensors["x"].shape == (2, 3, 8, 8)


@pytest.mark.parametrize(
    ("input_shapes", "expected"),
    [
        ({"y": (1, 3, 8, 8)}, "the input shape names 'y', which is not an input of the model"),
        ({"x": (1, 3, 8)}, "the input shape gives input 'x' 3 dims"),
    ],
    ids=["unknown input", "wrong rank"],
)
def test_dict_shape_messages_name_no_option(input_shapes, expected):
    with pytest.raises(InputShapeError) as error:
        graphcost.load(parse_model(RELU), input_shapes=input_shapes)

    assert expected in str(error.value)
    assert "--input-shape" not in str(error.value)


def test_bare_dims_need_one_input():
    proto = parse_model("g (float[1,8] a, float[1,8] b) => (float[1,8] y) { y = Add(a, b) }")
    with pytest.raises(InputShapeError) as error:
        graphcost.load(proto, input_shapes={None: (1, 8)})

    assert "an input shape keyed by None needs a model with one input" in str(error.value)
    assert "key it by the input's name" in str(error.value)


def test_python_notes_name_input_shapes():
    model = graphcost.load(parse_model("g (float[N,8] x) => (float[N,8] y) { y = Relu(x) }"))

    assert model.notes == ["symbolic dim 'N' of input 'x' (axis 0) is taken as 1; set it with input_shapes={'x': DIMS}"]


def test_missing_input_shape_named_for_python():
    proto = parse_model("g (float x) => (float y) { y = Relu(x) }")
    proto.graph.input[0].type.tensor_type.ClearField("shape")
    with pytest.raises(ShapeError) as error:
        graphcost.load(proto)

    assert "give one with input_shapes={'x': DIMS} (for example (1, 3, 224, 224))" in str(error.value)


def test_string_shapes_keep_option_name():
    with pytest.raises(InputShapeError) as error:
        graphcost.load(parse_model(RELU), input_shapes=["y=1x3x8x8"])

    assert "--input-shape names 'y', which is not an input of the model" in str(error.value)
