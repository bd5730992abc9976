"""Matching onnxruntime's profiler node names, fused ones included, to the model's kernels and free nodes."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from graphcost.analysis import analyze_model
from graphcost.calibrate.traces import free_node_names, lookup_trace_node, match_onnxruntime, trace_names
from graphcost.calibrate.validate import UNMATCHED_LABEL, validate_model
from graphcost.hardware import load_profile
from graphcost.load import load


def _weight(name: str, shape: tuple[int, ...]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.random.default_rng(0).standard_normal(shape).astype(np.float32), name)


def _conv_reshape_gemm(gemm_name: str = "fc1") -> onnx.ModelProto:
    """Conv + Relu, a Reshape graphcost counts as free, then Gemm + Relu, which onnxruntime fuses into FusedGemm."""
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Reshape", ["r1", "shape"], ["flat"], name="reshape"),
        helper.make_node("Gemm", ["flat", "fw"], ["g1"], name=gemm_name, transB=1),
        helper.make_node("Relu", ["g1"], ["y"], name="relu2"),
    ]
    shape = numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "shape")
    graph = helper.make_graph(
        nodes,
        "conv_reshape_gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 10])],
        [_weight("w1", (8, 4, 1, 1)), shape, _weight("fw", (10, 128))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _names():
    model = load(_conv_reshape_gemm())
    kernels = analyze_model(model, hw=load_profile("x86-avx2-cpu")).kernels
    return model, kernels, trace_names(kernels, model.graph)


@pytest.mark.parametrize(
    ("trace_name", "model_node"),
    [
        ("fused fc1", "fc1"),
        ("fused fc1_token_3", "fc1"),
        ("r1_nchwc", "relu1"),
        ("fc1/MatMulAddFusion", "fc1"),
        ("relu2", "relu2"),
    ],
)
def test_fused_name_finds_kernel(trace_name, model_node):
    _, kernels, names = _names()
    expected = next(kernel for kernel in kernels.kernels if model_node in kernel.nodes)

    assert lookup_trace_node(trace_name, names) is expected


def test_unnamed_fused_node_found_by_output():
    _, kernels, names = _names()
    gemm_kernel = next(kernel for kernel in kernels.kernels if "fc1" in kernel.nodes)

    assert lookup_trace_node("fused ", names) is None
    assert lookup_trace_node("fused ", names, ["y"]) is gemm_kernel


def test_free_node_named_by_op_type():
    model, kernels, _ = _names()

    assert free_node_names(kernels, model.graph)["reshape"] == "Reshape"


def test_trace_matches_fused_gemm():
    model, kernels, _ = _names()
    events = [
        {"cat": "Node", "name": "r1_nchwc_kernel_time", "dur": 30, "args": {"op_name": "Conv"}},
        {"cat": "Node", "name": "fused fc1_kernel_time", "dur": 20, "args": {"op_name": "FusedGemm"}},
        {"cat": "Node", "name": "ReorderOutput_kernel_time", "dur": 2, "args": {"op_name": "ReorderOutput"}},
    ]
    match = match_onnxruntime(events, kernels, 1.0, model.graph)

    assert sorted(sample.measured_s for sample in match.samples) == [pytest.approx(20e-6), pytest.approx(30e-6)]
    assert match.unmatched_names == ["ReorderOutput"]


@pytest.mark.parametrize("gemm_name", ["fc1", ""])
def test_validate_reports_fused_gemm_as_gemm(tmp_path, gemm_name):
    path = tmp_path / "model.onnx"
    onnx.save(_conv_reshape_gemm(gemm_name), path)

    row = validate_model(str(path), load_profile("x86-avx2-cpu"))

    assert row.by_op_type["Gemm"][1] > 0
    assert row.by_op_type["Conv"][1] > 0
    assert row.by_op_type["Reshape"][0] == 0
    assert row.by_op_type["Reshape"][1] > 0
    assert not [label for label in row.by_op_type if label.startswith("FusedGemm")]
    assert not [label for label in row.by_op_type if label.startswith("Reshape ")]
    unmatched = [label for label in row.by_op_type if label.endswith(UNMATCHED_LABEL)]
    assert all(label.startswith("Reorder") for label in unmatched), unmatched
