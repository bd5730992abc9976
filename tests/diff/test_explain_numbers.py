"""Numbers in explain sentences: units and precision that fit small models, signs that agree, no-difference wording."""

from __future__ import annotations

import pytest
from diff_helpers import conv_net, load_named

from graphcost.diff.compare import diff_models
from graphcost.diff.explain import explain
from graphcost.diff.magnitudes import format_count, format_duration


@pytest.mark.parametrize(
    ("seconds", "signed", "expected"),
    [
        (0.0, False, "0.0 ms"),
        (0.0, True, "+0.0 ms"),
        (-1e-20, True, "+0.0 ms"),
        (0.253e-3, False, "0.253 ms"),
        (0.09996e-3, False, "0.100 ms"),
        (43.21e-6, True, "+43.2 µs"),
        (-43.21e-6, True, "-43.2 µs"),
        (2.144e-3, True, "+2.14 ms"),
        (119.43e-3, False, "119.4 ms"),
        (0.5e-9, False, "0.500 ns"),
    ],
)
def test_format_duration(seconds, signed, expected):
    assert format_duration(seconds, signed) == expected


@pytest.mark.parametrize(
    ("value", "signed", "expected"),
    [
        (0, True, "+0"),
        (950, False, "950"),
        (-688_000, True, "-688 k"),
        (999_600, False, "1.00 M"),
        (1_620_000, False, "1.62 M"),
        (-174_130_000, True, "-174 M"),
        (2_500_000_000, False, "2.50 G"),
    ],
)
def test_format_count(value, signed, expected):
    assert format_count(value, signed) == expected


def test_explain_macs_change_in_thousands():
    # 3x3 conv, 8 -> 16 channels on 16x16: 8 * 16 * 9 * 256 = 294,912 MACs;
    # with 4 groups a quarter of that, 73,728: a change of -221,184 (-75.0%).
    report = diff_models(load_named(conv_net(), "dense.onnx"), load_named(conv_net(groups=4), "grouped.onnx"), "pixel1-cpu")
    assert report.attributions["macs"].delta == -221_184
    text = explain(report)
    assert "MACs change by -75.0% (-221 k)" in text


def test_explain_speedup_sign_and_precision():
    # Grouping the conv saves less than 0.05 ms, which rounds to 0.0 ms.
    report = diff_models(load_named(conv_net(), "dense.onnx"), load_named(conv_net(groups=4), "grouped.onnx"), "pixel1-cpu")
    latency = report.attributions["latency_s"]
    assert -5e-5 < latency.delta < 0
    headline = explain(report).splitlines()[0]
    percent = f"{abs(latency.delta / latency.a_total) * 100:.1f}% faster"
    assert f"grouped is {percent} (-{-latency.delta * 1e6:.1f} µs)." in headline
    assert "(+" not in headline
    assert "0.0 ms" not in headline


def test_explain_same_model_has_no_difference():
    report = diff_models(load_named(conv_net(), "net.onnx"), load_named(conv_net(), "net.onnx"), "pixel1-cpu")
    text = explain(report)
    assert "both take" in text
    assert "have the same MACs (295 k)" in text
    assert "there is no difference to explain" in text
    assert "is the same" not in text
    assert "do not tell the latency difference" not in text
    assert "Fusion on this device" not in text
    assert "The layers themselves" not in text


def test_explain_same_macs_different_latency():
    report = diff_models(load_named(conv_net(), "net.onnx"), load_named(conv_net(softmax=True), "softmax.onnx"), "pixel1-cpu")
    assert report.attributions["macs"].delta == 0
    assert report.attributions["latency_s"].delta > 0
    text = explain(report)
    assert "softmax is " in text
    assert "% slower (+" in text
    assert "Both models do the same MACs (295 k)" in text
    assert "MACs change by" not in text


def test_fallback_clause_number():
    from graphcost.diff.explain import _fallback_clause

    assert _fallback_clause(1, "m", ["Erf"]) == "One kernel of m (Erf) runs on the fallback CPU because this device does not support it"
    assert _fallback_clause(3, "m", ["Div", "Erf"]).startswith("3 kernels of m (Div, Erf) run on the fallback CPU")
