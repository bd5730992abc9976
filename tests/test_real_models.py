"""Real torchvision exports: totals against published figures and onnxruntime."""

from __future__ import annotations

import math

import numpy as np
import onnx
import onnxruntime
import pytest

import graphcost
from conftest import TORCHVISION_MODELS

# torchvision weights metadata, "GFLOPS" column (counts multiply-adds).
PUBLISHED_MACS = {
    "mobilenet_v2": 0.301e9,
    "mobilenet_v3_large": 0.217e9,
    "ssdlite320_mobilenet_v3_large": 0.583e9,
}


def live_initializer_elements(path) -> int:
    """Count elements of initializers that some node reads, each once (independent of graphcost)."""
    model = onnx.load(path)
    read = {name for node in model.graph.node for name in node.input}
    return sum(math.prod(init.dims) for init in model.graph.initializer if init.name in read)


@pytest.mark.parametrize("name", sorted(PUBLISHED_MACS))
def test_macs_match_torchvision(name):
    report = graphcost.analyze(TORCHVISION_MODELS[name])
    assert report.totals.macs == pytest.approx(PUBLISHED_MACS[name], rel=0.005)


@pytest.mark.parametrize("name", sorted(PUBLISHED_MACS))
def test_params_equal_live_weights(name):
    report = graphcost.analyze(TORCHVISION_MODELS[name])
    assert report.totals.param_count == live_initializer_elements(TORCHVISION_MODELS[name])


def test_mobilenet_v2_param_count_published():
    # The export folds BatchNorm, so it stores 3,475,008 elements, not the
    # 3,504,872 of torchvision's metadata (which counts BN scale and shift).
    report = graphcost.analyze(TORCHVISION_MODELS["mobilenet_v2"])
    assert report.totals.param_count == 3_475_008


@pytest.mark.parametrize("name", sorted(PUBLISHED_MACS))
def test_output_shapes_match_onnxruntime(name):
    path = TORCHVISION_MODELS[name]
    report = graphcost.analyze(path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {
        info.name: np.zeros([d if isinstance(d, int) else 1 for d in info.shape], dtype=np.float32)
        for info in session.get_inputs()
    }
    results = session.run(None, feeds)
    expected = {info.name: list(result.shape) for info, result in zip(session.get_outputs(), results)}
    assert {tensor.name: tensor.shape for tensor in report.outputs} == expected


@pytest.mark.parametrize("name", sorted(PUBLISHED_MACS))
def test_every_node_accounted(name):
    report = graphcost.analyze(TORCHVISION_MODELS[name])
    model = onnx.load(TORCHVISION_MODELS[name], load_external_data=False)
    assert len(report.rows) == len(model.graph.node)
    assert report.totals.status_counts["uncosted"] == 0
    assert report.uncosted_op_types == {}


def test_mobilenet_v2_first_conv_row():
    # Stem: 3x3 conv, stride 2, 3 -> 32 channels, 224 -> 112.
    # MACs = 32 * 112 * 112 * 3 * 3 * 3 = 10,838,016; params 32*3*3*3 + 32 = 896.
    report = graphcost.analyze(TORCHVISION_MODELS["mobilenet_v2"])
    first_conv = next(row for row in report.rows if row.op_type == "Conv")
    assert first_conv.macs == 10_838_016
    assert first_conv.param_count == 896
    assert first_conv.output_shapes == [[1, 32, 112, 112]]
    # Bytes: input 3*224*224*4 read, weights 896*4, output 32*112*112*4 written.
    assert first_conv.read_bytes == 602_112
    assert first_conv.weight_bytes == 3_584
    assert first_conv.write_bytes == 1_605_632
