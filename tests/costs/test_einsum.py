"""Einsum: MACs and element-wise operations against hand arithmetic, output shapes against onnx and numpy."""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import graphcost
from graphcost.costs.einsum import EinsumEquationError, parse_einsum
from graphcost.errors import ShapeError


def einsum_model(equation: str, shapes: list[list[int]]) -> onnx.ModelProto:
    """Return a model with one Einsum node over float inputs x0, x1, ... of ``shapes``."""
    names = [f"x{position}" for position in range(len(shapes))]
    graph = helper.make_graph(
        [helper.make_node("Einsum", names, ["y"], equation=equation)],
        "einsum",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape) for name, shape in zip(names, shapes)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def onnx_output_shape(model: onnx.ModelProto) -> list[int]:
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    return [dim.dim_value for dim in inferred.graph.output[0].type.tensor_type.shape.dim]


def einsum_row(model: onnx.ModelProto):
    (row,) = graphcost.analyze(model).rows
    return row


# (equation, input shapes, MACs, element-wise operations, output shape), each with its hand arithmetic.
CASES = [
    # 32 x 64 times 64 x 24: i32 j64 k24, 32*64*24 = 49,152.
    ("ij,jk->ik", [[32, 64], [64, 24]], 49_152, 0, [32, 24]),
    # Implicit output: i and k occur once, so the output is ik.
    ("ij,jk", [[32, 64], [64, 24]], 49_152, 0, [32, 24]),
    # Implicit output in alphabetical order: b and c occur once, so bc.
    ("ba,ac", [[3, 5], [5, 7]], 105, 0, [3, 7]),
    # Batched: b4 i16 j32 k8, 4*16*32*8 = 16,384.
    ("bij,bjk->bik", [[4, 16, 32], [4, 32, 8]], 16_384, 0, [4, 16, 8]),
    # Attention scores: b2 h4 q16 k16 d8, 2*4*16*16*8 = 16,384.
    ("bhqd,bhkd->bhqk", [[2, 4, 16, 8], [2, 4, 16, 8]], 16_384, 0, [2, 4, 16, 16]),
    # Upper-case letters are indices too: i3 J5 k2, 30.
    ("iJ,Jk->ik", [[3, 5], [5, 2]], 30, 0, [3, 2]),
    # Spaces are ignored.
    ("ij, jk -> ik", [[32, 64], [64, 24]], 49_152, 0, [32, 24]),
    # Ellipsis dims: 2*3 * i4 j5 k6 = 720.
    ("...ij,...jk->...ik", [[2, 3, 4, 5], [2, 3, 5, 6]], 720, 0, [2, 3, 4, 6]),
    ("...ij,...jk", [[2, 3, 4, 5], [2, 3, 5, 6]], 720, 0, [2, 3, 4, 6]),
    # A broadcast dim of size 1 takes the other operand's 7: 7 * 4*5*6 = 840.
    ("...ij,...jk->...ik", [[1, 4, 5], [7, 5, 6]], 840, 0, [7, 4, 6]),
    # A repeated index in one operand: i3 j4, the diagonal of the first times the second, 12.
    ("ii,ij->j", [[3, 3], [3, 4]], 12, 0, [4]),
    # Three operands: i2 j3 k4 l5, 120 MACs and 120 more multiplies for the third operand.
    ("ij,jk,kl->il", [[2, 3], [3, 4], [4, 5]], 120, 120, [2, 5]),
    # No index summed: Hadamard product, 15 multiplies; outer product, 15 multiplies.
    ("ij,ij->ij", [[3, 5], [3, 5]], 0, 15, [3, 5]),
    ("i,j->ij", [[3], [5]], 0, 15, [3, 5]),
    # One operand with an index summed: trace (6 adds), implicit trace, row sums (15), batched trace (2*4).
    ("ii->", [[6, 6]], 0, 6, []),
    ("ii", [[6, 6]], 0, 6, []),
    ("ij->i", [[3, 5]], 0, 15, [3]),
    ("bii->b", [[2, 4, 4]], 0, 8, [2]),
    # One operand, nothing summed: a transpose or a diagonal only moves data.
    ("ij->ji", [[3, 5]], 0, 0, [5, 3]),
    ("ii->i", [[6, 6]], 0, 0, [6]),
]


@pytest.mark.parametrize(("equation", "shapes", "macs", "elementwise_ops", "output_shape"), CASES, ids=[case[0] for case in CASES])
def test_einsum_counts(equation, shapes, macs, elementwise_ops, output_shape):
    row = einsum_row(einsum_model(equation, shapes))

    assert row.status.value == "costed"
    assert row.macs == macs
    assert row.elementwise_ops == elementwise_ops
    assert row.output_shapes == [output_shape]
    assert row.write_bytes == 4 * math.prod(output_shape)


@pytest.mark.parametrize(("equation", "shapes", "output_shape"), [(case[0], case[1], case[4]) for case in CASES], ids=[case[0] for case in CASES])
def test_einsum_shape_matches_onnx(equation, shapes, output_shape):
    indices = parse_einsum(equation, [tuple(shape) for shape in shapes])

    assert list(indices.output_shape()) == output_shape
    assert onnx_output_shape(einsum_model(equation, shapes)) == output_shape
    operands = [np.zeros(shape, np.float32) for shape in shapes]
    assert list(np.einsum(equation.replace(" ", ""), *operands).shape) == output_shape


def test_einsum_weight_is_param():
    # A stored weight operand is a parameter: 64 x 24 = 1,536.
    model = einsum_model("ij,jk->ik", [[32, 64], [64, 24]])
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.zeros((64, 24), np.float32), "x1"))
    del model.graph.input[1]
    row = einsum_row(model)

    assert row.macs == 49_152
    assert row.param_count == 1_536
    assert row.weight_bytes == 4 * 1_536


@pytest.mark.parametrize(
    ("equation", "shapes", "reason"),
    [
        ("ij,jk->iz", [[2, 3], [3, 4]], "output index 'z' is in no input term"),
        ("ij,jk->iki", [[2, 3], [3, 4]], "repeats index 'i'"),
        ("i2,jk->ik", [[2, 3], [3, 4]], "characters other than letters"),
        ("ij->i->j", [[2, 3]], "more than one '->'"),
        ("ij->i", [[2, 3], [3, 4]], "1 input terms for 2 inputs"),
        ("...ij,jk->ik", [[5, 2, 3], [3, 4]], "dims under '...'"),
        # numpy would broadcast (2,3) against (3), but ONNX requires one ellipsis rank.
        ("...ij,...jk->...ik", [[2, 3, 4, 5], [3, 5, 6]], "stands for [1, 2] dims in different inputs"),
    ],
    ids=[
        "unknown output index",
        "repeated output index",
        "digit",
        "two arrows",
        "too few terms",
        "dropped ellipsis",
        "ellipsis ranks differ",
    ],
)
def test_invalid_equation_uncosted(equation, shapes, reason):
    with pytest.raises(EinsumEquationError) as error:
        parse_einsum(equation, [tuple(shape) for shape in shapes])
    assert reason in str(error.value)

    row = einsum_row(einsum_model(equation, shapes))

    assert row.status.value == "uncosted"
    assert reason in row.reason


def test_rank_mismatch_rejected():
    with pytest.raises(ShapeError, match=r"\(Einsum\): term 'ijk' names 3 dims, but its input has 2"):
        graphcost.analyze(einsum_model("ijk,jk->ik", [[2, 3], [3, 4]]))


def test_size_mismatch_rejected():
    with pytest.raises(ShapeError, match="index 'j' of equation 'ij,jk->ik' has sizes 64 and 48"):
        graphcost.analyze(einsum_model("ij,jk->ik", [[32, 64], [48, 24]]))
