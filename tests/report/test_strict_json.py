"""Every JSON graphcost writes is strict JSON, and no report writes "inf" for a kernel that moves no bytes."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import networkx as nx
import onnx
import pytest
from onnx import TensorProto, helper

import graphcost
from conftest import run_cli
from graphcost.report import render
from graphcost.report.render import finite_floats, strict_json_text
from report_helpers import conv_relu_model, custom_op_model, parse_page

PROFILE = "pixel-npu"


def strict_loads(text: str):
    """Parse ``text`` as JSON, raising ValueError on Infinity, -Infinity and NaN, which strict JSON lacks."""

    def reject(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


@pytest.fixture
def paths(tmp_path):
    """Save the custom-op model, whose last kernel moves no bytes, and a model every formula covers."""
    custom = tmp_path / "custom.onnx"
    onnx.save(custom_op_model(), custom)
    covered = tmp_path / "covered.onnx"
    onnx.save(conv_relu_model(), covered)
    return {"custom": custom, "covered": covered}


def zero_byte_kernel(report) -> str:
    (kernel_id,) = [kernel.id for kernel in report.kernels.kernels if kernel.nodes == ["last_relu"]]
    return kernel_id


def test_report_has_infinite_intensity():
    # The case the other tests rely on: 0 FLOP over 0 bytes gives an infinite intensity in the report.
    report = graphcost.analyze(custom_op_model(), hw=PROFILE)
    latency = {item.kernel_id: item for item in report.latency.kernels}

    assert math.isinf(latency[zero_byte_kernel(report)].arithmetic_intensity)


@pytest.mark.parametrize("group_by", ["node", "op-type", "kernel"])
def test_analyze_json_strict(paths, capsys, group_by):
    result = run_cli(["analyze", paths["custom"], "--hw", PROFILE, "--format", "json", "--group-by", group_by], capsys)

    assert result.status == 0, result.stderr
    data = strict_loads(result.stdout)
    report = graphcost.analyze(custom_op_model(), hw=PROFILE)
    intensities = {item["kernel_id"]: item["arithmetic_intensity"] for item in data["latency"]["kernels"]}
    assert intensities[zero_byte_kernel(report)] is None
    assert "Infinity" not in result.stdout


def test_html_embedded_json_strict(paths, tmp_path, capsys):
    output = tmp_path / "report.html"

    result = run_cli(["analyze", paths["custom"], "--hw", PROFILE, "--format", "html", "-o", output], capsys)

    assert result.status == 0, result.stderr
    page = parse_page(output.read_text(encoding="utf-8"))
    (script,) = page.scripts
    data = strict_loads(script.text)
    assert None in [kernel["arithmetic_intensity"] for kernel in data["latency"]["kernels"]]


@pytest.mark.parametrize("command", ["diff", "whatif"])
def test_diff_and_whatif_json_strict(paths, capsys, command):
    if command == "diff":
        argv = ["diff", paths["covered"], paths["custom"], "--hw", PROFILE, "--format", "json"]
    else:
        argv = ["whatif", paths["custom"], "--hw", PROFILE, "--no-fusion", "--format", "json"]

    result = run_cli(argv, capsys)

    assert result.status == 0, result.stderr
    assert isinstance(strict_loads(result.stdout), dict)


def test_table_shows_dash_for_intensity(paths, capsys):
    report = graphcost.analyze(custom_op_model(), hw=PROFILE)
    kernel_id = zero_byte_kernel(report)

    result = run_cli(["analyze", paths["custom"], "--hw", PROFILE, "--group-by", "kernel"], capsys)

    assert result.status == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if line.startswith(kernel_id + " ")]
    assert row.split()[-1] == "-"
    assert "inf" not in result.stdout.split("\n\n")[0]


def test_csv_leaves_intensity_empty(paths, capsys):
    report = graphcost.analyze(custom_op_model(), hw=PROFILE)

    result = run_cli(["analyze", paths["custom"], "--hw", PROFILE, "--group-by", "kernel", "--format", "csv"], capsys)

    assert result.status == 0, result.stderr
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert rows[zero_byte_kernel(report)]["arithmetic_intensity"] == ""
    assert "inf" not in result.stdout


@pytest.mark.parametrize("suffix", [".graphml", ".dot"])
def test_export_omits_infinite_intensity(paths, tmp_path, capsys, suffix):
    output = tmp_path / f"kernels{suffix}"

    result = run_cli(["export", paths["custom"], "--kernels", "--hw", PROFILE, "-o", output], capsys)

    assert result.status == 0, result.stderr
    text = output.read_text(encoding="utf-8")
    # An attribute value "inf" appears as >inf< in GraphML and "inf" in DOT.
    assert re.search(r'[>"]-?inf[<"]', text) is None
    if suffix == ".graphml":
        graph = nx.read_graphml(output)
        kernel_id = zero_byte_kernel(graphcost.analyze(custom_op_model(), hw=PROFILE))
        assert "arithmetic_intensity" not in graph.nodes[kernel_id]
        assert "latency_s" in graph.nodes[kernel_id]
        costed = [data for data in graph.nodes.values() if data["status"] == "costed"]
        assert costed, "the model has costed kernels"
        assert all("arithmetic_intensity" in data for data in costed)


def empty_tensor_model() -> onnx.ModelProto:
    """Return a Relu over a 1x0 tensor: a costed kernel with no work that moves no bytes."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "empty_tensor",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 0])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 0])],
    )
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])


def test_costed_zero_byte_kernel_intensity():
    # The custom-op model's zero-byte kernel is uncosted, which alone blanks its intensity. This one is costed.
    report = graphcost.analyze(empty_tensor_model(), hw=PROFILE)
    (item,) = report.latency.kernels
    assert report.rows[0].status.value == "costed"
    assert math.isinf(item.arithmetic_intensity)

    (json_item,) = strict_loads(render(report, "json"))["latency"]["kernels"]
    (csv_row,) = csv.DictReader(io.StringIO(render(report, "csv", "kernel")))
    table_row = render(report, "table", "kernel").splitlines()[2]

    assert json_item["arithmetic_intensity"] is None
    assert csv_row["arithmetic_intensity"] == ""
    assert csv_row["status"] == "costed"
    assert table_row.split()[-1] == "-"


def test_finite_floats_nested():
    value = {"a": [1.0, float("inf"), (float("nan"), 2)], "b": {"c": -math.inf}, "d": "inf"}

    assert finite_floats(value) == {"a": [1.0, None, [None, 2]], "b": {"c": None}, "d": "inf"}


def test_strict_json_text_writes_null():
    assert strict_json_text({"x": float("inf")}, indent=None) == '{"x": null}'
