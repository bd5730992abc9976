"""Uncosted nodes in diff, explain and their renderings: listed per side, warned about once per model."""

from __future__ import annotations

import json

import pytest
from diff_helpers import conv_net, custom_op_net, if_with_custom_branch, load_named

from graphcost.cli import main
from graphcost.diff.compare import UncostedNode, diff_models
from graphcost.diff.explain import explain
from graphcost.load import load
from graphcost.report.diff_render import render_diff

UNCOSTED_WARNING = "nodes are uncosted"


@pytest.fixture
def custom_vs_plain():
    return diff_models(load_named(custom_op_net(), "custom.onnx"), load_named(conv_net(), "plain.onnx"), "pixel4-cpu")


def test_diff_lists_uncosted_per_side(custom_vs_plain):
    assert [(node.key, node.op_type) for node in custom_vs_plain.a.uncosted_nodes] == [("Blur_1", "Blur"), ("Relu_2", "Relu")]
    assert "custom op of domain 'com.example'" in custom_vs_plain.a.uncosted_nodes[0].reason
    assert "unknown" in custom_vs_plain.a.uncosted_nodes[1].reason
    assert custom_vs_plain.b.uncosted_nodes == []


def test_diff_json_has_uncosted_nodes(custom_vs_plain):
    data = json.loads(render_diff(custom_vs_plain, "json"))
    assert data["a"]["uncosted_nodes"][0] == {
        "key": "Blur_1",
        "op_type": "Blur",
        "reason": custom_vs_plain.a.uncosted_nodes[0].reason,
    }
    assert data["a"]["uncosted_op_types"] == {"Blur": 1, "Relu": 1}
    assert data["b"]["uncosted_nodes"] == []
    assert data["b"]["uncosted_op_types"] == {}


@pytest.mark.parametrize("output_format", ["table", "markdown"])
def test_diff_text_lists_uncosted_nodes(custom_vs_plain, output_format):
    text = render_diff(custom_vs_plain, output_format)
    assert "Uncosted nodes" in text
    assert "Blur_1" in text
    assert "Relu_2" in text
    assert "custom op of domain 'com.example': no cost formula" in text
    assert "uncosted in A: 2 nodes (Blur x1, Relu x1)" in text
    assert "uncosted in B: none" in text


def test_diff_counts_uncosted_body_nodes():
    report = diff_models(load(if_with_custom_branch()), load(conv_net()), "pixel1-cpu")
    assert report.a.uncosted_nodes == []
    assert report.a.uncosted_op_types == {"Blur": 1}
    text = render_diff(report, "table")
    assert "uncosted in A: 1 node (Blur x1)" in text
    assert "1 node in If/Loop/Scan bodies" in text
    assert "has 1 uncosted node (Blur x1)" in explain(report)


def test_diff_op_types_mark_uncosted_nodes(custom_vs_plain):
    html = render_diff(custom_vs_plain, "html")
    assert "A uncosted" in html
    assert "B uncosted" in html


def test_diff_without_uncosted_has_no_section():
    report = diff_models(load(conv_net()), load(conv_net(groups=4)), "pixel1-cpu")
    text = render_diff(report, "table")
    assert "uncosted in A: none" in text
    assert "Uncosted nodes" not in text
    assert "A uncosted" not in text


def test_explain_says_totals_are_lower_bounds(custom_vs_plain):
    text = explain(custom_vs_plain)
    assert "custom has 2 uncosted nodes (Blur x1, Relu x1)" in text
    assert "custom's latency, MACs and bytes are lower bounds" in text
    assert "and custom at least " in text
    assert "plain takes at least" not in text


def test_explain_silent_about_uncosted_when_none():
    text = explain(diff_models(load(conv_net()), load(conv_net(groups=4)), "pixel1-cpu"))
    assert "uncosted" not in text
    assert "at least" not in text


@pytest.mark.parametrize("command", ["diff", "explain"])
def test_uncosted_warning_once_per_model(save_model, capsys, command):
    custom = save_model(custom_op_net(), "custom.onnx")
    plain = save_model(conv_net(), "plain.onnx")
    assert main([command, str(custom), str(plain), "--hw", "pixel4-cpu"]) == 0
    output = capsys.readouterr()
    warnings = [line for line in output.err.splitlines() if UNCOSTED_WARNING in line]
    assert warnings == [f"graphcost: WARNING: {custom}: 2 nodes are uncosted (no cost formula, or an unknown shape), so the totals are lower bounds: Blur x1, Relu x1"]
    assert "2 uncosted nodes" in output.out or "uncosted in A: 2 nodes" in output.out


def test_uncosted_warning_once_per_side(save_model, capsys):
    custom = save_model(custom_op_net(), "custom.onnx")
    assert main(["diff", str(custom), str(custom), "--hw", "pixel1-cpu"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if UNCOSTED_WARNING in line]
    assert len(warnings) == 2


def test_uncosted_node_to_dict():
    node = UncostedNode(key="Blur_1", op_type="Blur", reason="no formula")
    assert node.to_dict() == {"key": "Blur_1", "op_type": "Blur", "reason": "no formula"}


def test_diff_html_lists_uncosted_nodes(custom_vs_plain):
    page = render_diff(custom_vs_plain, "html")
    assert "<h2>Uncosted nodes (compute not counted, totals are lower bounds)</h2>" in page
    assert "<td>Blur_1</td>" in page


def test_diff_html_without_uncosted_has_no_section():
    report = diff_models(load(conv_net()), load(conv_net()), "pixel1-cpu")
    assert "Uncosted nodes" not in render_diff(report, "html")
