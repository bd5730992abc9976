"""Load errors name a node by its graph key, the name reports use, also when the node has no name."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper

import graphcost
from conftest import run_cli
from graphcost.errors import ModelLoadError


def unnamed_model(nodes: list[onnx.NodeProto], domains: tuple[str, ...] = ()) -> onnx.ModelProto:
    """Return a model over input x and output y whose nodes have no names."""
    graph = helper.make_graph(
        nodes,
        "unnamed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    opsets = [helper.make_opsetid("", 17)] + [helper.make_opsetid(domain, 1) for domain in domains]
    return helper.make_model(graph, opset_imports=opsets, ir_version=8)


def custom_op_nodes() -> list[onnx.NodeProto]:
    return [
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("MyFancyOp", ["r"], ["f"], domain="com.example"),
        helper.make_node("Relu", ["f"], ["y"]),
    ]


def test_undeclared_domain_names_key(tmp_path, capsys):
    path = tmp_path / "custom.onnx"
    onnx.save(unnamed_model(custom_op_nodes()), path)

    result = run_cli(["analyze", path], capsys)

    assert result.status == 2
    assert len(result.stderr_lines) == 1, result.stderr
    assert "node 'MyFancyOp_1' (MyFancyOp) uses domain 'com.example'" in result.stderr
    assert "node ''" not in result.stderr


def test_declared_domain_uses_same_key():
    # The key the error names is the key the report shows once the domain is declared.
    model = graphcost.load(unnamed_model(custom_op_nodes(), domains=("com.example",)))

    assert "MyFancyOp_1" in model.graph.nodes
    assert model.graph.nodes["MyFancyOp_1"]["onnx_name"] == ""


def test_undeclared_domain_in_subgraph_names_key():
    body = helper.make_graph(
        [helper.make_node("Scale", ["x"], ["t"], domain="com.example")],
        "then_body",
        [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)],
    )
    other = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["e"])], "else_body", [], [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)]
    )
    condition = helper.make_node("Constant", [], ["c"], value=helper.make_tensor("c", TensorProto.BOOL, [], [True]))
    branch = helper.make_node("If", ["c"], ["y"], then_branch=body, else_branch=other)

    with pytest.raises(ModelLoadError) as error:
        graphcost.load(unnamed_model([condition, branch]))

    assert "node 'Scale_0' (Scale) in then_branch of 'If_1' uses domain 'com.example'" in str(error.value)


def test_two_producers_name_keys():
    nodes = [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"])]

    with pytest.raises(ModelLoadError) as error:
        graphcost.load(unnamed_model(nodes))

    assert "'Relu_0' (Relu) and 'Neg_1' (Neg)" in str(error.value)


def test_missing_tensor_names_key():
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["r", "nowhere"], ["y"])]

    with pytest.raises(ModelLoadError) as error:
        graphcost.load(unnamed_model(nodes))

    assert "node 'Add_1' (Add) reads tensor 'nowhere'" in str(error.value)


def test_cycle_names_keys():
    nodes = [
        helper.make_node("Add", ["x", "b"], ["a"]),
        helper.make_node("Relu", ["a"], ["b"]),
        helper.make_node("Identity", ["a"], ["y"]),
    ]

    with pytest.raises(ModelLoadError) as error:
        graphcost.load(unnamed_model(nodes))

    assert "Add_0 -> Relu_1 -> ..." in str(error.value)
