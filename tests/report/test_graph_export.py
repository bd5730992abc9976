"""graphcost export: the op and kernel graphs as GraphML and DOT, read back and compared with the analysis."""

from __future__ import annotations

import functools
import json
import re

import networkx as nx
import onnx
import pytest

import graphcost
from conftest import parse_model
from graphcost.report.export import dot_text, graphml_text, kernel_graph, op_graph
from report_helpers import (
    HOSTILE_INPUT,
    HOSTILE_NAME,
    CONV_MACS,
    MOBILENET_V2,
    SSDLITE,
    custom_op_model,
    hostile_model,
    partial_kernel_model,
    run_cli,
)

COST_FIELDS = ("macs", "elementwise_ops", "param_count", "read_bytes", "weight_bytes", "write_bytes", "bytes_moved")


@functools.cache
def loaded(path, hw=None):
    """Return (model, report) of a model file analyzed with ``hw``."""
    model = graphcost.load(path)
    return model, graphcost.analysis.analyze_model(model, hw=hw)


def dead_node_model():
    """Return a model whose Sigmoid output reaches no graph output."""
    return parse_model("dead (float[1,4] x) => (float[1,4] y) { y = Relu(x)\n unused = Sigmoid(x) }")


def read_graphml(text: str, tmp_path) -> nx.DiGraph:
    path = tmp_path / "graph.graphml"
    path.write_text(text, encoding="utf-8")
    return nx.read_graphml(path)


def dot_tokens(text: str) -> list[str]:
    """Split DOT text into tokens. A quoted string becomes its decoded value prefixed with '"'.

    Inside quotes a backslash escapes the next character; ``\\n`` is a newline.
    """
    tokens, index = [], 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char == '"':
            value, index = [], index + 1
            while text[index] != '"':
                if text[index] == "\\":
                    index += 1
                    value.append("\n" if text[index] == "n" else text[index])
                else:
                    value.append(text[index])
                index += 1
            tokens.append('"' + "".join(value))
            index += 1
        elif text.startswith("->", index):
            tokens.append("->")
            index += 2
        elif char in "{}[]=,;":
            tokens.append(char)
            index += 1
        else:
            match = re.match(r"[A-Za-z0-9_.]+", text[index:])
            assert match, f"unexpected DOT text at {index}: {text[index:index + 20]!r}"
            tokens.append(match.group())
            index += len(match.group())
    return tokens


def dot_statements(text: str) -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    """Return the node and edge statements of a DOT digraph: id -> attributes, (tail, head) -> attributes."""
    tokens = dot_tokens(text)
    assert tokens[0] == "digraph"
    assert tokens[2] == "{"
    assert tokens[-1] == "}"
    nodes, edges = {}, {}
    statement: list[str] = []
    for token in tokens[3:-1]:
        if token != ";":
            statement.append(token)
            continue
        bracket = statement.index("[")
        assert statement[-1] == "]"
        pairs = [item for item in statement[bracket + 1 : -1] if item != ","]
        attributes = {pairs[i]: pairs[i + 2].lstrip('"') for i in range(0, len(pairs), 3)}
        assert all(pairs[i + 1] == "=" for i in range(0, len(pairs), 3))
        head = statement[:bracket]
        if head[0] in ("graph", "node", "edge"):
            pass
        elif len(head) == 3 and head[1] == "->":
            edges[(head[0].lstrip('"'), head[2].lstrip('"'))] = attributes
        else:
            assert len(head) == 1
            assert head[0].startswith('"')
            nodes[head[0][1:]] = attributes
        statement = []
    assert statement == []
    return nodes, edges


@pytest.mark.parametrize("path", [MOBILENET_V2, SSDLITE])
def test_op_graph_graphml_reads_back(tmp_path, path):
    model, report = loaded(path)
    graph = read_graphml(graphml_text(op_graph(model, report)), tmp_path)
    assert graph.number_of_nodes() == model.graph.number_of_nodes()
    assert graph.number_of_edges() == model.graph.number_of_edges()
    assert set(graph.edges) == set(model.graph.edges)


@pytest.mark.parametrize("path", [MOBILENET_V2, SSDLITE])
def test_op_graph_costs_equal_analysis(tmp_path, path):
    model, report = loaded(path)
    graph = read_graphml(graphml_text(op_graph(model, report)), tmp_path)
    for row in report.rows:
        data = graph.nodes[row.key]
        for name in COST_FIELDS:
            assert data[name] == getattr(row, name), (row.key, name)
        assert data["status"] == row.status.value
        assert data["op_type"] == row.op_type


def test_op_graph_edges_carry_tensors(tmp_path):
    model, report = loaded(MOBILENET_V2)
    graph = read_graphml(graphml_text(op_graph(model, report)), tmp_path)
    for source, target, data in model.graph.edges(data=True):
        exported = graph.edges[source, target]
        assert json.loads(exported["tensors"]) == [tensor.name for tensor in data["tensors"]]
        assert exported["nbytes"] == sum(tensor.nbytes for tensor in data["tensors"])
        shapes = ["x".join(map(str, tensor.shape)) or "scalar" for tensor in data["tensors"]]
        assert exported["shapes"] == "; ".join(shapes)


def test_op_graph_nodes_name_their_kernel(tmp_path):
    model, report = loaded(SSDLITE, "pixel1-cpu")
    graph = read_graphml(graphml_text(op_graph(model, report)), tmp_path)
    for kernel in report.kernels.kernels:
        for node in kernel.nodes:
            assert graph.nodes[node]["kernel"] == kernel.id


def test_kernel_graph_graphml_with_latency(tmp_path):
    _, report = loaded(SSDLITE, "pixel1-cpu")
    graph = read_graphml(graphml_text(kernel_graph(report)), tmp_path)
    assert graph.number_of_nodes() == len(report.kernels.kernels)
    assert graph.number_of_edges() == report.kernels.graph.number_of_edges()
    assert graph.graph["profile"] == "pixel1-cpu"
    for kernel, item in zip(report.kernels.kernels, report.latency.kernels):
        data = graph.nodes[kernel.id]
        assert data["macs"] == kernel.macs
        assert data["bytes_moved"] == kernel.bytes_moved
        assert data["latency_s"] == item.latency_s
        assert data["bound"] == item.bound
        assert json.loads(data["nodes"]) == kernel.nodes


def test_kernel_graph_marks_uncosted_kernels(tmp_path):
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    ids = {kernel.nodes[0]: kernel.id for kernel in report.kernels.kernels}

    graph = read_graphml(graphml_text(kernel_graph(report)), tmp_path)

    fancy, partial = graph.nodes[ids["fancy"]], graph.nodes[ids["conv"]]
    assert fancy["status"] == "uncosted"
    assert fancy["uncosted_nodes"] == 1
    for name in ("macs", "elementwise_ops", "compute_s", "arithmetic_intensity"):
        assert name not in fancy, f"{name} of an uncosted kernel is unknown"
    assert "MACs unknown" in fancy["label"]
    assert partial["status"] == "uncosted"
    assert partial["macs"] == report.kernels.kernels[1].macs
    assert "arithmetic_intensity" not in partial
    assert ">= " in partial["label"]


def test_op_graph_marks_uncosted_nodes(tmp_path):
    model = graphcost.load(custom_op_model())
    report = graphcost.analysis.analyze_model(model)

    graph = read_graphml(graphml_text(op_graph(model, report)), tmp_path)

    for key in ("fancy", "last_relu"):
        node = graph.nodes[key]
        assert node["status"] == "uncosted"
        for name in ("macs", "elementwise_ops"):
            assert name not in node, f"{name} of uncosted {key} is unknown"
        assert "MACs unknown" in node["label"]
        assert "0.00 M MACs" not in node["label"]
    assert graph.nodes["fancy"]["read_bytes"] > 0, "bytes of tensors of known shape are still counted"
    assert graph.nodes["conv"]["macs"] == CONV_MACS


def test_cli_dot_marks_uncosted_nodes(tmp_path, capsys):
    path = tmp_path / "custom.onnx"
    onnx.save(custom_op_model(), path)

    result = run_cli(["export", path, "--format", "dot"], capsys)

    assert result.status == 0, result.stderr
    nodes, _ = dot_statements(result.stdout)
    assert "macs" not in nodes["fancy"]
    assert "elementwise_ops" not in nodes["fancy"]
    assert nodes["fancy"]["label"].endswith("MACs unknown")
    assert nodes["conv"]["macs"] == str(CONV_MACS)


def test_op_graph_unknown_tensor_size(tmp_path):
    model = graphcost.load(custom_op_model())
    report = graphcost.analysis.analyze_model(model)

    graph = read_graphml(graphml_text(op_graph(model, report)), tmp_path)

    unknown = graph.edges["fancy", "last_relu"]
    assert unknown["shapes"] == "?"
    assert "nbytes" not in unknown, "the size of a tensor of unknown shape is unknown, not 0"
    assert graph.edges["conv", "first_relu"]["nbytes"] == CONV_MACS // 8 * 4


def test_kernel_graph_unknown_tensor_size(tmp_path):
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    ids = {kernel.nodes[0]: kernel.id for kernel in report.kernels.kernels}

    graph = read_graphml(graphml_text(kernel_graph(report)), tmp_path)
    _, edges = dot_statements(dot_text(kernel_graph(report)))

    assert "nbytes" not in graph.edges[ids["fancy"], ids["conv"]]
    assert "nbytes" not in edges[ids["fancy"], ids["conv"]]


def test_graphml_keeps_value_types(tmp_path):
    model, report = loaded(SSDLITE, "pixel1-cpu")
    op = read_graphml(graphml_text(op_graph(model, report)), tmp_path)
    kernels = read_graphml(graphml_text(kernel_graph(report)), tmp_path)
    first_op = op.nodes[report.rows[0].key]
    assert isinstance(first_op["macs"], int)
    assert first_op["live"] is True
    first_kernel = kernels.nodes["k0"]
    assert isinstance(first_kernel["latency_s"], float)
    assert isinstance(first_kernel["index"], int)


def test_dead_node_exported_without_costs(tmp_path):
    model = graphcost.load(dead_node_model())
    report = graphcost.analysis.analyze_model(model)
    graph = read_graphml(graphml_text(op_graph(model, report)), tmp_path)
    assert graph.number_of_nodes() == 2
    dead = [data for _, data in graph.nodes(data=True) if data["status"] == "dead"]
    assert len(dead) == 1
    assert dead[0]["op_type"] == "Sigmoid"
    assert dead[0]["live"] is False
    assert "macs" not in dead[0]


@pytest.mark.parametrize("path", [MOBILENET_V2, SSDLITE])
def test_dot_contains_every_node_and_edge(path):
    model, report = loaded(path)
    nodes, edges = dot_statements(dot_text(op_graph(model, report)))
    assert set(nodes) == set(model.graph.nodes)
    assert set(edges) == set(model.graph.edges)
    for row in report.rows:
        assert int(nodes[row.key]["macs"]) == row.macs


def test_dot_kernel_graph_filled_by_class():
    _, report = loaded(SSDLITE, "pixel1-cpu")
    nodes, edges = dot_statements(dot_text(kernel_graph(report)))
    assert list(nodes) == [kernel.id for kernel in report.kernels.kernels]
    assert len(edges) == report.kernels.graph.number_of_edges()
    for kernel in report.kernels.kernels:
        assert nodes[kernel.id]["kernel_class"] == kernel.kernel_class
        assert nodes[kernel.id]["style"] == "filled"
        assert float(nodes[kernel.id]["latency_s"]) > 0


def test_hostile_names_round_trip_dot():
    model = graphcost.load(hostile_model())
    report = graphcost.analysis.analyze_model(model)
    text = dot_text(op_graph(model, report))
    nodes, edges = dot_statements(text)
    assert set(nodes) == {HOSTILE_NAME, "relu"}
    assert (HOSTILE_NAME, "relu") in edges
    assert json.loads(nodes[HOSTILE_NAME]["inputs"])[0] == HOSTILE_INPUT
    # Graphviz turns &amp; in a label back into &, so the label shows the name as it is.
    assert nodes[HOSTILE_NAME]["label"].split("\n")[1] == HOSTILE_NAME.replace("&", "&amp;")
    assert nodes[HOSTILE_NAME]["onnx_name"] == HOSTILE_NAME


def test_hostile_names_round_trip_graphml(tmp_path):
    model = graphcost.load(hostile_model())
    report = graphcost.analysis.analyze_model(model)
    graph = read_graphml(graphml_text(op_graph(model, report)), tmp_path)
    assert set(graph.nodes) == {HOSTILE_NAME, "relu"}
    assert json.loads(graph.nodes[HOSTILE_NAME]["inputs"])[0] == HOSTILE_INPUT


@pytest.mark.parametrize("suffix, kind", [(".graphml", "graphml"), (".dot", "dot"), (".gv", "dot")])
def test_cli_format_from_suffix(tmp_path, capsys, suffix, kind):
    output = tmp_path / f"graph{suffix}"
    result = run_cli(["export", MOBILENET_V2, "-o", output], capsys)
    assert result.status == 0, result.stderr
    text = output.read_text(encoding="utf-8")
    assert text.startswith("<graphml" if kind == "graphml" else "digraph")


def test_cli_kernels_with_hw(tmp_path, capsys):
    output = tmp_path / "kernels.graphml"
    result = run_cli(["export", SSDLITE, "--kernels", "--hw", "pixel1-cpu", "--format", "graphml", "-o", output], capsys)
    assert result.status == 0, result.stderr
    graph = nx.read_graphml(output)
    _, report = loaded(SSDLITE, "pixel1-cpu")
    assert graph.number_of_nodes() == len(report.kernels.kernels)
    assert graph.nodes["k0"]["latency_s"] == report.latency.kernels[0].latency_s


def test_cli_input_shape_sets_costs(tmp_path, capsys):
    output = tmp_path / "graph.graphml"
    result = run_cli(["export", MOBILENET_V2, "--input-shape", "input=2x3x224x224", "-o", output], capsys)
    assert result.status == 0, result.stderr
    graph = nx.read_graphml(output)
    _, report = loaded(MOBILENET_V2)
    first = report.rows[0]
    assert graph.nodes[first.key]["macs"] == 2 * first.macs


def test_cli_dot_to_stdout(capsys):
    result = run_cli(["export", MOBILENET_V2, "--format", "dot"], capsys)
    assert result.status == 0, result.stderr
    assert result.stdout.startswith("digraph")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--format", "svg"], "invalid choice: 'svg'"),
        ([], "cannot tell the graph format for stdout"),
        (["-o", "graph.txt"], "cannot tell the graph format for output file 'graph.txt'"),
        (["--format", "dot", "-o", "missing-folder/graph.dot"], "missing-folder/graph.dot: cannot write"),
    ],
)
def test_cli_bad_input_one_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    result = run_cli(["export", MOBILENET_V2, *argv], capsys)
    assert result.status == 2
    assert len(result.stderr_lines) == 1
    assert message in result.stderr
    assert result.stdout == ""


def test_kernel_graph_bound_unknown(tmp_path):
    report = graphcost.analyze(partial_kernel_model(), hw="pixel-npu")
    ids = {kernel.nodes[0]: kernel.id for kernel in report.kernels.kernels}

    graph = read_graphml(graphml_text(kernel_graph(report)), tmp_path)

    for kernel_id in (ids["fancy"], ids["conv"]):
        assert "bound" not in graph.nodes[kernel_id], "uncosted work makes the bound unknown"
        assert graph.nodes[kernel_id]["label"].endswith("bound unknown")
    assert graph.nodes[ids["fancy"]]["latency_s"] > 0
