"""Nested If and Loop: trip counts multiply through every level, and each assumption is listed."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import graphcost

# MatMul 1x16 @ 16x16 = 256 MACs per run.
MATMUL_MACS = 256


def scalar_constant(output: str, value: int, name: str) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [output], name=name, value=numpy_helper.from_array(np.array(value, np.int64)))


def loop_body(nodes: list[onnx.NodeProto], name: str, output: str, output_shape) -> onnx.GraphProto:
    """Wrap ``nodes`` in a Loop body that passes its condition through and scans ``output``."""
    condition = helper.make_node("Identity", [f"{name}_cond_in"], [f"{name}_cond_out"], name=f"{name}_cond")
    return helper.make_graph(
        nodes + [condition],
        name,
        [
            helper.make_tensor_value_info(f"{name}_iter", TensorProto.INT64, []),
            helper.make_tensor_value_info(f"{name}_cond_in", TensorProto.BOOL, []),
        ],
        [
            helper.make_tensor_value_info(f"{name}_cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape),
        ],
    )


def nested_loops(
    inner_trip_count: str,
    outer_body_nodes: list[onnx.NodeProto],
    extra_initializers=(),
    extra_inputs=(),
    main_nodes=(),
):
    """Build Loop(3) { Loop(inner_trip_count) { MatMul 1x16 @ 16x16 } }.

    ``outer_body_nodes`` go before the inner Loop in the outer body, and
    ``main_nodes`` before the outer Loop in the main graph.
    """
    inner = loop_body([helper.make_node("MatMul", ["x", "w"], ["product"], name="matmul")], "inner", "product", [1, 16])
    inner_loop = helper.make_node("Loop", [inner_trip_count, "cond"], ["inner_out"], name="inner_loop", body=inner)
    outer = loop_body(outer_body_nodes + [inner_loop], "outer", "inner_out", ["inner_steps", 1, 16])
    graph = helper.make_graph(
        [*main_nodes, scalar_constant("outer_trips", 3, "outer_trips"), helper.make_node("Loop", ["outer_trips", "cond"], ["y"], name="outer_loop", body=outer)],
        "nested",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16]),
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
            *extra_inputs,
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["outer_steps", "inner_steps", 1, 16])],
        [numpy_helper.from_array(np.ones((16, 16), np.float32), "w"), *extra_initializers],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    return model


def test_inner_trip_count_constant_in_outer_body():
    model = nested_loops("inner_trips", [scalar_constant("inner_trips", 3, "inner_trips")])
    report = graphcost.analyze(model)
    # 3 outer iterations * 3 inner iterations * 256 MACs.
    assert report.totals.macs == 2304
    assert any("inner_loop" in line and "3 iterations" in line for line in report.assumptions())


def test_inner_trip_count_outer_initializer():
    trips = numpy_helper.from_array(np.array(3, np.int64), "inner_trips")
    report = graphcost.analyze(nested_loops("inner_trips", [], extra_initializers=[trips]))
    assert report.totals.macs == 2304


def test_inner_trip_count_main_graph_constant():
    model = nested_loops("inner_trips", [], main_nodes=[scalar_constant("inner_trips", 3, "inner_trips")])
    assert graphcost.analyze(model).totals.macs == 2304


def test_inner_trip_count_folded_in_body():
    # inner_trips = 1 + 2, both Constants of the outer body.
    nodes = [
        scalar_constant("one", 1, "one"),
        scalar_constant("two", 2, "two"),
        helper.make_node("Add", ["one", "two"], ["inner_trips"], name="add_trips"),
    ]
    assert graphcost.analyze(nested_loops("inner_trips", nodes)).totals.macs == 2304


def test_inner_trip_count_from_input_counts_once():
    # The inner count is computed from a graph input, so it is known only at run time.
    nodes = [
        scalar_constant("one", 1, "one"),
        helper.make_node("Add", ["n", "one"], ["inner_trips"], name="add_trips"),
    ]
    n_input = helper.make_tensor_value_info("n", TensorProto.INT64, [])
    report = graphcost.analyze(nested_loops("inner_trips", nodes, extra_inputs=[n_input]))
    # 3 outer iterations * one inner iteration * 256 MACs.
    assert report.totals.macs == 768
    unknown = [line for line in report.assumptions() if "inner_loop" in line and "unknown" in line]
    assert unknown, report.assumptions()


def test_body_input_hides_outer_value():
    # The inner trip count is the outer body's iteration number, a body input
    # named like a main-graph constant of 7. It is a run-time value, so the
    # inner body counts once: 3 * 1 * 256 MACs.
    main_nodes = [scalar_constant("outer_iter", 7, "outer_iter")]
    report = graphcost.analyze(nested_loops("outer_iter", [], main_nodes=main_nodes))
    assert report.totals.macs == 768


def alternating_if_loop(depth: int = 10) -> onnx.ModelProto:
    """Build If and Loop alternately nested ``depth - 1`` deep around one MatMul.

    Levels 1, 3, 5, 7, 9 are Loops with trip count 3 (a Constant beside each
    Loop), levels 2, 4, 6, 8 are Ifs whose then branch contains the next level
    and whose else branch is a Constant of zeros. The MatMul sits at level 10.
    """

    def level_nodes(level: int) -> tuple[list[onnx.NodeProto], str, list[int]]:
        """Return the nodes of ``level``, its output name and that output's shape."""
        if level == depth:
            matmul = helper.make_node("MatMul", ["x", "w"], [f"out{level}"], name=f"matmul{level}")
            return [matmul], f"out{level}", [1, 16]
        inner_nodes, inner_out, inner_shape = level_nodes(level + 1)
        if level % 2 == 0:
            then_branch = helper.make_graph(
                inner_nodes, f"then{level}", [], [helper.make_tensor_value_info(inner_out, TensorProto.FLOAT, inner_shape)]
            )
            zeros = numpy_helper.from_array(np.zeros(inner_shape, np.float32))
            else_branch = helper.make_graph(
                [helper.make_node("Constant", [], [f"else{level}"], name=f"zeros{level}", value=zeros)],
                f"else{level}",
                [],
                [helper.make_tensor_value_info(f"else{level}", TensorProto.FLOAT, inner_shape)],
            )
            node = helper.make_node(
                "If", ["cond"], [f"if{level}"], name=f"if{level}", then_branch=then_branch, else_branch=else_branch
            )
            return [node], f"if{level}", inner_shape
        body = loop_body(inner_nodes, f"loop{level}_body", inner_out, inner_shape)
        nodes = [
            scalar_constant(f"trips{level}", 3, f"trips{level}"),
            helper.make_node("Loop", [f"trips{level}", "cond"], [f"loop{level}"], name=f"loop{level}", body=body),
        ]
        return nodes, f"loop{level}", [3, *inner_shape]

    nodes, output, output_shape = level_nodes(1)
    graph = helper.make_graph(
        nodes,
        "alternating",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16]), helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape)],
        [numpy_helper.from_array(np.ones((16, 16), np.float32), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    return model


def test_ten_deep_if_loop_hand_count():
    report = graphcost.analyze(alternating_if_loop())
    # Five Loops of 3 iterations: 3**5 = 243 MatMul runs of 256 MACs.
    assert report.totals.macs == 243 * MATMUL_MACS
    assumptions = " ".join(report.assumptions())
    for level in (1, 3, 5, 7, 9):
        assert f"loop{level}: Loop: body x 3 iterations" in assumptions
    for level in (2, 4, 6, 8):
        assert f"if{level}: If: counts the more expensive branch (then_branch)" in assumptions


def test_ten_deep_if_loop_matches_onnxruntime(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    model = alternating_if_loop()
    options = onnxruntime.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(tmp_path / "profile")
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    session.run(None, {"x": np.ones((1, 16), np.float32), "cond": np.array(True)})
    with open(session.end_profiling()) as handle:
        events = json.load(handle)
    matmul_runs = sum(
        1 for event in events if event.get("cat") == "Node" and event["name"] == "matmul10_kernel_time"
    )
    assert matmul_runs == 243
    assert graphcost.analyze(model).totals.macs == matmul_runs * MATMUL_MACS
