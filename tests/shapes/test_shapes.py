"""Shape inference: onnx's, graphcost's rules for its gaps, and upper bounds.

Exact shapes are checked against onnxruntime running the same model.
"""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest

import graphcost
from conftest import parse_model


def runtime_shapes(model, feeds) -> dict[str, list[int]]:
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    results = session.run(None, feeds)
    return {info.name: list(result.shape) for info, result in zip(session.get_outputs(), results)}


def graphcost_shapes(model, input_shapes=None) -> dict[str, list[int]]:
    report = graphcost.analyze(model, input_shapes=input_shapes)
    return {tensor.name: tensor.shape for tensor in report.outputs}


SHAPE_CHAIN = """
g (float[N,3,8,8] x) => (float y) {
  s = Shape(x)
  zero = Constant<value = int64 {0}>()
  batch = Gather<axis=0>(s, zero)
  axes = Constant<value = int64[1] {0}>()
  batch1 = Unsqueeze(batch, axes)
  minus1 = Constant<value = int64[1] {-1}>()
  target = Concat<axis=0>(batch1, minus1)
  y = Reshape(x, target)
}
"""


def test_shape_gather_concat_reshape():
    model = parse_model(SHAPE_CHAIN)
    shapes = graphcost_shapes(model, {"x": (2, 3, 8, 8)})
    assert shapes == {"y": [2, 192]}
    assert shapes == runtime_shapes(model, {"x": np.zeros((2, 3, 8, 8), np.float32)})


def test_shape_chain_nodes_are_free():
    report = graphcost.analyze(parse_model(SHAPE_CHAIN), input_shapes={"x": (2, 3, 8, 8)})
    statuses = {row.op_type: row.status.value for row in report.rows}
    assert statuses["Shape"] == "free"
    assert statuses["Gather"] == "free"
    assert statuses["Concat"] == "free"


FLOAT_UPSAMPLE = """
g (float[1,2,5,7] x) => (float y) {
  s = Shape(x)
  start = Constant<value = int64[1] {2}>()
  end = Constant<value = int64[1] {4}>()
  hw = Slice(s, start, end)
  hw_float = Cast<to=1>(hw)
  factor = Constant<value = float {2.0}>()
  scaled = Mul(hw_float, factor)
  floored = Floor(scaled)
  hw_new = Cast<to=7>(floored)
  nc = Slice(s, zero, start)
  zero = Constant<value = int64[1] {0}>()
  sizes = Concat<axis=0>(nc, hw_new)
  y = Resize<mode="nearest">(x, , , sizes)
}
"""


def test_float_shape_arithmetic_resize():
    # Exporters compute upsampled sizes in float (Cast, Mul, Floor); onnx's
    # data propagation stops there, graphcost's folding does not.
    # Nodes are also stored out of order here (zero after its first reader).
    model = parse_model(FLOAT_UPSAMPLE)
    loaded = graphcost.load(model)
    assert "y" in loaded.shape_result.filled_by_graphcost
    assert graphcost_shapes(model) == {"y": [1, 2, 10, 14]}
    assert runtime_shapes(model, {"x": np.zeros((1, 2, 5, 7), np.float32)}) == {"y": [1, 2, 10, 14]}


@pytest.mark.parametrize(
    "opset, body",
    [
        (7, 'y = Upsample<mode="nearest", scales=[1.0, 1.0, 2.0, 3.0]>(x)'),
        (9, 'y = Upsample<mode="nearest">(x, scales)'),
        (10, 'y = Resize<mode="nearest">(x, scales)'),
        (11, 'y = Resize<mode="nearest">(x, roi, scales)'),
        (13, 'y = Resize<mode="nearest">(x, , scales)'),
        (13, 'y = Resize<mode="nearest">(x, , , sizes)'),
        (18, 'y = Resize<mode="nearest", axes=[2, 3]>(x, , , sizes_hw)'),
    ],
)
def test_resize_and_upsample_across_opsets(opset, body):
    model = parse_model(
        f"""
        g (float[1,2,4,4] x) => (float y)
          <float[4] scales = {{1.0, 1.0, 2.0, 3.0}}, float[0] roi = {{}}, int64[4] sizes = {{1, 2, 8, 12}},
           int64[2] sizes_hw = {{8, 12}}> {{
          {body}
        }}
        """,
        opset=opset,
    )
    assert graphcost_shapes(model) == {"y": [1, 2, 8, 12]}


@pytest.mark.parametrize(
    "opset, body",
    [
        (11, "a, b = Split<axis=1, split=[2, 4]>(x)"),
        (13, "a, b = Split<axis=1>(x, sizes)"),
        (18, "a, b = Split<axis=1, num_outputs=2>(x)"),
    ],
)
def test_split_forms(opset, body):
    model = parse_model(
        f"""
        g (float[1,6,3] x) => (float a, float b) <int64[2] sizes = {{2, 4}}> {{
          {body}
        }}
        """,
        opset=opset,
    )
    expected = {"a": [1, 2, 3], "b": [1, 4, 3]} if opset < 18 else {"a": [1, 3, 3], "b": [1, 3, 3]}
    assert graphcost_shapes(model) == expected
    assert runtime_shapes(model, {"x": np.zeros((1, 6, 3), np.float32)}) == expected


@pytest.mark.parametrize(
    "attributes, expected, runtime_supports",
    [
        # SAME: ceil(9 / 2) = 5 whatever the kernel and dilation. onnxruntime
        # 1.32 rejects dilations with SAME padding, so that case is checked
        # against the ONNX specification's formula alone.
        ('auto_pad="SAME_UPPER", strides=[2,2]', [1, 4, 5, 5], True),
        ('auto_pad="SAME_LOWER", strides=[2,2], dilations=[2,2]', [1, 4, 5, 5], False),
        # VALID with dilation 2: effective kernel 5, (9 - 5) / 1 + 1 = 5.
        ('auto_pad="VALID", dilations=[2,2]', [1, 4, 5, 5], True),
        # Explicit pads 1, stride 3: floor((9 + 2 - 3) / 3) + 1 = 3.
        ("pads=[1,1,1,1], strides=[3,3]", [1, 4, 3, 3], True),
    ],
)
def test_conv_auto_pad(attributes, expected, runtime_supports):
    model = parse_model(
        f"""
        g (float[1,2,9,9] x) => (float y) <float[4,2,3,3] w> {{
          y = Conv<{attributes}>(x, w)
        }}
        """
    )
    assert graphcost_shapes(model) == {"y": expected}
    if runtime_supports:
        assert runtime_shapes(model, {"x": np.zeros((1, 2, 9, 9), np.float32)}) == {"y": expected}


def test_pool_same_lower():
    model = parse_model(
        'g (float[1,2,9,9] x) => (float y) { y = AveragePool<kernel_shape=[3,3], strides=[2,2], auto_pad="SAME_LOWER">(x) }'
    )
    assert graphcost_shapes(model) == {"y": [1, 2, 5, 5]}


def test_non_zero_upper_bound():
    # At most all 24 elements are nonzero: [rank 3, 24].
    model = parse_model("g (float[2,3,4] x) => (int64 y) { y = NonZero(x) }")
    report = graphcost.analyze(model)
    assert report.outputs[0].shape == [3, 24]
    loaded = graphcost.load(model)
    assert loaded.tensors["y"].upper_bound


def test_top_k_computed_k_upper_bound():
    # k = Shape(x)[0] + 3 is computed at run time only if shapes are unknown;
    # here it folds to 1 + 3 = 4, an exact shape.
    model = parse_model(
        """
        g (float[1,10] x) => (float v, int64 i) {
          s = Shape(x)
          first = Constant<value = int64[1] {0}>()
          n = Gather(s, first)
          three = Constant<value = int64[1] {3}>()
          k = Add(n, three)
          v, i = TopK<axis=1>(x, k)
        }
        """
    )
    assert graphcost_shapes(model) == {"v": [1, 4], "i": [1, 4]}


def test_top_k_runtime_k_upper_bound():
    # k comes from the data: its bound is the axis length, 10.
    model = parse_model(
        """
        g (float[1,10] x, int64[1] k) => (float v, int64 i) {
          v, i = TopK<axis=1>(x, k)
        }
        """
    )
    loaded = graphcost.load(model)
    assert loaded.tensors["v"].shape == (1, 10)
    assert loaded.tensors["v"].upper_bound


def test_non_max_suppression_bound_flows_downstream():
    model = parse_model(
        """
        g (float[1,50,4] boxes, float[1,3,50] scores) => (float y) <int64[1] limit = {10}> {
          sel = NonMaxSuppression(boxes, scores, limit)
          y = Cast<to=1>(sel)
        }
        """
    )
    loaded = graphcost.load(model)
    # 1 batch * 3 classes * min(10, 50) boxes.
    assert loaded.tensors["sel"].shape == (30, 3)
    assert loaded.tensors["y"].shape == (30, 3)
    assert loaded.tensors["y"].upper_bound


def test_symbolic_dim_taken_as_one():
    model = parse_model(
        "g (float[batch,3,8,8] x) => (float y) <float[4,3,1,1] w> { y = Conv(x, w) }"
    )
    report = graphcost.analyze(model)
    assert report.outputs[0].shape == [1, 4, 8, 8]
    assert len(report.notes) == 1
    assert "'batch'" in report.notes[0]


def test_input_shape_sets_symbolic_dim():
    # MACs scale with the batch: 4 * (4*8*8*3) = 3,072.
    model = parse_model(
        "g (float[batch,3,8,8] x) => (float y) <float[4,3,1,1] w> { y = Conv(x, w) }"
    )
    report = graphcost.analyze(model, input_shapes=["x=4x3x8x8"])
    assert report.totals.macs == 3_072
    assert report.notes == []


def test_input_shape_overrides_static_resolution():
    # A 224 model analyzed at 320: value_info left by the exporter must not conflict.
    model = parse_model(
        "g (float[1,3,224,224] x) => (float[1,4,224,224] y) <float[4,3,1,1] w> { y = Conv(x, w) }"
    )
    report = graphcost.analyze(model, input_shapes=["1x3x320x320"])
    assert report.outputs[0].shape == [1, 4, 320, 320]
    assert report.totals.macs == 4 * 320 * 320 * 3
