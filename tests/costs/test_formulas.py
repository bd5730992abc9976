"""One tiny graph per cost formula, with the hand arithmetic in a comment."""

from __future__ import annotations

import pytest

import graphcost
from conftest import parse_model


def only_row(text: str, op_type: str, opset: int = 17):
    report = graphcost.analyze(parse_model(text, opset=opset))
    rows = [row for row in report.rows if row.op_type == op_type]
    assert len(rows) == 1, [row.op_type for row in report.rows]
    return rows[0]


def test_conv_groups_dilations_pads():
    # x 1x8x10x10, W 16x4x3x3 (groups 2), dilation 2, pads 2 -> out 1x16x10x10.
    # MACs = 16*10*10 * (4*3*3) = 57,600. Bias adds: 1,600. Params 576 + 16.
    row = only_row(
        """
        g (float[1,8,10,10] x) => (float y) <float[16,4,3,3] w, float[16] b> {
          y = Conv<group=2, dilations=[2,2], pads=[2,2,2,2]>(x, w, b)
        }
        """,
        "Conv",
    )
    assert row.output_shapes == [[1, 16, 10, 10]]
    assert row.macs == 57_600
    assert row.elementwise_ops == 1_600
    assert row.param_count == 592
    # Bytes: x 800*4 read; weights 592*4; y 1600*4 written.
    assert (row.read_bytes, row.weight_bytes, row.write_bytes) == (3_200, 2_368, 6_400)


def test_conv_depthwise():
    # Depthwise 3x3 stride 2 on 1x32x112x112, pads 1 -> 1x32x56x56.
    # MACs = 32*56*56 * (1*3*3) = 903,168.
    row = only_row(
        """
        g (float[1,32,112,112] x) => (float y) <float[32,1,3,3] w> {
          y = Conv<group=32, strides=[2,2], pads=[1,1,1,1]>(x, w)
        }
        """,
        "Conv",
    )
    assert row.output_shapes == [[1, 32, 56, 56]]
    assert row.macs == 903_168
    assert row.elementwise_ops == 0


def test_conv_1d():
    # x 1x4x20, W 8x4x5, valid -> 1x8x16. MACs = 8*16*4*5 = 2,560.
    row = only_row("g (float[1,4,20] x) => (float y) <float[8,4,5] w> { y = Conv(x, w) }", "Conv")
    assert row.output_shapes == [[1, 8, 16]]
    assert row.macs == 2_560


def test_conv_3d():
    # x 1x2x4x6x6, W 3x2x3x3x3, valid -> 1x3x2x4x4. MACs = 3*2*4*4 * 2*27 = 5,184.
    row = only_row("g (float[1,2,4,6,6] x) => (float y) <float[3,2,3,3,3] w> { y = Conv(x, w) }", "Conv")
    assert row.output_shapes == [[1, 3, 2, 4, 4]]
    assert row.macs == 5_184


def test_conv_transpose():
    # x 1x8x5x5, W 8x4x3x3 (C_in, C_out/group), stride 2 -> 1x4x11x11.
    # MACs = every input element times C_out*k*k = 200 * 36 = 7,200.
    row = only_row(
        "g (float[1,8,5,5] x) => (float y) <float[8,4,3,3] w> { y = ConvTranspose<strides=[2,2]>(x, w) }",
        "ConvTranspose",
    )
    assert row.output_shapes == [[1, 4, 11, 11]]
    assert row.macs == 7_200


def test_gemm_trans_b_with_bias():
    # A 2x64, B 10x64 transposed -> 2x10. MACs = 2*10*64 = 1,280; C add 20.
    row = only_row(
        "g (float[2,64] a) => (float y) <float[10,64] b, float[10] c> { y = Gemm<transB=1>(a, b, c) }",
        "Gemm",
    )
    assert row.macs == 1_280
    assert row.elementwise_ops == 20
    assert row.param_count == 650


def test_gemm_trans_a_alpha():
    # A 64x3 transposed -> M=3, K=64; B 64x5 -> N=5. MACs 960; alpha scales 15.
    row = only_row(
        "g (float[64,3] a) => (float y) <float[64,5] b> { y = Gemm<transA=1, alpha=2.0>(a, b) }",
        "Gemm",
    )
    assert row.macs == 960
    assert row.elementwise_ops == 15


@pytest.mark.parametrize(
    "a_shape, b_shape, expected_macs",
    [
        ("2,3,4,5", "5,6", 2 * 3 * 4 * 5 * 6),  # batch broadcast against a matrix
        ("3,1,4,5", "1,2,5,6", 3 * 2 * 4 * 5 * 6),  # both batch dims broadcast
        ("5", "5,6", 5 * 6),  # 1-D left operand: 1x5 @ 5x6
        ("4,5", "5", 4 * 5),  # 1-D right operand: 4x5 @ 5x1
    ],
)
def test_matmul_broadcast(a_shape, b_shape, expected_macs):
    row = only_row(f"g (float[{a_shape}] a, float[{b_shape}] b) => (float y) {{ y = MatMul(a, b) }}", "MatMul")
    assert row.macs == expected_macs


def test_batch_normalization():
    # 1x16x8x8: 1,024 elements, a multiply and an add each; no MACs.
    # Params: scale, bias, mean, var = 4*16.
    row = only_row(
        """
        g (float[1,16,8,8] x) => (float y) <float[16] s, float[16] b, float[16] m, float[16] v> {
          y = BatchNormalization(x, s, b, m, v)
        }
        """,
        "BatchNormalization",
    )
    assert row.macs == 0
    assert row.elementwise_ops == 2_048
    assert row.param_count == 64


@pytest.mark.parametrize(
    "op_text, op_type, per_element",
    [
        ("Relu(x)", "Relu", 1),
        ("Sigmoid(x)", "Sigmoid", 3),
        ("Tanh(x)", "Tanh", 1),
        ("HardSigmoid<alpha=0.1666667, beta=0.5>(x)", "HardSigmoid", 4),
        ("HardSwish(x)", "HardSwish", 5),
        ("LeakyRelu<alpha=0.1>(x)", "LeakyRelu", 2),
        ("Elu(x)", "Elu", 3),
        ("Softplus(x)", "Softplus", 3),
        ("Clip(x, lo, hi)", "Clip", 2),
    ],
)
def test_activations(op_text, op_type, per_element):
    # 1x4x5x5 = 100 elements, per_element operations each.
    row = only_row(
        f"""
        g (float[1,4,5,5] x) => (float y) <float lo = {{0.0}}, float hi = {{6.0}}> {{
          y = {op_text}
        }}
        """,
        op_type,
    )
    assert row.elementwise_ops == 100 * per_element
    assert row.macs == 0
    assert row.param_count == 0  # Clip bounds are not parameters


def test_prelu_slope_is_param():
    row = only_row("g (float[1,4,5,5] x) => (float y) <float[4,1,1] slope> { y = PRelu(x, slope) }", "PRelu")
    assert row.elementwise_ops == 200
    assert row.param_count == 4


@pytest.mark.parametrize("op_type", ["Add", "Sub", "Mul", "Div", "Pow"])
def test_binary_broadcast(op_type):
    # 1x8x4x4 with 1x8x1x1 -> 128 output elements, one op each.
    row = only_row(
        f"g (float[1,8,4,4] a, float[1,8,1,1] b) => (float y) {{ y = {op_type}(a, b) }}", op_type
    )
    assert row.output_shapes == [[1, 8, 4, 4]]
    assert row.elementwise_ops == 128
    # Reads: 128*4 + 8*4 bytes; writes 128*4.
    assert (row.read_bytes, row.write_bytes) == (544, 512)


@pytest.mark.parametrize("op_type, per_element", [("Max", 2), ("Min", 2), ("Sum", 2), ("Mean", 3)])
def test_variadic(op_type, per_element):
    # Three inputs of 10 elements: two pairwise ops each, Mean one divide more.
    row = only_row(
        f"g (float[10] a, float[10] b, float[10] c) => (float y) {{ y = {op_type}(a, b, c) }}", op_type
    )
    assert row.elementwise_ops == 10 * per_element


def test_max_pool_same_upper():
    # 1x2x7x7, kernel 3, stride 2, SAME_UPPER -> ceil(7/2) = 4 -> 1x2x4x4.
    # 32 outputs * 9 compares = 288.
    row = only_row(
        "g (float[1,2,7,7] x) => (float y) { y = MaxPool<kernel_shape=[3,3], strides=[2,2], auto_pad=\"SAME_UPPER\">(x) }",
        "MaxPool",
    )
    assert row.output_shapes == [[1, 2, 4, 4]]
    assert row.elementwise_ops == 288


def test_average_pool():
    # 1x1x4x4, kernel 2 stride 2 -> 1x1x2x2; 4 outputs * (4 adds + 1 divide) = 20.
    row = only_row(
        "g (float[1,1,4,4] x) => (float y) { y = AveragePool<kernel_shape=[2,2], strides=[2,2]>(x) }",
        "AveragePool",
    )
    assert row.elementwise_ops == 20


def test_lp_pool():
    # 1x1x4x4, kernel 2 stride 2 -> 4 outputs * (2*4 + 1) = 36.
    row = only_row(
        "g (float[1,1,4,4] x) => (float y) { y = LpPool<kernel_shape=[2,2], strides=[2,2]>(x) }", "LpPool"
    )
    assert row.elementwise_ops == 36


@pytest.mark.parametrize("op_type, expected", [("GlobalAveragePool", 960 + 16), ("GlobalMaxPool", 960)])
def test_global_pool(op_type, expected):
    # 1x16x6x10: 960 inputs; 16 outputs.
    row = only_row(f"g (float[1,16,6,10] x) => (float y) {{ y = {op_type}(x) }}", op_type)
    assert row.output_shapes == [[1, 16, 1, 1]]
    assert row.elementwise_ops == expected


def test_reduce_mean_axes_input():
    # ReduceMean over H, W of 1x16x6x10 (axes as an input, opset 18): 960 adds + 16 divides.
    row = only_row(
        """
        g (float[1,16,6,10] x) => (float y) <int64[2] axes = {2, 3}> { y = ReduceMean(x, axes) }
        """,
        "ReduceMean",
        opset=18,
    )
    assert row.output_shapes == [[1, 16, 1, 1]]
    assert row.elementwise_ops == 976
    assert row.param_count == 0


@pytest.mark.parametrize("op_type", ["ReduceSum", "ReduceMax", "ReduceMin"])
def test_reduce_attribute_axes(op_type):
    # opset 11 axes attribute, keepdims 0: 1x4x5 -> 1x5; 20 input elements.
    row = only_row(f"g (float[1,4,5] x) => (float y) {{ y = {op_type}<axes=[1], keepdims=0>(x) }}", op_type, opset=11)
    assert row.output_shapes == [[1, 5]]
    assert row.elementwise_ops == 20


@pytest.mark.parametrize("op_type", ["Softmax", "LogSoftmax"])
def test_softmax(op_type):
    # 2x10 elements, 5 operations each = 100.
    row = only_row(f"g (float[2,10] x) => (float y) {{ y = {op_type}(x) }}", op_type)
    assert row.elementwise_ops == 100


@pytest.mark.parametrize(
    "text, op_type, read, write",
    [
        # Concat 1x2x3 and 1x4x3 along axis 1: reads 18 floats, writes 18.
        ("y = Concat<axis=1>(a, b)", "Concat", 72, 72),
        # Transpose of a 1x2x3: 6 floats in and out.
        ("y = Transpose<perm=[0,2,1]>(a)", "Transpose", 24, 24),
    ],
)
def test_data_movement(text, op_type, read, write):
    row = only_row(f"g (float[1,2,3] a, float[1,4,3] b) => (float y) {{ {text} }}", op_type)
    assert row.macs == 0 and row.elementwise_ops == 0
    assert (row.read_bytes, row.write_bytes) == (read, write)


def test_slice_reads_only_selection():
    # Rows 2..5 of a 10x8 float: 32 floats read and written.
    row = only_row(
        """
        g (float[10,8] x) => (float y) <int64[1] s = {2}, int64[1] e = {6}, int64[1] ax = {0}> {
          y = Slice(x, s, e, ax)
        }
        """,
        "Slice",
    )
    assert row.output_shapes == [[4, 8]]
    assert (row.read_bytes, row.write_bytes) == (128, 128)


def test_gather_embedding_table():
    # 3 rows of a 100x16 table: the rows (3*16*4 bytes) are weight reads; the
    # int64 indices (3*8 bytes) are activation reads; the table is 1,600 params.
    row = only_row(
        "g (int64[3] ids) => (float y) <float[100,16] table> { y = Gather<axis=0>(table, ids) }", "Gather"
    )
    assert row.output_shapes == [[3, 16]]
    assert row.weight_bytes == 192
    assert row.read_bytes == 24
    assert row.param_count == 1_600


@pytest.mark.parametrize(
    "text, op_type, shape",
    [
        ("y = Pad(x, pads)", "Pad", [1, 2, 6, 6]),
        ("y = Expand(x, shape)", "Expand", [3, 2, 4, 4]),
        ("y = Tile(x, reps)", "Tile", [1, 2, 8, 12]),
    ],
)
def test_movement_shapes(text, op_type, shape):
    row = only_row(
        f"""
        g (float[1,2,4,4] x) => (float y)
          <int64[8] pads = {{0,0,1,1,0,0,1,1}}, int64[4] shape = {{3,1,1,1}}, int64[4] reps = {{1,1,2,3}}> {{
          {text}
        }}
        """,
        op_type,
    )
    assert row.output_shapes == [shape]
    assert row.write_bytes == 4 * shape[0] * shape[1] * shape[2] * shape[3]
    assert row.param_count == 0


def test_cast_counts_target_dtype():
    # 10 float32 -> float16: reads 40 bytes, writes 20, one conversion each.
    row = only_row("g (float[10] x) => (float16 y) { y = Cast<to=10>(x) }", "Cast")
    assert (row.read_bytes, row.write_bytes, row.elementwise_ops) == (40, 20, 10)


def test_resize_linear():
    # 1x2x4x4 -> 1x2x8x8 (scales 2 on H and W), linear: 3 ops per resized axis
    # per output element = 128 * 3 * 2 = 768.
    row = only_row(
        """
        g (float[1,2,4,4] x) => (float y) <float[4] scales = {1.0, 1.0, 2.0, 2.0}> {
          y = Resize<mode="linear">(x, , scales)
        }
        """,
        "Resize",
    )
    assert row.output_shapes == [[1, 2, 8, 8]]
    assert row.elementwise_ops == 768


def test_top_k():
    # k=4 over 1x32: about log2(5) -> 3 compares per input element = 96.
    row = only_row(
        "g (float[1,32] x) => (float v, int64 i) <int64[1] k = {4}> { v, i = TopK(x, k) }", "TopK"
    )
    assert row.output_shapes == [[1, 4], [1, 4]]
    assert row.elementwise_ops == 96


def test_non_max_suppression_upper_bound():
    # 1 batch, 2 classes, 10 boxes, at most 3 per class -> at most 6 selected.
    # Work: 2 classes * (12 * 45 IoU pairs + 10 * 4 sort compares) = 1,160.
    report = graphcost.analyze(
        parse_model(
            """
            g (float[1,10,4] boxes, float[1,2,10] scores) => (int64 sel) <int64[1] limit = {3}> {
              sel = NonMaxSuppression(boxes, scores, limit)
            }
            """
        )
    )
    row = report.rows[-1]
    assert row.output_shapes == [[6, 3]]
    assert row.elementwise_ops == 1_160


@pytest.mark.parametrize(
    "op_type, gates, per_unit",
    [("RNN", 1, 3), ("GRU", 3, 17), ("LSTM", 4, 23)],
)
def test_recurrent(op_type, gates, per_unit):
    # seq 7, batch 2, input 5, hidden 6, bidirectional:
    # MACs = 7 * 2 dirs * 2 batch * gates*6 * (5 + 6).
    row = only_row(
        f"""
        g (float[7,2,5] x) => (float y)
          <float[2,{gates * 6},5] w, float[2,{gates * 6},6] r> {{
          y = {op_type}<hidden_size=6, direction="bidirectional">(x, w, r)
        }}
        """,
        op_type,
    )
    assert row.macs == 7 * 2 * 2 * gates * 6 * 11
    assert row.elementwise_ops == 7 * 2 * 2 * 6 * per_unit


def test_qlinear_conv_int8_bytes():
    # uint8 x 1x4x6x6, int8 W 8x4x1x1 -> 1x8x6x6: MACs 8*36*4 = 1,152.
    # Bytes are 1 per element: x 144 read, y 288 written; weights 32 bytes
    # plus the float32 and int8 scales and zero points.
    row = only_row(
        """
        g (uint8[1,4,6,6] x) => (uint8 y)
          <float xs = {0.1}, uint8 xz = {0}, int8[8,4,1,1] w, float ws = {0.1}, int8 wz = {0},
           float ys = {0.2}, uint8 yz = {0}> {
          y = QLinearConv(x, xs, xz, w, ws, wz, ys, yz)
        }
        """,
        "QLinearConv",
    )
    assert row.macs == 1_152
    assert row.read_bytes == 144
    assert row.write_bytes == 288
    assert row.weight_bytes == 32 + 4 + 1 + 4 + 1 + 4 + 1
    assert row.elementwise_ops == 3 * 288


def test_matmul_integer():
    row = only_row(
        "g (uint8[2,8] a) => (int32 y) <uint8[8,3] b> { y = MatMulInteger(a, b) }", "MatMulInteger"
    )
    assert row.macs == 48
    assert row.write_bytes == 24  # 6 int32


def test_qlinear_matmul():
    row = only_row(
        """
        g (uint8[2,8] a) => (uint8 y)
          <float as = {0.1}, uint8 az = {0}, uint8[8,3] b, float bs = {0.1}, uint8 bz = {0},
           float ys = {0.1}, uint8 yz = {0}> {
          y = QLinearMatMul(a, as, az, b, bs, bz, ys, yz)
        }
        """,
        "QLinearMatMul",
    )
    assert row.macs == 48


def test_conv_integer():
    row = only_row(
        "g (uint8[1,2,4,4] x) => (int32 y) <uint8[3,2,3,3] w> { y = ConvInteger(x, w) }", "ConvInteger"
    )
    # Out 1x3x2x2; MACs = 12 * 18 = 216.
    assert row.macs == 216


@pytest.mark.parametrize("op_type, per_element", [("QuantizeLinear", 4), ("DequantizeLinear", 2)])
def test_quantize_dequantize(op_type, per_element):
    dtype = "float" if op_type == "QuantizeLinear" else "uint8"
    row = only_row(
        f"g ({dtype}[1,10] x) => (y) <float s = {{0.1}}, uint8 z = {{0}}> {{ y = {op_type}(x, s, z) }}", op_type
    )
    assert row.elementwise_ops == 10 * per_element


@pytest.mark.parametrize("op_type", ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"])
def test_bookkeeping_is_free(op_type):
    args = {
        "Reshape": "Reshape(x, shape)",
        "Flatten": "Flatten(x)",
        "Squeeze": "Squeeze(x, axes)",
        "Unsqueeze": "Unsqueeze(x, axes)",
        "Identity": "Identity(x)",
        "Dropout": "Dropout(x)",
    }[op_type]
    row = only_row(
        f"""
        g (float[1,6,1] x) => (float y) <int64[2] shape = {{2, 3}}, int64[1] axes = {{0}}> {{
          y = {args}
        }}
        """,
        op_type,
    )
    assert row.status.value == "free"
    assert row.bytes_moved == 0


def test_unknown_default_op_is_uncosted_with_bytes():
    # Det has no formula: its traffic is counted, and it is reported.
    report = graphcost.analyze(parse_model("g (float[2,3,3] a) => (float y) { y = Det(a) }"))
    row = report.rows[0]
    assert row.status.value == "uncosted"
    assert row.read_bytes == 72
    assert row.write_bytes == 8
    assert report.uncosted_op_types == {"Det": 1}
    assert report.totals.status_counts["uncosted"] == 1


def test_fp16_bytes():
    # A float16 conv: 2 bytes per element everywhere.
    row = only_row("g (float16[1,2,4,4] x) => (float16 y) <float16[3,2,1,1] w> { y = Conv(x, w) }", "Conv")
    assert (row.read_bytes, row.weight_bytes, row.write_bytes) == (64, 12, 96)


@pytest.mark.parametrize(
    "text, message",
    [
        # 4 input channels against a weight made for 3.
        ("g (float[1,4,8,8] x) => (float y) <float[2,3,1,1] w> { y = Conv(x, w) }", "needs 3 input channels"),
        # Inner dims 9 and 7 differ.
        ("g (float[2,9] x) => (float y) <float[7,11] w> { y = MatMul(x, w) }", "inner dims 9 and 7 differ"),
        ("g (float[2,9] x) => (float y) <float[7,11] w> { y = Gemm(x, w) }", "inner dims 9 and 7 differ"),
    ],
)
def test_inconsistent_shapes_rejected(text, message):
    from graphcost.errors import ShapeError

    with pytest.raises(ShapeError, match=message):
        graphcost.analyze(parse_model(text))


def test_inconsistent_shapes_name_unnamed_node():
    """An unnamed node is named by its graph key, not by its empty name."""
    from graphcost.errors import ShapeError

    with pytest.raises(ShapeError, match="node 'Conv_0' "):
        graphcost.analyze(parse_model("g (float[1,4,8,8] x) => (float y) <float[2,3,1,1] w> { y = Conv(x, w) }"))
