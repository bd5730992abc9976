"""Export-style and ablation options change the graph as intended."""

from __future__ import annotations

import logging

import numpy as np
import onnx
import onnxruntime
import pytest

from graphcost.zoo import ZooOptionError, build_model
from zoo_helpers import constant_value, op_counts

# SE blocks in V3 Tables 1 and 2.
SE_BLOCKS = {"mobilenet_v3_large": 8, "mobilenet_v3_small": 9}
# h-swish layers: the stem, the expand and depthwise convs of every HS bneck
# (each has an expand conv), the last conv and the classifier's hidden conv.
HSWISH_LAYERS = {"mobilenet_v3_large": 1 + 9 * 2 + 1 + 1, "mobilenet_v3_small": 1 + 8 * 2 + 1 + 1}


def _producers(model: onnx.ModelProto) -> dict[str, onnx.NodeProto]:
    return {output: node for node in model.graph.node for output in node.output}


def _run_zeros(model: onnx.ModelProto) -> list[np.ndarray]:
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (graph_input,) = session.get_inputs()
    return session.run(None, {graph_input.name: np.zeros(graph_input.shape, dtype=np.float32)})


@pytest.mark.parametrize("name", SE_BLOCKS)
def test_op_style_uses_hardswish_ops(name):
    counts = op_counts(build_model(name))
    assert counts["HardSwish"] == HSWISH_LAYERS[name]
    assert counts["HardSigmoid"] == SE_BLOCKS[name]
    assert counts["Div"] == 0
    assert counts["BatchNormalization"] == 0


def test_op_style_hardsigmoid_attributes():
    model = build_model("mobilenet_v3_small")
    node = next(node for node in model.graph.node if node.op_type == "HardSigmoid")
    attributes = {attribute.name: attribute.f for attribute in node.attribute}
    assert attributes["alpha"] == pytest.approx(1 / 6)
    assert attributes["beta"] == pytest.approx(0.5)


@pytest.mark.parametrize("name", SE_BLOCKS)
def test_tf_style_writes_add_clip_mul_mul(name):
    model = build_model(name, hswish="tf")
    counts = op_counts(model)
    producers = _producers(model)
    chains = 0
    for node in model.graph.node:
        if node.op_type != "Mul" or constant_value(model, node.input[1]) is None:
            continue
        gated = producers.get(node.input[0])
        if gated is None or gated.op_type != "Mul":
            continue
        clip = producers[gated.input[1]]
        add = producers[clip.input[0]]
        assert clip.op_type == "Clip"
        assert add.op_type == "Add"
        assert add.input[0] == gated.input[0], "h-swish must multiply its own input"
        assert constant_value(model, add.input[1]) == pytest.approx(3.0)
        assert constant_value(model, clip.input[1]) == 0.0
        assert constant_value(model, clip.input[2]) == 6.0
        assert constant_value(model, node.input[1]) == pytest.approx(1 / 6)
        chains += 1

    assert counts["HardSwish"] == 0
    assert counts["HardSigmoid"] == 0
    assert counts["Div"] == 0
    assert chains == HSWISH_LAYERS[name]


@pytest.mark.parametrize("name", SE_BLOCKS)
def test_clip_div_style_divides_by_six(name):
    model = build_model(name, hswish="clip-div")
    counts = op_counts(model)
    divisions = [node for node in model.graph.node if node.op_type == "Div"]

    assert counts["HardSwish"] == 0
    assert counts["HardSigmoid"] == 0
    assert len(divisions) == HSWISH_LAYERS[name] + SE_BLOCKS[name]
    for node in divisions:
        assert constant_value(model, node.input[1]) == 6.0


def test_bn_keep_adds_batchnorm_after_biasless_conv():
    model = build_model("mobilenet_v3_large", bn="keep")
    producers = _producers(model)
    batch_norms = [node for node in model.graph.node if node.op_type == "BatchNormalization"]

    # stem + 15 depthwise + 14 expand + 15 project + last conv
    assert len(batch_norms) == 1 + 15 + 14 + 15 + 1
    for node in batch_norms:
        conv = producers[node.input[0]]
        assert conv.op_type == "Conv"
        assert len(conv.input) == 2, f"{conv.name} should have no bias before batch norm"
        assert np.all(constant_value(model, node.input[4]) == 1.0)


def test_bn_fold_leaves_no_batchnorm():
    model = build_model("ssdlite_mobilenet_v2")
    assert op_counts(model)["BatchNormalization"] == 0
    assert all(len(node.input) == 3 for node in model.graph.node if node.op_type == "Conv")


@pytest.mark.parametrize("name", SE_BLOCKS)
def test_no_se_keeps_only_classifier_pool(name):
    with_se = build_model(name)
    without_se = build_model(name, se=False)
    pools = [node for node in without_se.graph.node if node.op_type == "GlobalAveragePool"]

    assert op_counts(with_se)["GlobalAveragePool"] == SE_BLOCKS[name] + 1
    assert len(pools) == 1
    assert pools[0].name.startswith("classifier/")
    assert op_counts(without_se)["HardSigmoid"] == 0


def test_no_se_on_detector_removes_every_pool():
    model = build_model("ssdlite_mobilenet_v3_small", se=False)
    assert op_counts(model)["GlobalAveragePool"] == 0


@pytest.mark.parametrize("name", SE_BLOCKS)
def test_all_relu_replaces_hswish(name):
    designed = op_counts(build_model(name))
    all_relu = op_counts(build_model(name, activation="relu"))

    assert all_relu["HardSwish"] == 0
    assert all_relu["HardSigmoid"] == SE_BLOCKS[name], "SE gates keep h-sigmoid"
    assert all_relu["Relu"] == designed["Relu"] + HSWISH_LAYERS[name]


def test_opset_13_with_tf_style():
    model = build_model("mobilenet_v3_small", hswish="tf", opset=13)
    onnx.checker.check_model(model, full_check=True)
    assert [(opset.domain, opset.version) for opset in model.opset_import] == [("", 13)]
    assert model.ir_version == 7


def test_opset_13_rejects_hardswish_op():
    with pytest.raises(ZooOptionError, match="opset 14"):
        build_model("mobilenet_v3_small", opset=13)


@pytest.mark.parametrize(
    "options",
    [
        {"hswish": "tf"},
        {"hswish": "clip-div"},
        {"bn": "keep"},
        {"se": False},
        {"activation": "relu"},
        {"width": 0.75, "resolution": 256, "num_classes": 10},
    ],
    ids=["tf", "clip-div", "bn-keep", "no-se", "all-relu", "width-resolution-classes"],
)
def test_variant_runs_in_onnxruntime(options):
    model = build_model("ssdlite_mobilenet_v3_small", **options)
    onnx.checker.check_model(model, full_check=True)
    class_logits, box_encodings = _run_zeros(model)
    anchors = class_logits.shape[1]

    assert class_logits.shape == (1, anchors, options.get("num_classes", 91))
    assert box_encodings.shape == (1, anchors, 4)


def test_v2_warns_about_v3_only_options(caplog):
    with caplog.at_level(logging.WARNING, logger="graphcost.zoo"):
        plain = build_model("mobilenet_v2")
        ablated = build_model("mobilenet_v2", se=False, hswish="tf", activation="relu")

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3
    assert any("--no-se" in message for message in messages)
    assert any("--hswish tf" in message for message in messages)
    assert any("--activation relu" in message for message in messages)
    assert ablated.graph.node == plain.graph.node
