"""A graph with no node to run: every format reports no kernels and no share of a zero total."""

from __future__ import annotations

import json

import onnx
import pytest
from onnx import TensorProto, helper

import graphcost
from conftest import parse_model
from graphcost.report import render
from report_helpers import parse_page

PROFILE = "pixel1-cpu"
NO_KERNELS = f"latency on {PROFILE}: 0 ms, no kernels to run"


def passthrough_model() -> onnx.ModelProto:
    """Return a graph without nodes whose output is its input."""
    tensor = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    graph = helper.make_graph([], "passthrough", [tensor], [tensor])
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])


@pytest.fixture(scope="module")
def report():
    return graphcost.analyze(passthrough_model(), hw=PROFILE)


def summary_lines(text: str) -> list[str]:
    return text.split("\n\n", 1)[1].splitlines()


def total_row(text: str) -> list[str]:
    (line,) = [line for line in text.split("\n\n", 1)[0].splitlines() if line.startswith("total")]
    return line.split()


@pytest.mark.parametrize("group_by", ["node", "op-type", "kernel"])
def test_table_summary_says_no_kernels(report, group_by):
    lines = summary_lines(render(report, "table", group_by))

    assert NO_KERNELS in lines
    assert f"kernels ({PROFILE} fusion rules): none" in lines
    assert not any(line.startswith("latency by kernel class") for line in lines)
    assert not any("()" in line for line in lines)


def test_kernel_table_total_has_no_share(report):
    # Cells: total, 0, kernels, MACs, MACs share, elem ops, params, read, weights, write, bytes share, latency, share.
    cells = total_row(render(report, "table", "kernel"))

    assert cells[:3] == ["total", "0", "kernels"]
    assert cells[4] == "-"
    assert cells[10] == "-"
    assert cells[11] == "0.000"
    assert cells[12] == "-", "no latency share of a zero total"
    assert "100.0" not in cells


def test_markdown_summary_says_no_kernels(report):
    text = render(report, "markdown", "kernel")

    assert f"- {NO_KERNELS}\n" in text
    assert "100.0" not in text


def test_html_summary_says_no_kernels(report):
    page = parse_page(render(report, "html", "kernel"))
    items = [element.text for element in page.find("li")]

    assert NO_KERNELS in items
    assert not any(item.startswith("latency by kernel class") for item in items)
    cells = [element.text.strip() for element in page.find("td")]
    assert "100.0" not in cells


def test_json_has_empty_kernel_lists(report):
    text = render(report, "json")

    data = json.loads(text, parse_constant=lambda constant: pytest.fail(f"non-standard JSON constant {constant}"))
    assert data["totals"]["node_count"] == 0
    assert data["by_op_type"] == {}
    assert data["kernels"]["kernels"] == []
    assert data["kernels"]["bytes_moved"] == 0
    assert data["latency"]["kernels"] == []
    assert data["latency"]["total_s"] == 0
    assert data["latency"]["by_class_s"] == {}


def test_summary_without_inputs():
    model = parse_model("g () => (float[2] y) { y = Constant <value = float[2] {1.0, 2.0}> () }")

    lines = summary_lines(render(graphcost.analyze(model, hw=PROFILE), "table"))

    assert "inputs: none" in lines
    assert NO_KERNELS in lines
