"""Counterfactual graphs keep the input shapes the original model was loaded with."""

from __future__ import annotations

import functools

import onnx

from graphcost.diff.compare import diff_models, what_if
from graphcost.load import load
from graphcost.zoo import build_model


@functools.lru_cache(maxsize=None)
def dynamic_batch_model(se: bool = True) -> onnx.ModelProto:
    """Return MobileNetV3-Small, with or without SE, with a symbolic batch dim N on its input and outputs."""
    model = build_model("mobilenet_v3_small", se=se)
    for value in [*model.graph.input, *model.graph.output]:
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    return model


def _load(batch: int, se: bool = True):
    model = dynamic_batch_model(se)
    return load(model, {model.graph.input[0].name: (batch, 3, 224, 224)})


def _whatif_macs(batch: int) -> dict[str, int]:
    rows = what_if(_load(batch), "pixel1-cpu", remove_se=True, relu=True, no_fusion=False)
    return {row.label: row.totals["macs"] for row in rows}


def test_whatif_counterfactuals_keep_batch():
    single = _whatif_macs(1)
    batched = _whatif_macs(4)
    assert list(batched) == ["original", "SE removed", "ReLU for h-swish", "ReLU for h-swish, SE removed"]
    for label, macs in batched.items():
        assert macs == 4 * single[label], label


def test_diff_removing_se_at_batch_is_all_se():
    report = diff_models(_load(4), _load(4, se=False), "pixel1-cpu")
    macs = report.attributions["macs"]
    assert macs.delta < 0
    assert macs.components["squeeze-excite blocks"] == macs.delta
    others = {name: value for name, value in macs.components.items() if name != "squeeze-excite blocks"}
    assert all(value == 0 for value in others.values()), others
