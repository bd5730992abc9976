"""Uncosted nodes in every report: grouped by reason, '-' for unknown work, totals marked as lower bounds."""

from __future__ import annotations

import csv
import io
import json

import onnx
import pytest

import graphcost
from conftest import run_cli
from graphcost.report import render
from report_helpers import (
    CONV_MACS,
    RELU_OPS,
    conv_relu_model,
    custom_op_model,
    if_body_model,
    parse_page,
    partial_kernel_model,
)


@pytest.fixture
def custom_path(tmp_path):
    path = tmp_path / "custom.onnx"
    onnx.save(custom_op_model(), path)
    return path


def table_rows(text: str) -> dict[str, list[str]]:
    """Return the plain-text table's rows split on runs of two spaces, keyed by node, op type or kernel id."""
    rows = {}
    for line in text.split("\n\n", 1)[0].splitlines()[2:]:
        cells = [cell for cell in line.split("  ") if cell.strip()]
        cells = [cell.strip() for cell in cells]
        key = cells[1] if cells[0].isdigit() else cells[0]
        rows[key] = cells
    return rows


def summary_lines(text: str) -> list[str]:
    return text.split("\n\n", 1)[1].splitlines()


def test_summary_groups_uncosted_by_reason():
    text = render(graphcost.analyze(custom_op_model()), "table")
    lines = summary_lines(text)

    assert "uncosted, no compute formula: Fancy x1" in lines
    assert "uncosted, a tensor shape its formula needs is unknown: Relu x1" in lines
    assert not any("Relu" in line and "no compute formula" in line for line in lines)


def test_summary_names_if_body_nodes():
    lines = summary_lines(render(graphcost.analyze(if_body_model()), "table"))

    assert "uncosted, inside an If, Loop or Scan body: Fancy x1" in lines
    assert any(line.startswith("MACs: at least 0 ") for line in lines)


def test_summary_without_uncosted_nodes():
    lines = summary_lines(render(graphcost.analyze(conv_relu_model()), "table"))

    assert "uncosted: none" in lines
    assert f"MACs: {CONV_MACS:,} (0.02 M); element-wise ops: {RELU_OPS:,}" in lines


def test_node_table_marks_unknown_work():
    rows = table_rows(render(graphcost.analyze(custom_op_model()), "table", "node"))

    # Cells: index, node, op, output shape, MACs, MACs share, element-wise ops, ...
    for key in ("fancy", "last_relu"):
        assert rows[key][4:7] == ["-", "-", "-"], rows[key]
    assert rows["conv"][4] == f"{CONV_MACS / 1e6:,.3f}"
    assert rows["total"][1] == f">= {CONV_MACS / 1e6:,.3f}"
    assert rows["total"][3] == f">= {RELU_OPS / 1e6:,.3f}"


def test_op_type_table_marks_partial_groups():
    rows = table_rows(render(graphcost.analyze(custom_op_model()), "table", "op-type"))

    assert rows["Fancy"][2:5] == ["-", "-", "-"]
    # One Relu is costed and one is not, so the Relu sums are lower bounds.
    assert rows["Relu"][2] == ">= 0.000"
    assert rows["Relu"][4] == f">= {RELU_OPS / 1e6:,.3f}"
    assert rows["Conv"][2] == f"{CONV_MACS / 1e6:,.3f}"
    assert rows["total"][2] == f">= {CONV_MACS / 1e6:,.3f}"


def test_kernel_table_marks_latency_lower_bounds():
    report = graphcost.analyze(custom_op_model(), hw="pixel-npu")
    text = render(report, "table", "kernel")
    rows = table_rows(text)
    latency = {item.kernel_id: item for item in report.latency.kernels}

    (fancy_kernel,) = [kernel.id for kernel in report.kernels.kernels if kernel.nodes == ["fancy"]]
    (conv_kernel,) = [kernel.id for kernel in report.kernels.kernels if "conv" in kernel.nodes]
    assert rows[fancy_kernel][4] == "-"
    assert f">= {latency[fancy_kernel].latency_s * 1e3:.3f}" in rows[fancy_kernel]
    assert f"{latency[conv_kernel].latency_s * 1e3:.3f}" in rows[conv_kernel]
    assert f">= {report.latency.total_s * 1e3:.3f}" in rows["total"]
    assert f"latency on pixel-npu: at least {report.latency.total_s * 1e3:.2f} ms" in text


def test_markdown_marks_lower_bounds():
    text = render(graphcost.analyze(custom_op_model()), "markdown", "node")
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]
    (fancy,) = [row for row in rows if row[1] == "fancy"]
    (total,) = [row for row in rows if row[1] == "total"]

    assert fancy[4:7] == ["-", "-", "-"]
    assert total[4] == f">= {CONV_MACS / 1e6:,.3f}"
    assert f"- MACs: at least {CONV_MACS:,} " in text


def test_html_marks_lower_bounds():
    report = graphcost.analyze(custom_op_model(), hw="pixel1-cpu")
    page = parse_page(render(report, "html", "node"))
    figures = {element.attributes["data-json-path"]: element.text for element in page.find("dd")}

    assert figures["totals.macs"] == f"at least {CONV_MACS / 1e6:,.2f} M"
    assert figures["latency.total_s"] == f"at least {report.latency.total_s * 1e3:,.2f} ms"
    assert figures["totals.bytes_moved"].startswith("at least ")
    assert figures["kernels.bytes_moved"].startswith("at least ")
    assert page.data()["totals_are_lower_bounds"] is True
    cells = [element.text.strip() for element in page.elements if element.tag == "td"]
    assert f">= {CONV_MACS / 1e6:,.3f}" in cells


@pytest.mark.parametrize("model, expected", [(custom_op_model, True), (if_body_model, True), (conv_relu_model, False)])
def test_json_states_lower_bounds(model, expected):
    data = json.loads(render(graphcost.analyze(model()), "json"))

    assert data["totals_are_lower_bounds"] is expected
    assert list(data).index("totals_are_lower_bounds") == list(data).index("totals") + 1


def test_figures_exact_without_uncosted():
    page = parse_page(render(graphcost.analyze(conv_relu_model()), "html", "node"))
    figures = {element.attributes["data-json-path"]: element.text for element in page.find("dd")}

    assert figures["totals.macs"] == f"{CONV_MACS / 1e6:,.2f} M"
    assert page.data()["totals_are_lower_bounds"] is False


def test_cli_table_for_custom_model(custom_path, capsys):
    result = run_cli(["analyze", custom_path], capsys)

    assert result.status == 0, result.stderr
    assert "0.000  uncosted" not in result.stdout
    assert "uncosted, a tensor shape its formula needs is unknown: Relu x1" in result.stdout


def test_node_csv_leaves_unknown_work_empty(custom_path, capsys):
    result = run_cli(["analyze", custom_path, "--format", "csv", "--group-by", "node"], capsys)

    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    for key in ("fancy", "last_relu"):
        assert rows[key]["status"] == "uncosted"
        assert rows[key]["macs"] == "", f"the MACs of uncosted {key} are unknown, not {rows[key]['macs']!r}"
        assert rows[key]["elementwise_ops"] == ""
    assert rows["fancy"]["read_bytes"] == str(8 * 16 * 16 * 4), "bytes of tensors of known shape are still counted"
    assert rows["conv"]["macs"] == str(CONV_MACS)
    assert rows["first_relu"]["elementwise_ops"] == str(RELU_OPS)


def test_node_json_unknown_work_null(custom_path, capsys):
    result = run_cli(["analyze", custom_path, "--format", "json"], capsys)

    nodes = {node["key"]: node for node in json.loads(result.stdout)["nodes"]}
    for key in ("fancy", "last_relu"):
        assert nodes[key]["macs"] is None, key
        assert nodes[key]["elementwise_ops"] is None, key
    assert nodes["fancy"]["bytes_moved"] > 0
    assert nodes["conv"]["macs"] == CONV_MACS
    assert nodes["first_relu"]["elementwise_ops"] == RELU_OPS


def test_api_node_dict_unknown_work_null():
    """The Python API's dicts mark unknown work too, while the NodeCost attributes stay ints for sums."""
    report = graphcost.analyze(custom_op_model())
    rows = {row.key: row for row in report.rows}

    nodes = {node["key"]: node for node in report.to_dict()["nodes"]}

    assert nodes["fancy"]["macs"] is None
    assert nodes["fancy"]["elementwise_ops"] is None
    assert rows["fancy"].to_dict()["macs"] is None
    assert rows["fancy"].macs == 0
    assert rows["fancy"].elementwise_ops == 0
    assert nodes["conv"]["macs"] == CONV_MACS


@pytest.mark.parametrize("model, expected", [(custom_op_model, True), (conv_relu_model, False)])
def test_api_dict_states_lower_bounds(model, expected):
    """The Python API's report dict carries the flag too, not only the CLI's JSON."""
    report = graphcost.analyze(model())

    assert report.totals_are_lower_bounds is expected
    assert report.to_dict()["totals_are_lower_bounds"] is expected


def kernel_ids(report) -> dict[str, str]:
    """Return the id of each kernel of ``report``, keyed by its first node."""
    return {kernel.nodes[0]: kernel.id for kernel in report.kernels.kernels}


def csv_rows(text: str, column: str) -> dict[str, dict[str, str]]:
    return {row[column]: row for row in csv.DictReader(io.StringIO(text))}


def test_kernel_csv_marks_uncosted_kernels():
    report = graphcost.analyze(custom_op_model(), hw="pixel-npu")
    ids = kernel_ids(report)

    rows = csv_rows(render(report, "csv", "kernel"), "id")

    costed, fancy = rows[ids["conv"]], rows[ids["fancy"]]
    assert costed["status"] == "costed"
    assert costed["uncosted_nodes"] == "0"
    assert costed["macs"] == str(CONV_MACS)
    assert costed["arithmetic_intensity"] != ""
    assert fancy["status"] == "uncosted"
    assert fancy["uncosted_nodes"] == "1"
    for field in ("macs", "elementwise_ops", "compute_s", "arithmetic_intensity"):
        assert fancy[field] == "", f"{field} of an uncosted kernel is unknown, not {fancy[field]!r}"
    assert fancy["latency_s"] != "", "the latency of the bytes and overhead is still a lower bound"


def test_kernel_csv_keeps_partial_sums():
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    ids = kernel_ids(report)

    row = csv_rows(render(report, "csv", "kernel"), "id")[ids["conv"]]

    assert row["nodes"] == "conv add"
    assert row["status"] == "uncosted"
    assert row["uncosted_nodes"] == "1"
    assert row["macs"] == str(CONV_MACS), "a lower bound, as '>=' in the table"
    assert row["compute_s"] != ""
    assert row["arithmetic_intensity"] == ""


def test_kernel_table_hides_uncosted_intensity():
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    rows = table_rows(render(report, "table", "kernel"))

    for kernel_id in kernel_ids(report).values():
        assert rows[kernel_id][-1] == "-", rows[kernel_id]


def test_kernel_json_marks_uncosted_kernels():
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    ids = kernel_ids(report)

    data = json.loads(render(report, "json"))

    kernels = {kernel["id"]: kernel for kernel in data["kernels"]["kernels"]}
    latency = {item["kernel_id"]: item for item in data["latency"]["kernels"]}
    fancy, partial = kernels[ids["fancy"]], kernels[ids["conv"]]
    assert fancy["status"] == "uncosted"
    assert fancy["uncosted_nodes"] == 1
    assert fancy["macs"] is None
    assert fancy["elementwise_ops"] is None
    assert latency[ids["fancy"]]["compute_s"] is None
    assert latency[ids["fancy"]]["arithmetic_intensity"] is None
    assert partial["status"] == "uncosted"
    assert partial["uncosted_nodes"] == 1
    assert partial["macs"] == CONV_MACS
    assert latency[ids["conv"]]["arithmetic_intensity"] is None


def test_kernel_json_costed_kernel_unchanged():
    report = graphcost.analyze(conv_relu_model(), hw="pixel-npu")
    data = json.loads(render(report, "json"))

    (kernel,) = data["kernels"]["kernels"]
    (item,) = data["latency"]["kernels"]

    assert kernel["status"] == "costed"
    assert kernel["uncosted_nodes"] == 0
    assert kernel["macs"] == CONV_MACS
    assert item["arithmetic_intensity"] == report.latency.kernels[0].arithmetic_intensity


def test_op_type_csv_counts_uncosted_nodes():
    report = graphcost.analyze(custom_op_model())

    rows = csv_rows(render(report, "csv", "op-type"), "op_type")

    assert rows["Conv"]["uncosted_nodes"] == "0"
    assert rows["Conv"]["macs"] == str(CONV_MACS)
    assert rows["Relu"]["node_count"] == "2"
    assert rows["Relu"]["uncosted_nodes"] == "1"
    assert rows["Relu"]["elementwise_ops"] == str(RELU_OPS), "a lower bound, as '>=' in the table"
    assert rows["Fancy"]["uncosted_nodes"] == "1"
    assert rows["Fancy"]["macs"] == ""
    assert rows["Fancy"]["elementwise_ops"] == ""


def test_op_type_json_counts_uncosted_nodes():
    data = json.loads(render(graphcost.analyze(custom_op_model()), "json"))

    assert data["by_op_type"]["Conv"]["uncosted_nodes"] == 0
    assert data["by_op_type"]["Relu"]["uncosted_nodes"] == 1
    assert data["by_op_type"]["Relu"]["elementwise_ops"] == RELU_OPS
    assert data["by_op_type"]["Fancy"]["uncosted_nodes"] == 1
    assert data["by_op_type"]["Fancy"]["macs"] is None


def test_summary_bytes_lower_bound():
    report = graphcost.analyze(custom_op_model(), hw="pixel-npu")
    lines = summary_lines(render(report, "table"))
    kernel_bytes = sum(kernel.bytes_moved for kernel in report.kernels.kernels)

    assert f"bytes moved: at least {report.totals.bytes_moved:,} " in "\n".join(lines)
    assert f"moving at least {kernel_bytes:,} bytes" in "\n".join(lines)


def test_summary_bytes_exact_without_uncosted():
    report = graphcost.analyze(conv_relu_model(), hw="pixel-npu")
    text = "\n".join(summary_lines(render(report, "table")))

    assert f"bytes moved: {report.totals.bytes_moved:,} " in text
    assert "at least" not in text


def test_roofline_leaves_out_uncosted_kernels():
    """A kernel with an uncosted node has unknown FLOP, so the roofline does not place it."""
    from graphcost.report.html.charts import roofline_points

    # On pixel-npu the costed Conv and the uncosted Add share one kernel, which has MACs.
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    (mixed,) = [kernel for kernel in report.kernels.kernels if {"conv", "add"} <= set(kernel.nodes)]
    points, _ = roofline_points(report)

    assert mixed.macs > 0
    assert mixed.id not in {point.kernel_id for point in points}


def bar_tooltips(page) -> dict[str, str]:
    """Return the tooltip of each bar of the kernel bar chart, keyed by kernel id."""
    tooltips = {}
    for index, element in enumerate(page.elements):
        if element.tag == "rect" and element.attributes.get("class") == "kernel-bar":
            title = page.elements[index + 1]
            assert title.tag == "title"
            tooltips[element.attributes["data-kernel"]] = title.text
    return tooltips


def test_kernel_bound_unknown_in_table():
    report = graphcost.analyze(partial_kernel_model(), hw="pixel1-cpu")
    ids = kernel_ids(report)

    text = render(report, "table", "kernel")
    rows = table_rows(text)

    # Cells of a kernel row end in: latency, latency share, bound, FLOP/byte.
    assert rows[ids["fancy"]][-2] == "unknown"
    assert rows[ids["add"]][-2] == "unknown"
    assert rows[ids["conv"]][-2] == "overhead"
    assert "(1 overhead-bound, bound unknown for 2 with uncosted nodes)" in text


def test_kernel_bound_unknown_csv_json():
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    ids = kernel_ids(report)

    rows = csv_rows(render(report, "csv", "kernel"), "id")
    data = json.loads(render(report, "json"))

    latency = {item["kernel_id"]: item for item in data["latency"]["kernels"]}
    for kernel_id in (ids["fancy"], ids["conv"]):
        assert rows[kernel_id]["bound"] == "", "a kernel with uncosted work has no known bound"
        assert latency[kernel_id]["bound"] is None
    assert rows[ids["fancy"]]["latency_s"] != ""


def test_kernel_bound_known_without_uncosted():
    report = graphcost.analyze(conv_relu_model(), hw="pixel1-cpu")

    (row,) = csv_rows(render(report, "csv", "kernel"), "id").values()
    data = json.loads(render(report, "json"))

    assert row["bound"] == report.latency.kernels[0].bound
    assert data["latency"]["kernels"][0]["bound"] == report.latency.kernels[0].bound
    assert "bound unknown" not in render(report, "table", "kernel")


def test_html_bar_tooltip_bound_unknown():
    report = graphcost.analyze(partial_kernel_model(), hw="pixel1-cpu")
    ids = kernel_ids(report)

    tooltips = bar_tooltips(parse_page(render(report, "html", "kernel")))

    assert "bound unknown on pixel1-cpu" in tooltips[ids["fancy"]]
    assert "-bound" not in tooltips[ids["fancy"]]
    assert "overhead-bound on pixel1-cpu" in tooltips[ids["conv"]]


def test_html_bar_tooltip_marks_lower_bound():
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    ids = kernel_ids(report)
    latency = {item.kernel_id: item.latency_s for item in report.latency.kernels}

    page = parse_page(render(report, "html", "kernel"))
    tooltips = bar_tooltips(page)

    for kernel_id in (ids["fancy"], ids["conv"]):
        assert f": >= {latency[kernel_id] * 1e3:,.3f} ms" in tooltips[kernel_id], "as '>=' in the kernel table"
    titles = [element.text for element in page.elements if element.tag == "text"]
    assert any(f"(total at least {report.latency.total_s * 1e3:,.2f} ms)" in title for title in titles)


def test_html_bar_tooltip_exact_without_uncosted():
    report = graphcost.analyze(conv_relu_model(), hw="pixel-npu")

    (tooltip,) = bar_tooltips(parse_page(render(report, "html", "kernel"))).values()

    assert f": {report.latency.total_s * 1e3:,.3f} ms" in tooltip
    assert ">=" not in tooltip


@pytest.mark.parametrize("model", [custom_op_model, partial_kernel_model, conv_relu_model])
def test_api_dict_equals_cli_json(model):
    """AnalysisReport.to_dict() is what --format json writes, unknown work included."""
    report = graphcost.analyze(model(), hw="pixel-npu")

    assert json.loads(render(report, "json")) == json.loads(json.dumps(report.to_dict()))
