"""Latency per kernel on hand-checkable profiles: roofline bounds, overhead, NPU fallback, data-type bytes.

The test CPU profile (hw_helpers.cpu_profile_text) has peak 1e9 MAC/s and
1e9 element-wise ops/s, efficiency 0.5 for every class, an L2 of 1 MiB at
1e10 bytes/s, DRAM at 1e9 bytes/s and 1 us of overhead per kernel.
"""

from __future__ import annotations

import pytest

import graphcost
from conftest import parse_model
from hw_helpers import cpu_profile_text, npu_profile_text, write_text

BIG_POINTWISE_CONV = """
g (float[1,64,32,32] x) => (float[1,128,32,32] y) <float[128,64,1,1] w> {
  y = Conv(x, w)
}
"""
BIG_ADD = """
g (float[1,64,64,64] a, float[1,64,64,64] b) => (float[1,64,64,64] y) {
  y = Add(a, b)
}
"""
TINY_RELU = """
g (float[1,16] x) => (float[1,16] y) {
  y = Relu(x)
}
"""
CONV_SOFTPLUS_CONV = """
g (float[1,8,16,16] x) => (float[1,8,16,16] y) <float[8,8,1,1] w1, float[8,8,1,1] w2> {
  a = Conv(x, w1)
  s = Softplus(a)
  y = Conv(s, w2)
}
"""
CONV_THEN_ADD = """
g (float[1,16,16,16] x) => (float[1,16,16,16] z) <float[16,16,1,1] w> {
  y = Conv(x, w)
  z = Add(y, x)
}
"""


@pytest.fixture
def cpu_profile(tmp_path) -> str:
    return str(write_text(tmp_path, "test-cpu.toml", cpu_profile_text()))


def only_kernel(text: str, profile: str):
    report = graphcost.analyze(parse_model(text), hw=profile)
    (kernel,) = report.kernels.kernels
    (latency,) = report.latency.kernels
    return kernel, latency


def test_pointwise_conv_compute_bound(cpu_profile):
    kernel, latency = only_kernel(BIG_POINTWISE_CONV, cpu_profile)

    # MACs: 128 output channels x 64 inputs x 32 x 32 positions = 8,388,608.
    # The conv has no bias, so it has no element-wise ops.
    assert (kernel.kernel_class, kernel.macs, kernel.elementwise_ops) == ("conv_1x1", 8_388_608, 0)
    # Bytes: input 64*32*32*4 = 262,144, weights 128*64*4 = 32,768, output
    # 128*32*32*4 = 524,288: 819,200 in all, within the 1 MiB L2.
    assert latency.scaled_bytes == 819_200
    assert latency.memory_level == "L2"
    # Compute 8,388,608 / (1e9 * 0.5) = 16.777216 ms, memory 819,200 / 1e10 = 81.92 us.
    assert latency.compute_s == pytest.approx(0.016777216)
    assert latency.memory_s == pytest.approx(8.192e-5)
    assert latency.bound == "compute"
    # Latency = max(compute, memory) + 1 us overhead.
    assert latency.overhead_s == pytest.approx(1e-6)
    assert latency.latency_s == pytest.approx(0.016777216 + 1e-6)
    # 2 FLOPs per MAC: 16,777,216 / 819,200 = 20.48 FLOP/byte.
    assert latency.arithmetic_intensity == pytest.approx(20.48)


def test_big_add_memory_bound(cpu_profile):
    kernel, latency = only_kernel(BIG_ADD, cpu_profile)

    # 64*64*64 = 262,144 additions.
    assert (kernel.kernel_class, kernel.macs, kernel.elementwise_ops) == ("elementwise", 0, 262_144)
    # Bytes: two inputs of 1,048,576 and one output of 1,048,576 = 3,145,728,
    # more than the L2 holds, so read from DRAM.
    assert latency.scaled_bytes == 3_145_728
    assert latency.memory_level == "DRAM"
    # Compute 262,144 / (1e9 * 0.5) = 0.524288 ms, memory 3,145,728 / 1e9 = 3.145728 ms.
    assert latency.compute_s == pytest.approx(5.24288e-4)
    assert latency.memory_s == pytest.approx(3.145728e-3)
    assert latency.bound == "memory"
    assert latency.latency_s == pytest.approx(3.145728e-3 + 1e-6)
    # 262,144 FLOPs / 3,145,728 bytes = 1/12 FLOP/byte.
    assert latency.arithmetic_intensity == pytest.approx(1 / 12)


def test_tiny_relu_overhead_bound(cpu_profile):
    kernel, latency = only_kernel(TINY_RELU, cpu_profile)

    # 16 ops take 16 / 5e8 = 32 ns and 128 bytes take 12.8 ns from L2, both below the 1 us overhead.
    assert kernel.elementwise_ops == 16
    assert latency.compute_s == pytest.approx(3.2e-8)
    assert latency.memory_s == pytest.approx(1.28e-8)
    assert latency.bound == "overhead"
    assert latency.latency_s == pytest.approx(3.2e-8 + 1e-6)


def test_total_sums_kernels(cpu_profile):
    report = graphcost.analyze(parse_model(CONV_THEN_ADD), hw=cpu_profile)

    assert len(report.latency.kernels) == 2
    assert report.latency.total_s == pytest.approx(sum(kernel.latency_s for kernel in report.latency.kernels))


@pytest.fixture
def npu_report(tmp_path, cpu_profile):
    """Analyze Conv -> Softplus -> Conv on an int8 NPU that supports only Conv, with the test CPU as fallback."""
    profile = write_text(tmp_path, "test-npu.toml", npu_profile_text(cpu_profile, ["Conv"]))
    return graphcost.analyze(parse_model(CONV_SOFTPLUS_CONV), hw=str(profile))


def test_npu_unsupported_op_on_fallback(npu_report):
    kernels = npu_report.kernels.kernels
    latencies = npu_report.latency.kernels

    assert [kernel.op_types for kernel in kernels] == [["Conv"], ["Softplus"], ["Conv"]]
    assert [latency.device for latency in latencies] == ["test-npu", "test-cpu", "test-npu"]
    assert npu_report.latency.fallback_kernels == [kernels[1].id]


def test_npu_fallback_transfer_cost(npu_report):
    conv_in, softplus, conv_out = npu_report.latency.kernels

    # Two tensors cross: a (NPU -> CPU) and s (CPU -> NPU), each 8*16*16
    # values. The model stays int8 on the CPU, so each is 2,048 bytes:
    # 4,096 bytes / 1e9 bytes/s + 2 crossings * 10 us = 24.096 us.
    assert softplus.transfer_s == pytest.approx(4_096 / 1e9 + 2 * 1e-5)
    assert conv_in.transfer_s == 0
    assert conv_out.transfer_s == 0
    # On the test CPU, Softplus costs 3 ops per value: 6,144 / 5e8 = 12.288 us,
    # above the 0.4096 us for its 4,096 int8 bytes from L2, plus the CPU's 1 us overhead.
    assert softplus.compute_s == pytest.approx(1.2288e-5)
    assert softplus.memory_s == pytest.approx(4.096e-7)
    assert softplus.overhead_s == pytest.approx(1e-6)
    assert softplus.latency_s == pytest.approx(1.2288e-5 + 1e-6 + 2.4096e-5)
    # The copies take longer than the compute, so they bound the kernel.
    assert softplus.bound == "transfer"


def test_npu_supported_op_stays_on_npu(tmp_path, cpu_profile):
    profile = write_text(tmp_path, "test-npu.toml", npu_profile_text(cpu_profile, ["Conv", "Softplus"]))
    report = graphcost.analyze(parse_model(CONV_SOFTPLUS_CONV), hw=str(profile))

    assert report.latency.fallback_kernels == []
    assert {latency.device for latency in report.latency.kernels} == {"test-npu"}
    assert all(latency.transfer_s == 0 for latency in report.latency.kernels)


@pytest.mark.parametrize(("dtype", "divisor"), [("float32", 1), ("float16", 2), ("int8", 4)])
def test_scaled_bytes_follow_dtype(dtype, divisor, tmp_path):
    profile = write_text(tmp_path, f"{dtype}.toml", cpu_profile_text(dtype=dtype))
    report = graphcost.analyze(parse_model(CONV_THEN_ADD), hw=str(profile))
    conv, add = report.latency.kernels

    # float32 bytes: conv reads 16*16*16*4 = 16,384, weights 16*16*4 = 1,024,
    # writes 16,384 (33,792 in all). The Add reads 2 * 16,384 and writes
    # 16,384 (49,152). The device's data type divides both.
    assert conv.scaled_bytes == 33_792 // divisor
    assert add.scaled_bytes == 49_152 // divisor
    # Everything fits the L2, so memory time is scaled bytes / 1e10 bytes/s.
    assert add.memory_s == pytest.approx(49_152 / divisor / 1e10)


CONV_BIAS_RELU = """
g (float[1,8,16,16] x) => (float[1,16,16,16] y) <float[16,8,1,1] w, float[16] b> {
  a = Conv(x, w, b)
  y = Relu(a)
}
"""
CONV_BIAS = """
g (float[1,8,16,16] x) => (float[1,16,16,16] y) <float[16,8,1,1] w, float[16] b> {
  y = Conv(x, w, b)
}
"""


def with_epilogue(text: str, efficiency: float) -> str:
    return text.replace("[[memory]]", f'conv_epilogue = {{ value = {efficiency}, source = "test value" }}\n\n[[memory]]', 1)


@pytest.mark.parametrize("graph", [CONV_BIAS_RELU, CONV_BIAS])
def test_epilogue_priced_per_output(graph, tmp_path):
    """With conv_epilogue, a conv kernel pays one operation per output value, fused ReLU or not."""
    profile = write_text(tmp_path, "epilogue.toml", with_epilogue(cpu_profile_text(), 0.125))
    kernel, latency = only_kernel(graph, str(profile))

    # MACs 16 x 8 x 16 x 16 = 32,768 at 5e8 MAC/s = 65.536 us. Outputs
    # 16 x 16 x 16 = 4,096 at 1e9 x 0.125 ops/s = 32.768 us.
    assert kernel.macs == 32_768
    assert latency.compute_s == pytest.approx(6.5536e-5 + 3.2768e-5)


def test_epilogue_without_field_counts_operations(cpu_profile):
    """Without conv_epilogue, the bias add and ReLU count as element-wise operations at the elementwise efficiency."""
    kernel, latency = only_kernel(CONV_BIAS_RELU, cpu_profile)

    # Bias 4,096 + ReLU 4,096 = 8,192 operations at 5e8 ops/s = 16.384 us.
    assert kernel.elementwise_ops == 8_192
    assert latency.compute_s == pytest.approx(6.5536e-5 + 1.6384e-5)


def custom_op_model():
    """Return a model whose one node is an op of a custom domain, which has no cost formula."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Blur", ["x"], ["y"], domain="com.example")],
        "custom",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16])],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=8)


def test_uncosted_kernel_bound_unknown(cpu_profile):
    """A kernel with an uncosted node has unknown work, so the latency model does not claim what bounds it."""
    report = graphcost.analyze(custom_op_model(), hw=cpu_profile)
    (kernel,), (latency,) = report.kernels.kernels, report.latency.kernels

    assert kernel.uncosted_nodes == 1
    assert latency.bound == "unknown"
    # The JSON dict, like --format json, gives None for the unknown bound.
    assert report.to_dict()["latency"]["kernels"][0]["bound"] is None


def test_uncosted_kernel_dict_work_unknown():
    """The API's kernel dict gives None, not 0, for the work of a kernel whose only node is uncosted."""
    kernel = graphcost.analyze(custom_op_model()).to_dict()["kernels"]["kernels"][0]

    assert kernel["macs"] is None
    assert kernel["elementwise_ops"] is None
    assert kernel["uncosted_nodes"] == 1
