"""Components that are floating-point noise read as zero in explain and in the diff table."""

from __future__ import annotations

import functools

from graphcost.diff.compare import diff_models
from graphcost.diff.explain import explain
from graphcost.load import Model, load
from graphcost.report.diff_render import render_diff
from graphcost.zoo import build_model

SE = "squeeze-excite blocks"
ACTIVATIONS = "activations (h-swish/h-sigmoid vs ReLU)"
V3_REDUCED = "ssdlite_mobilenet_v3_large_reduced"


@functools.lru_cache(maxsize=None)
def zoo(hswish: str) -> Model:
    model = load(build_model(V3_REDUCED, hswish=hswish))
    model.source = f"{hswish}.onnx"
    return model


def test_explain_skips_noise_se_sentence():
    # Both models have the same SE blocks. Their h-sigmoid differs only in
    # form, and on pixel-npu the SE component is a sum of rounding errors.
    report = diff_models(zoo("op"), zoo("tf"), "pixel-npu")
    se = report.attributions["latency_s"].components[SE]
    assert se != 0
    assert abs(se) < 1e-9
    text = explain(report)
    assert "Squeeze-excite" not in text
    assert " ns" not in text
    assert "h-swish and h-sigmoid (20 h-swish in op, 20 in tf) contribute -5.76 ms" in text


def test_explain_noise_delta_is_both_take():
    report = diff_models(zoo("op"), zoo("tf"), "pixel4-gpu")
    latency = report.attributions["latency_s"]
    assert latency.delta != 0
    assert abs(latency.delta) < 1e-9
    assert explain(report).startswith("On pixel4-gpu, tf and op both take 18.7 ms")


def test_diff_table_noise_has_no_minus_zero():
    report = diff_models(zoo("op"), zoo("tf"), "pixel4-gpu")
    activations = report.attributions["latency_s"].components[ACTIVATIONS]
    assert -1e-12 < activations < 0
    table = render_diff(report, "table")
    row = next(line for line in table.splitlines() if line.startswith(ACTIVATIONS))
    assert "-0.000" not in row
    assert "+0.000" in row
    assert "-0.0 " not in row + " "
