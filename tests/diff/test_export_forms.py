"""One network exported in two forms (BatchNormalization kept or folded, Gemm or MatMul + Add) has no architecture difference."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from graphcost.diff.compare import diff_models
from graphcost.load import Model, load
from graphcost.zoo import build_model

METRICS = ("latency_s", "macs", "bytes_moved")
FEATURES = ("squeeze-excite blocks", "activations (h-swish/h-sigmoid vs ReLU)")
V3_REDUCED = "ssdlite_mobilenet_v3_large_reduced"


@functools.lru_cache(maxsize=None)
def zoo(name: str, bn: str = "fold") -> Model:
    return load(build_model(name, bn=bn))


def _linear_net(matmul: bool) -> Model:
    """Return Flatten, a 2048 -> 64 linear layer and Relu, the layer written as Gemm or as MatMul + Add."""
    if matmul:
        layer = [helper.make_node("MatMul", ["f", "w"], ["p"]), helper.make_node("Add", ["p", "b"], ["l"])]
        weight = np.full((2048, 64), 0.01, dtype=np.float32)
    else:
        layer = [helper.make_node("Gemm", ["f", "w", "b"], ["l"], transB=1)]
        weight = np.full((64, 2048), 0.01, dtype=np.float32)
    nodes = [helper.make_node("Flatten", ["x"], ["f"]), *layer, helper.make_node("Relu", ["l"], ["y"])]
    graph = helper.make_graph(
        nodes,
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(np.full((64,), 0.01, dtype=np.float32), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return load(model)


def _assert_no_component(report) -> None:
    for metric in METRICS:
        attribution = report.attributions[metric]
        tolerance = 1e-12 * max(abs(attribution.a_total), 1.0)
        assert attribution.delta == pytest.approx(0, abs=tolerance), metric
        for name, value in attribution.components.items():
            assert value == pytest.approx(0, abs=tolerance), f"{metric}: {name}"
        for name, value in attribution.unfused_features.items():
            assert value == pytest.approx(0, abs=tolerance), f"{metric}, every op its own kernel: {name}"


@pytest.mark.parametrize("hw", ["pixel1-cpu", "pixel-npu"])
def test_batchnorm_kept_or_folded_same_architecture(hw):
    _assert_no_component(diff_models(zoo(V3_REDUCED, "fold"), zoo(V3_REDUCED, "keep"), hw))


@pytest.mark.parametrize("hw", ["pixel1-cpu", "pixel-npu"])
def test_gemm_or_matmul_add_same_architecture(hw):
    _assert_no_component(diff_models(_linear_net(matmul=False), _linear_net(matmul=True), hw))


@pytest.mark.parametrize("hw", ["pixel1-cpu", "pixel-npu"])
def test_v2_against_v3_reduced_ignores_batchnorm_form(hw):
    folded = diff_models(zoo("ssdlite_mobilenet_v2"), zoo(V3_REDUCED, "fold"), hw)
    bn_kept = diff_models(zoo("ssdlite_mobilenet_v2"), zoo(V3_REDUCED, "keep"), hw)
    for metric in METRICS:
        expected, found = folded.attributions[metric], bn_kept.attributions[metric]
        assert found.delta == pytest.approx(expected.delta, rel=1e-9), metric
        assert set(found.components) == set(expected.components)
        tolerance = 1e-9 * abs(expected.a_total)
        for name, value in expected.components.items():
            assert found.components[name] == pytest.approx(value, rel=1e-9, abs=tolerance), f"{metric}: {name}"
        for name in FEATURES:
            assert found.unfused_features[name] == pytest.approx(expected.unfused_features[name], rel=1e-9, abs=tolerance)
