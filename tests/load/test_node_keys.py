"""Load errors name a node by its graph key, the name reports use, also when the node has no name."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper

import graphcost
from conftest import run_cli
from graphcost.errors import ModelLoadError
from graphcost.load.reader import node_keys


def unnamed_model(nodes: list[onnx.NodeProto], domains: tuple[str, ...] = ()) -> onnx.ModelProto:
    """Return a model over input x and output y with ``nodes``, most tests giving them no names."""
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


def chain_model(names_and_ops: list[tuple[str, str]]) -> onnx.ModelProto:
    """Return a chain of unary nodes from x to y, each given as (name, op type). An empty name leaves the node unnamed."""
    outputs = [f"t{index}" for index in range(len(names_and_ops) - 1)] + ["y"]
    inputs = ["x"] + outputs[:-1]
    nodes = [
        helper.make_node(op_type, [source], [target], name=name)
        for (name, op_type), source, target in zip(names_and_ops, inputs, outputs)
    ]
    return unnamed_model(nodes)


def keys_by_op_type(model: onnx.ModelProto) -> dict[str, str]:
    graph = graphcost.load(model).graph
    return {data["op_type"]: key for key, data in graph.nodes(data=True)}


def test_repeated_name_avoids_real_name():
    model = chain_model([("a", "Relu"), ("a", "Neg"), ("a_1", "Abs")])

    keys = keys_by_op_type(model)

    assert keys["Relu"] == "a"
    assert keys["Abs"] == "a_1", "a real, unique name keeps its name"
    assert keys["Neg"] not in {"a", "a_1"}
    assert len(set(keys.values())) == 3


def test_unnamed_node_avoids_real_name():
    model = chain_model([("", "Conv"), ("Conv_0", "Relu")])

    keys = keys_by_op_type(model)

    assert keys["Relu"] == "Conv_0", "a real, unique name keeps its name"
    assert keys["Conv"] != "Conv_0"


def test_report_rows_keep_real_names():
    model = chain_model([("a", "Relu"), ("a", "Neg"), ("a_1", "Abs")])

    rows = {row.op_type: row for row in graphcost.analyze(model).rows}

    assert rows["Abs"].key == "a_1"
    assert rows["Abs"].onnx_name == "a_1"
    assert rows["Neg"].onnx_name == "a"
    assert rows["Neg"].key != "a_1"


@pytest.mark.parametrize(
    "names",
    [
        ["a", "a", "a_1", "a_1", "", "Relu_4", "a_1_1", "a_2"],
        ["", "", "Relu_0", "Relu_1", "Relu_0_1", "Relu_1", "", "Relu_6_1"],
    ],
    ids=["repeated-names", "generated-name-collisions"],
)
def test_keys_unique_and_stable(names):
    graph = unnamed_model([helper.make_node("Relu", ["x"], [f"y{index}"], name=name) for index, name in enumerate(names)]).graph

    first = node_keys(graph)
    second = node_keys(graph)

    assert first == second
    assert len(set(first)) == len(names)
    for name, key in zip(names, first):
        if name and names.count(name) == 1:
            assert key == name
    generated = [key for name, key in zip(names, first) if not name or key != name]
    assert not set(generated) & set(names), "no generated key takes a real name"
