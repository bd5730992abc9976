"""Kernel fusion: which ops run as one kernel, and the memory traffic that remains."""

from __future__ import annotations

import json

import networkx as nx
import pytest

import graphcost
from conftest import TORCHVISION_MODELS, parse_model
from graphcost.cli import main
from graphcost.kernels import DEFAULT_FUSION, NO_FUSION, FusionRules

CONV_BN_RELU6 = """
g (float[1,8,16,16] x) => (float y)
  <float[16,8,1,1] w, float[16] s, float[16] b, float[16] m, float[16] v, float zero = {0.0}, float six = {6.0}> {
  c = Conv(x, w)
  n = BatchNormalization(c, s, b, m, v)
  y = Clip(n, zero, six)
}
"""

H_SWISH = """
g (float[1,8,16,16] x) => (float y) <float three = {3.0}, float zero = {0.0}, float six = {6.0}> {
  a = Add(x, three)
  c = Clip(a, zero, six)
  p = Mul(x, c)
  y = Div(p, six)
}
"""

ALL_FUSED = FusionRules(
    "all",
    conv_activations=frozenset({"relu", "relu6", "h_swish", "h_sigmoid"}),
    conv_residual_add=True,
    squeeze_excite="one_kernel",
)


def kernels(text: str, rules: FusionRules):
    return graphcost.analyze(parse_model(text), fusion=rules).kernels


def test_conv_bn_relu6_one_kernel_traffic():
    result = kernels(CONV_BN_RELU6, DEFAULT_FUSION)
    (kernel,) = result.kernels
    assert kernel.op_types == ["Conv", "BatchNormalization", "Clip"]
    # Input 8*16*16 floats = 8,192 bytes; output 16*16*16 floats = 16,384 bytes.
    # Weights: W 16*8 floats = 512 bytes, plus the bias BN folding leaves,
    # 16 floats = 64 bytes. No intermediate tensor is written.
    assert kernel.read_bytes == 8_192
    assert kernel.weight_bytes == 576
    assert kernel.write_bytes == 16_384
    # MACs 4,096 * 8 = 32,768; element-wise: bias add 4,096 + ReLU6 2 x 4,096.
    assert kernel.macs == 32_768
    assert kernel.elementwise_ops == 12_288
    # Params: W 16*8 = 128 plus the 16 biases; BN's 4 x 16 are folded away.
    assert kernel.param_count == 144


def test_conv_bn_relu6_unfused_traffic():
    result = kernels(CONV_BN_RELU6, NO_FUSION)
    assert len(result.kernels) == 3
    # Conv: 8,192 + 512 + 16,384; BN: 16,384 + 4*64 + 16,384; Clip: 16,384 + 16,384.
    assert sum(kernel.bytes_moved for kernel in result.kernels) == 25_088 + 33_024 + 32_768
    assert all(item.reason.startswith("no rule on this device") for item in result.unfused)


def test_h_swish_unfused_is_four_ops():
    result = kernels(H_SWISH, NO_FUSION)
    assert [kernel.op_types for kernel in result.kernels] == [["Add"], ["Clip"], ["Mul"], ["Div"]]
    # Each op reads its 8,192-byte input(s) and writes 8,192 bytes; Mul reads
    # two tensors. The scalar constants add 4 bytes to Add and Div.
    reads = [kernel.read_bytes for kernel in result.kernels]
    writes = [kernel.write_bytes for kernel in result.kernels]
    assert reads == [8_192, 8_192, 16_384, 8_192]
    assert writes == [8_192] * 4
    total = sum(kernel.bytes_moved for kernel in result.kernels)
    report = graphcost.analyze(parse_model(H_SWISH))
    assert total == report.totals.bytes_moved
    assert any("h_swish as one element-wise kernel" in item.reason for item in result.unfused)


def test_h_swish_one_elementwise_kernel():
    (kernel,) = kernels(H_SWISH, DEFAULT_FUSION).kernels
    assert kernel.kernel_class == "elementwise"
    # x read once, y written once. Weights: the constant 3 of the Add and the
    # 6 of the Div, 4 bytes each; Clip's bounds are control inputs.
    assert kernel.read_bytes == 8_192
    assert kernel.write_bytes == 8_192
    assert kernel.weight_bytes == 8


def test_h_swish_fused_into_conv():
    text = """
    g (float[1,8,16,16] x) => (float y) <float[8,8,1,1] w, float three = {3.0}, float zero = {0.0}, float six = {6.0}> {
      c = Conv(x, w)
      a = Add(c, three)
      k = Clip(a, zero, six)
      p = Mul(c, k)
      y = Div(p, six)
    }
    """
    default = kernels(text, DEFAULT_FUSION)
    fused = kernels(text, ALL_FUSED)
    assert len(default.kernels) == 2
    assert len(fused.kernels) == 1
    assert fused.kernels[0].read_bytes == 8_192
    assert fused.kernels[0].write_bytes == 8_192
    assert any("h_swish in the Conv epilogue" in item.reason for item in default.unfused)


def test_shared_intermediate_not_fused():
    # The conv output is read by the activation and a second branch: the
    # activation is not absorbed and the reason names the intermediate.
    text = """
    g (float[1,8,4,4] x) => (float y) <float[8,8,1,1] w, float three = {3.0}, float zero = {0.0}, float six = {6.0}> {
      a = Add(x, three)
      c = Clip(a, zero, six)
      p = Mul(x, c)
      h = Div(p, six)
      y = Add(h, c)
    }
    """
    result = kernels(text, DEFAULT_FUSION)
    assert len(result.kernels) == 5
    assert any(item.reason.startswith("intermediate consumed elsewhere") for item in result.unfused)
    report = graphcost.analyze(parse_model(text))
    assert [rejection.shared for rejection in report.patterns.rejections if "also read" in rejection.reason] == [True]


def test_unsupported_op_not_fused():
    rules = FusionRules("no-clip", conv_activations=frozenset({"relu6"}), supported_ops=frozenset({"Conv", "BatchNormalization"}))
    result = kernels(CONV_BN_RELU6, rules)
    assert [kernel.op_types for kernel in result.kernels] == [["Conv", "BatchNormalization"], ["Clip"]]
    assert any(item.reason == "op Clip not supported on this device" for item in result.unfused)


def test_residual_add_fused_when_rule():
    text = """
    g (float[1,8,4,4] x) => (float y) <float[8,8,1,1] w> {
      c = Conv(x, w)
      y = Add(c, x)
    }
    """
    assert len(kernels(text, DEFAULT_FUSION).kernels) == 2
    (kernel,) = kernels(text, ALL_FUSED).kernels
    # x is read once by the conv and the add: 512 bytes; y written: 512.
    assert (kernel.read_bytes, kernel.write_bytes) == (512, 512)


@pytest.mark.parametrize("rules, expected_se_kernels", [(DEFAULT_FUSION, 0), (ALL_FUSED, 8)])
def test_squeeze_excite_kernels(rules, expected_se_kernels):
    report = graphcost.analyze(TORCHVISION_MODELS["mobilenet_v3_large"], fusion=rules)
    classes = [kernel.kernel_class for kernel in report.kernels.kernels]
    assert classes.count("squeeze_excite") == expected_se_kernels


def test_kernel_graph_preserves_macs_and_is_dag():
    report = graphcost.analyze(TORCHVISION_MODELS["mobilenet_v3_large"])
    result = report.kernels
    assert nx.is_directed_acyclic_graph(result.graph)
    assert result.graph.number_of_nodes() == len(result.kernels)
    assert sum(kernel.macs for kernel in result.kernels) == report.totals.macs
    assert sum(kernel.param_count for kernel in result.kernels) == report.totals.param_count
    # Fusion only removes traffic.
    assert sum(kernel.bytes_moved for kernel in result.kernels) < report.totals.bytes_moved


def test_no_fusion_equals_op_graph():
    report = graphcost.analyze(TORCHVISION_MODELS["mobilenet_v2"], fusion=NO_FUSION)
    assert sum(kernel.bytes_moved for kernel in report.kernels.kernels) == report.totals.bytes_moved
    costed = [row for row in report.rows if row.status.value != "free"]
    assert len(report.kernels.kernels) == len(costed)


def test_mobilenet_v2_default_kernel_count():
    # 52 convs, each with its ReLU6 fused where it has one (35), 10 residual
    # Adds, the pool, Flatten (free) and Gemm: 52 + 10 + 1 + 1 = 64 kernels.
    report = graphcost.analyze(TORCHVISION_MODELS["mobilenet_v2"])
    assert len(report.kernels.kernels) == 64


def test_cli_group_by_kernel(capsys):
    path = TORCHVISION_MODELS["mobilenet_v2"]
    assert main(["analyze", str(path), "--group-by", "kernel"]) == 0
    output = capsys.readouterr().out
    assert "64 kernels" in output
    assert "not fused: 10 x residual_add" in output


def test_json_has_op_and_kernel_views(capsys):
    path = TORCHVISION_MODELS["mobilenet_v3_large"]
    assert main(["analyze", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["nodes"]) == 185
    assert data["patterns"]["counts"]["squeeze_excite"] == 8
    assert data["patterns"]["counts"]["h_swish"] == 21
    assert data["kernels"]["fusion_rules"] == "default"
    assert sum(kernel["macs"] for kernel in data["kernels"]["kernels"]) == data["totals"]["macs"]


def test_conv_output_shared_reported():
    # The conv output feeds the ReLU and the residual Add, so the ReLU is
    # not fused and the reason names the intermediate read elsewhere.
    text = """
    g (float[1,8,4,4] x) => (float y) <float[8,8,1,1] w> {
      c = Conv(x, w)
      r = Relu(c)
      y = Add(r, c)
    }
    """
    result = kernels(text, DEFAULT_FUSION)
    assert len(result.kernels) == 3
    assert any("'c' is read by 2 nodes" in item.reason for item in result.unfused)


def test_h_sigmoid_add_is_not_residual():
    # x + 3 inside an h-sigmoid adds a constant: not a residual Add, so a
    # device that fuses residual Adds into convs leaves it alone.
    text = """
    g (float[1,8,4,4] x) => (float y) <float[8,8,1,1] w, float three = {3.0}, float zero = {0.0}, float sixth = {0.16666667}, float six = {6.0}> {
      c = Conv(x, w)
      a = Add(c, three)
      k = Clip(a, zero, six)
      y = Mul(k, sixth)
    }
    """
    rules = FusionRules("residual", conv_residual_add=True)
    result = kernels(text, rules)
    assert [kernel.op_types for kernel in result.kernels] == [["Conv"], ["Add", "Clip", "Mul"]]
    assert not any(item.kind == "residual_add" for item in result.unfused)


def test_kernel_edge_carries_tensor_once():
    # Both ops of the h-swish kernel read the conv output; the edge lists it once.
    text = """
    g (float[1,8,4,4] x) => (float y) <float[8,8,1,1] w, float three = {3.0}, float zero = {0.0}, float six = {6.0}> {
      c = Conv(x, w)
      a = Add(c, three)
      k = Clip(a, zero, six)
      p = Mul(c, k)
      y = Div(p, six)
    }
    """
    result = kernels(text, DEFAULT_FUSION)
    (edge,) = result.graph.edges(data=True)
    assert [tensor.name for tensor in edge[2]["tensors"]] == ["c"]


QDQ_CONV = """
g (uint8[1,8,16,16] xq) => (uint8 yq)
  <float s = {0.1}, uint8 z = {0}, int8[16,8,1,1] wq, float ws = {0.05}, int8 wz = {0}, float[16] b> {
  x = DequantizeLinear(xq, s, z)
  w = DequantizeLinear(wq, ws, wz)
  c = Conv(x, w, b)
  r = Relu(c)
  yq = QuantizeLinear(r, s, z)
}
"""


def test_qdq_conv_is_one_int8_kernel():
    report = graphcost.analyze(parse_model(QDQ_CONV))
    (kernel,) = report.kernels.kernels
    assert kernel.op_types == ["DequantizeLinear", "Conv", "Relu", "QuantizeLinear"]
    # Reads the uint8 input, 8*16*16 = 2,048 bytes; writes the uint8 output,
    # 16*16*16 = 4,096 bytes; no float tensor crosses the kernel boundary.
    assert kernel.read_bytes == 2_048
    assert kernel.write_bytes == 4_096


def test_qdq_unfused_without_rule():
    report = graphcost.analyze(parse_model(QDQ_CONV), fusion=NO_FUSION)
    assert len(report.kernels.kernels) == 4  # DequantizeLinear, Conv, Relu, QuantizeLinear


def test_qdq_conv_stays_on_npu():
    # Quantize and dequantize ops describe the int8 model; the NPU runs the kernel.
    report = graphcost.analyze(parse_model(QDQ_CONV), hw="pixel-npu")
    assert report.latency.fallback_kernels == []
    # The kernel reads and writes integers and its weights are stored as
    # integers, so the int8 device moves the same bytes.
    kernel, latency = report.kernels.kernels[0], report.latency.kernels[0]
    assert kernel.float_fraction == 0
    assert latency.scaled_bytes == kernel.bytes_moved


CONV_FLATTEN_GEMM = """
g (float[1,8,4,4] x) => (float[1,10] y)
  <float[16,8,4,4] w, float[10,16] fw, int64[2] shape = {1, 16}> {
  c = Conv(x, w)
  f = Flatten(c)
  r = Reshape(f, shape)
  y = Gemm <transB = 1> (r, fw)
}
"""


def test_kernel_edge_through_free_nodes():
    """Flatten and Reshape belong to no kernel, yet the conv's data reaches the Gemm through them."""
    report = graphcost.analyze(parse_model(CONV_FLATTEN_GEMM))
    conv, gemm = report.kernels.kernels

    assert (conv.op_types, gemm.op_types) == (["Conv"], ["Gemm"])
    assert list(report.kernels.graph.edges) == [(conv.id, gemm.id)]
    # The edge carries the tensor the Gemm reads: 16 float32 values.
    (tensor,) = report.kernels.graph.edges[conv.id, gemm.id]["tensors"]
    assert (tensor.name, tensor.nbytes) == ("r", 64)


def test_bundled_kernel_graphs_connected():
    for path in ("models/mobilenet_v2.onnx", "models/ssdlite_mobilenet_v2.onnx"):
        graph = graphcost.analyze(path).kernels.graph
        assert nx.number_weakly_connected_components(graph) == 1, path


@pytest.mark.parametrize(
    ("equation", "inputs", "kernel_class"),
    [("ij,jk->ik", "a, b", "fc"), ("ij->ji", "a", "data_movement"), ("ij,ij->ij", "a, a", "elementwise")],
)
def test_einsum_kernel_class(equation, inputs, kernel_class):
    """A contracting Einsum is priced like a matrix multiply, a transposing one as data movement."""
    text = f"""
    g (float[32,64] a, float[64,24] b) => (float y) {{
      y = Einsum <equation = "{equation}"> ({inputs})
    }}
    """
    (kernel,) = graphcost.analyze(parse_model(text)).kernels.kernels
    assert kernel.kernel_class == kernel_class


def test_qdq_ops_add_no_work_to_int8_conv():
    """The fused int8 conv counts the bias and ReLU, not the dequantize and requantize passes."""
    (kernel,) = graphcost.analyze(parse_model(QDQ_CONV)).kernels.kernels

    # Bias add and ReLU, one each per output value: 2 x 16 x 16 x 16 = 8,192.
    assert kernel.elementwise_ops == 8_192
    assert kernel.quantized


FLOAT_CONVS_THEN_QDQ = """
g (float[1,8,32,32] x) => (uint8 yq) <float[8,8,1,1] w1, float[8,8,1,1] w2, float s = {0.1}, uint8 z = {0}> {
  a = Conv(x, w1)
  b = Conv(a, w2)
  yq = QuantizeLinear(b, s, z)
}
"""
FLOAT_CONVS = """
g (float[1,8,32,32] x) => (float b) <float[8,8,1,1] w1, float[8,8,1,1] w2> {
  a = Conv(x, w1)
  b = Conv(a, w2)
}
"""


@pytest.mark.parametrize("profile", ["pixel4-gpu", "pixel-npu"])
def test_one_qdq_pair_scales_only_its_kernel(profile):
    """A QuantizeLinear at the output leaves the float conv before it at the device's data type."""
    quantized = graphcost.analyze(parse_model(FLOAT_CONVS_THEN_QDQ), hw=profile).latency.kernels
    plain = graphcost.analyze(parse_model(FLOAT_CONVS), hw=profile).latency.kernels

    assert quantized[0].scaled_bytes == plain[0].scaled_bytes
    assert quantized[0].latency_s == pytest.approx(plain[0].latency_s)


ADD_MIN_MAX = """
g (float[1,8,16,16] a, float[1,8,16,16] b) => (float y) <float zero = {0.0}, float six = {6.0}> {
  s = Add(a, b)
  m = Max(s, zero)
  y = Min(m, six)
}
"""


def test_standalone_min_max_relu6_one_kernel():
    """A ReLU6 written as Max then Min after an Add runs as one element-wise kernel, like a two-op h-swish."""
    result = kernels(ADD_MIN_MAX, DEFAULT_FUSION)

    assert [kernel.op_types for kernel in result.kernels] == [["Add"], ["Max", "Min"]]


def test_fallback_min_max_relu6_one_kernel():
    """On pixel-npu Max and Min fall back to the CPU, where the ReLU6 they form still runs as one kernel."""
    report = graphcost.analyze(parse_model(ADD_MIN_MAX), hw="pixel-npu")
    fallback = [kernel for kernel in report.kernels.kernels if kernel.id in report.latency.fallback_kernels]

    assert [kernel.op_types for kernel in fallback] == [["Max", "Min"]]


def test_dequantize_kernel_bytes_partly_scaled():
    """A DequantizeLinear reads 1-byte integers and writes 4-byte floats: only the floats shrink on an fp16 device."""
    text = """
    g (uint8[1,8,16,16] xq) => (float y) <float s = {0.1}, uint8 z = {0}> {
      y = DequantizeLinear(xq, s, z)
    }
    """
    report = graphcost.analyze(parse_model(text), hw="pixel4-gpu")
    (kernel,), (latency,) = report.kernels.kernels, report.latency.kernels

    # Run-time tensors: reads 2,048 integer bytes, writes 8,192 float bytes, which halve in fp16.
    assert kernel.float_fraction == pytest.approx(8_192 / (2_048 + 8_192))
    assert kernel.read_bytes + kernel.write_bytes == 2_048 + 8_192
    # The scale and zero point of a quantized kernel keep their sizes.
    assert latency.scaled_bytes == pytest.approx(2_048 + 8_192 / 2 + kernel.weight_bytes, abs=1)
