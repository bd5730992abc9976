"""Diff and attribution invariants, on the reference models."""

from __future__ import annotations

import functools

import pytest

from graphcost.cli import main
from graphcost.diff.attribution import shapley
from graphcost.diff.compare import diff_models, what_if
from graphcost.diff.explain import explain
from graphcost.zoo import build_model
from graphcost.load import load

METRICS = ("latency_s", "macs", "bytes_moved")
SE = "squeeze-excite blocks"
ACTIVATIONS = "activations (h-swish/h-sigmoid vs ReLU)"


@functools.lru_cache(maxsize=None)
def zoo(name: str, **options):
    return load(build_model(name, **options))


@functools.lru_cache(maxsize=None)
def diff(a_name: str, b_name: str, hw: str, b_options: tuple = ()):
    return diff_models(zoo(a_name), zoo(b_name, **dict(b_options)), hw)


def test_shapley_two_players_hand_computed():
    # v(S) removes players: v({}) = 10, v({x}) = 6, v({y}) = 7, v({x, y}) = 1.
    # x: ((10 - 6) + (7 - 1)) / 2 = 5; y: ((10 - 7) + (6 - 1)) / 2 = 4; 5 + 4 = 10 - 1.
    values = {frozenset(): 10.0, frozenset({"x"}): 6.0, frozenset({"y"}): 7.0, frozenset({"x", "y"}): 1.0}
    assert shapley(("x", "y"), values.__getitem__) == {"x": 5.0, "y": 4.0}


def test_diff_same_model_is_zero():
    report = diff("mobilenet_v3_large", "mobilenet_v3_large", "pixel1-cpu")
    for metric in METRICS:
        attribution = report.attributions[metric]
        assert attribution.delta == 0
        assert all(value == 0 for value in attribution.components.values()), metric


@pytest.mark.parametrize("hw", ["pixel1-cpu"])
def test_diff_antisymmetric(hw):
    forward = diff("ssdlite_mobilenet_v2", "ssdlite_mobilenet_v3_large", hw)
    backward = diff("ssdlite_mobilenet_v3_large", "ssdlite_mobilenet_v2", hw)
    for metric in METRICS:
        there, back = forward.attributions[metric], backward.attributions[metric]
        assert there.delta == pytest.approx(-back.delta)
        for name, value in there.components.items():
            assert value == pytest.approx(-back.components[name], abs=1e-9 * max(1.0, abs(there.a_total))), name


@pytest.mark.parametrize("b_name", ["ssdlite_mobilenet_v3_large", "ssdlite_mobilenet_v3_large_reduced"])
def test_components_sum_to_delta(b_name):
    report = diff("ssdlite_mobilenet_v2", b_name, "pixel1-cpu")
    for metric in METRICS:
        attribution = report.attributions[metric]
        assert sum(attribution.components.values()) == pytest.approx(attribution.delta, rel=1e-3)
        assert abs(attribution.residual) <= 1e-3 * abs(attribution.delta)


def test_removing_se_is_all_se():
    report = diff("mobilenet_v3_large", "mobilenet_v3_large", "pixel1-cpu", (("se", False),))
    latency = report.attributions["latency_s"]
    assert latency.delta < 0
    assert latency.components[SE] == pytest.approx(latency.delta, rel=1e-9)
    others = [value for name, value in latency.components.items() if name != SE]
    assert all(abs(value) < 1e-12 for value in others)


def test_relu_for_h_swish_is_all_activation():
    report = diff("mobilenet_v3_large", "mobilenet_v3_large", "pixel1-cpu", (("activation", "relu"),))
    latency = report.attributions["latency_s"]
    assert latency.delta < 0
    assert latency.components[ACTIVATIONS] == pytest.approx(latency.delta, rel=1e-9)
    others = [value for name, value in latency.components.items() if name != ACTIVATIONS]
    assert all(abs(value) < 1e-12 for value in others)


def test_macs_attribution_has_no_fusion():
    # Fusion changes traffic, never MACs; h-swish adds no MACs.
    report = diff("ssdlite_mobilenet_v2", "ssdlite_mobilenet_v3_large", "pixel1-cpu")
    macs = report.attributions["macs"]
    assert macs.components["fusion"] == 0
    assert macs.components[ACTIVATIONS] == 0
    # SE adds its two 1x1 convs: positive MACs.
    assert macs.components[SE] > 0


def test_stages_cover_every_kernel():
    report = diff("ssdlite_mobilenet_v2", "ssdlite_mobilenet_v3_large", "pixel1-cpu")
    assert report.stage_names() == [
        "stride 2", "stride 4", "stride 8", "stride 16", "stride 32", "extras", "heads",
    ]
    for side in (report.a, report.b):
        assert side.stage_totals()["kernels"] == len(side.report.kernels.kernels)
        assert side.stage_totals()["latency_s"] == pytest.approx(side.report.latency.total_s)
        assert side.stage_totals()["macs"] == side.report.totals.macs


def test_extras_identical_architecture():
    # Both detectors have the same extra layers (512/256/256/128) on a
    # stride-32 map of different depth: the extras differ only in their
    # first 1x1 conv's input channels.
    report = diff("ssdlite_mobilenet_v3_large", "ssdlite_mobilenet_v3_large_reduced", "pixel1-cpu")
    # V3-dagger halves the last conv (960 -> 480), the first extra conv's input.
    extras_macs = report.attributions["macs"].components["detection extras"]
    # 1x1 conv 960 -> 256 on 10x10 becomes 480 -> 256: -480 * 256 * 100 MACs.
    assert extras_macs == -480 * 256 * 100


def test_explain_mentions_causes():
    report = diff("ssdlite_mobilenet_v2", "ssdlite_mobilenet_v3_large_reduced", "pixel1-cpu")
    text = explain(report)
    assert "faster" in text
    assert "Squeeze-excite (0 blocks in" in text
    assert "h-swish and h-sigmoid (0 h-swish in" in text
    assert f"{report.attributions['latency_s'].b_total * 1e3:.1f} ms" in text


def test_whatif_rows():
    rows = what_if(zoo("mobilenet_v3_large"), "pixel1-cpu", remove_se=True, relu=True, no_fusion=False)
    assert [row.label for row in rows] == ["original", "SE removed", "ReLU for h-swish", "ReLU for h-swish, SE removed"]
    original, no_se = rows[0], rows[1]
    # 8 SE blocks removed: their pool, two 1x1 convs, gate and multiply are gone.
    assert original.patterns["squeeze_excite"] == 8
    assert no_se.patterns.get("squeeze_excite", 0) == 0
    assert no_se.totals["macs"] < original.totals["macs"]
    relu = rows[2]
    assert relu.patterns.get("h_swish", 0) == 0
    assert relu.totals["macs"] == original.totals["macs"]


def test_cli_diff_and_explain(tmp_path, capsys):
    a, b = tmp_path / "a.onnx", tmp_path / "b.onnx"
    a.write_bytes(build_model("mobilenet_v3_small").SerializeToString())
    b.write_bytes(build_model("mobilenet_v3_small", se=False).SerializeToString())
    assert main(["diff", str(a), str(b), "--hw", "pixel1-cpu"]) == 0
    output = capsys.readouterr().out
    assert "Attribution of B - A" in output
    assert "squeeze-excite blocks" in output
    assert main(["explain", str(a), str(b), "--hw", "pixel1-cpu"]) == 0
    assert "faster" in capsys.readouterr().out
    assert main(["whatif", str(a), "--hw", "pixel1-cpu", "--no-fusion"]) == 0
    assert "no fusion" in capsys.readouterr().out
    assert main(["whatif", str(a), "--hw", "pixel1-cpu"]) == 2
    assert "needs at least one of" in capsys.readouterr().err
