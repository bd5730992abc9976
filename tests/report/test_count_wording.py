"""Counts in report lines take the singular for one: '1 kernel', '1 pattern not fused'."""

from __future__ import annotations

import pytest

import graphcost
from conftest import parse_model
from graphcost.report import render
from graphcost.report.render import count_text
from report_helpers import custom_op_model

# One Conv and its residual Add, which pixel1-cpu cannot fuse: one unfused pattern.
RESIDUAL = "residual (float[1,8,4,4] x) => (float[1,8,4,4] y) <float[8,8,1,1] w> { c = Conv(x, w)\n y = Add(c, x) }"
SINGLE_RELU = "single (float[1,8] x) => (float[1,8] y) { y = Relu(x) }"


@pytest.mark.parametrize(
    "count, expected",
    [(0, "0 kernels"), (1, "1 kernel"), (2, "2 kernels"), (1234, "1234 kernels")],
)
def test_count_text(count, expected):
    assert count_text(count, "kernel") == expected


def test_count_text_irregular_plural():
    assert count_text(1, "pass", "passes") == "1 pass"
    assert count_text(3, "pass", "passes") == "3 passes"


def test_single_kernel_and_node():
    report = graphcost.analyze(parse_model(SINGLE_RELU), hw="pixel1-cpu")

    node_text = render(report, "table", "node")
    kernel_text = render(report, "table", "kernel")

    assert "1 node\n" in node_text
    assert "1 kernel " in kernel_text
    assert "over 1 kernel (" in kernel_text
    assert "1 nodes" not in node_text
    assert "1 kernels" not in kernel_text


def test_single_unfused_pattern():
    text = render(graphcost.analyze(parse_model(RESIDUAL), hw="pixel1-cpu"), "table", "kernel")

    assert "; 1 pattern not fused (" in text
    assert "1 patterns" not in text


def test_single_fallback_kernel():
    # Only the custom op's kernel runs on the fallback CPU.
    text = render(graphcost.analyze(custom_op_model(), hw="pixel-npu"), "table", "kernel")

    assert "1 kernel falls back to pixel4-cpu: " in text
    assert "1 kernels" not in text
