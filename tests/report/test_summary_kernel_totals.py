"""The summary names the kernel table's params and element-wise ops where they differ from the node totals, and why."""

from __future__ import annotations

import pytest

import graphcost
from conftest import parse_model
from graphcost.report import render
from report_helpers import conv_relu_model, parse_page

# Conv with BatchNormalization kept as a node, which a kernel folds into the conv's bias.
CONV_BN_RELU = """
g (float[1,4,16,16] x) => (float[1,8,16,16] y)
  <float[8,4,1,1] w, float[8] s, float[8] b, float[8] m, float[8] v> {
  c = Conv(x, w)
  n = BatchNormalization(c, s, b, m, v)
  y = Relu(n)
}
"""
# An int8 conv in QDQ form, whose kernel runs the quantize and dequantize steps inside the conv.
QDQ_CONV = """
g (float[1,4,16,16] x) => (float[1,8,16,16] y) <float sc = {0.1}, int8 zp = {0}, int8[8,4,3,3] wq> {
  xq = QuantizeLinear(x, sc, zp)
  xd = DequantizeLinear(xq, sc, zp)
  wd = DequantizeLinear(wq, sc, zp)
  c = Conv <pads=[1,1,1,1]> (xd, wd)
  cq = QuantizeLinear(c, sc, zp)
  y = DequantizeLinear(cq, sc, zp)
}
"""
BN_REASON = "BatchNormalization is folded into its conv"
QDQ_REASON = "an int8 conv or FC kernel counts no element-wise ops for its quantize and dequantize steps"


def kernel_sums(report) -> tuple[int, int]:
    kernels = report.kernels.kernels
    return sum(kernel.param_count for kernel in kernels), sum(kernel.elementwise_ops for kernel in kernels)


def kernel_totals_line(text: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith("kernel totals: ")]
    return line


def test_summary_states_folded_batchnorm():
    report = graphcost.analyze(parse_model(CONV_BN_RELU))
    params, elementwise_ops = kernel_sums(report)

    text = render(report, "table", "kernel")
    lines = text.splitlines()
    line = kernel_totals_line(text)

    assert params != report.totals.param_count
    assert elementwise_ops != report.totals.elementwise_ops
    assert f"params: {report.totals.param_count:,} " in text, "the node totals stay"
    assert f"params {params:,}," in line
    assert f"element-wise ops {elementwise_ops:,} " in line
    assert BN_REASON in line
    assert QDQ_REASON not in line
    kernels_index = next(index for index, text_line in enumerate(lines) if text_line.startswith("kernels ("))
    assert lines[kernels_index + 1] == line, "right after the kernels line"
    (total_row,) = [text_line.split() for text_line in lines if text_line.startswith("total ")]
    assert f"{params:,}" in total_row, "the kernel table's total row shows the same params"


def test_summary_states_qdq_in_int8_kernel():
    report = graphcost.analyze(parse_model(QDQ_CONV))
    params, elementwise_ops = kernel_sums(report)

    line = kernel_totals_line(render(report, "table"))

    assert elementwise_ops != report.totals.elementwise_ops
    assert f"params {params:,}," in line
    assert f"element-wise ops {elementwise_ops:,} " in line
    assert QDQ_REASON in line
    assert BN_REASON not in line


def test_summary_without_kernel_difference():
    text = render(graphcost.analyze(conv_relu_model()), "table")

    assert "kernel totals:" not in text


@pytest.mark.parametrize("output_format", ["markdown", "html"])
def test_kernel_totals_in_every_summary(output_format):
    report = graphcost.analyze(parse_model(CONV_BN_RELU))

    text = render(report, output_format, "node")

    if output_format == "html":
        text = parse_page(text).text
    assert "kernel totals: " in text
    assert BN_REASON in text
