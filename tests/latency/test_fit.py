"""The calibration fit recovers known parameters from latencies they produced."""

from __future__ import annotations

import dataclasses

import pytest

import graphcost
from graphcost.hardware import Sourced, load_profile
from graphcost.latency.fit import FitSample, fit_profile
from graphcost.latency.model import byte_scale
from graphcost.zoo import build_model

MODELS = [
    ("mobilenet_v2", {}),
    ("mobilenet_v2_0.35", {}),
    ("mobilenet_v3_large", {}),
    ("mobilenet_v3_small", {}),
    ("mobilenet_v3_large", {"width": 0.75}),
    ("mobilenet_v3_large", {"activation": "relu"}),
    ("mobilenet_v2", {"resolution": 160}),
    ("mobilenet_v3_small", {"resolution": 320}),
]


def samples_on(profile):
    samples = []
    for name, options in MODELS:
        model = graphcost.load(build_model(name, **options))
        report = graphcost.analyze(model, hw=profile)
        samples.append(FitSample(f"{name} {options}", report.kernels, byte_scale(model, profile), report.latency.total_s))
    return samples


def test_fit_recovers_efficiencies():
    truth = load_profile("pixel1-cpu")
    measured = samples_on(truth)
    # Start 40% off on the 1x1 and depthwise efficiencies and the overhead.
    efficiency = dict(truth.efficiency)
    efficiency["conv_1x1"] = Sourced(truth.efficiency["conv_1x1"].value * 0.6, "test start")
    efficiency["conv_depthwise"] = Sourced(truth.efficiency["conv_depthwise"].value * 1.4, "test start")
    start = dataclasses.replace(
        truth,
        efficiency=efficiency,
        overhead_per_kernel_s=Sourced(truth.overhead_per_kernel_s.value * 1.4, "test start"),
    )
    free = ["efficiency.conv_1x1", "efficiency.conv_depthwise", "overhead"]
    result = fit_profile(start, measured, free=free, ridge=1e-6, source="calibrated: test")
    fitted = result.profile
    assert fitted.efficiency["conv_1x1"].value == pytest.approx(truth.efficiency["conv_1x1"].value, rel=0.02)
    assert fitted.efficiency["conv_depthwise"].value == pytest.approx(truth.efficiency["conv_depthwise"].value, rel=0.05)
    assert fitted.overhead_per_kernel_s.value == pytest.approx(truth.overhead_per_kernel_s.value, rel=0.1)
    assert max(abs(error) for error in result.residuals.values()) < 0.005
    assert fitted.efficiency["conv_1x1"].source == "calibrated: test"
    # Parameters not fitted keep their values and sources.
    assert fitted.efficiency["fc"] == truth.efficiency["fc"]


def test_fit_keeps_best_step():
    """Fitting the pixel1-cpu starting values to Tables 3 and 5 makes kernels flip bounds between steps.

    Each extra step allowed may only lower the returned objective, and the
    fit stops once a set of bounds comes back instead of running to the limit.
    """
    from graphcost.zoo.published import TABLE_3, TABLE_5

    profile = load_profile("pixel1-cpu")
    efficiency = dict(profile.efficiency)
    for name, value in {"conv_1x1": 0.3, "conv_depthwise": 0.15, "elementwise": 0.2, "conv_epilogue": 0.2, "pooling": 0.1}.items():
        efficiency[name] = Sourced(value, "test start")
    start = dataclasses.replace(profile, efficiency=efficiency, overhead_per_kernel_s=Sourced(20e-6, "test start"))
    samples = []
    for row in TABLE_3 + TABLE_5:
        model = graphcost.load(build_model(row.model, **row.options))
        fusion = dataclasses.replace(start.fusion, activation_kernel=False) if row.separate_activation_ops else start.fusion
        report = graphcost.analyze(model, fusion=fusion)
        samples.append(FitSample(row.label, report.kernels, byte_scale(model, start), row.latency_ms / 1e3))
    free = ["efficiency.conv_1x1", "efficiency.conv_depthwise", "efficiency.elementwise", "efficiency.conv_epilogue", "overhead"]

    objectives = [fit_profile(start, samples, free=free, ridge=0.001, max_iterations=steps).objective for steps in range(1, 7)]
    assert all(later <= earlier for earlier, later in zip(objectives, objectives[1:]))
    result = fit_profile(start, samples, free=free, ridge=0.001)
    assert result.iterations < 50
    assert result.objective <= min(objectives) * (1 + 1e-9)


def test_fit_reports_parameter_at_limit():
    truth = load_profile("pixel1-cpu")
    measured = samples_on(truth)
    # The measured runs need 1/1000 of the starting overhead, below the fit's floor of 2%.
    start = dataclasses.replace(truth, overhead_per_kernel_s=Sourced(truth.overhead_per_kernel_s.value * 1000, "test start"))

    result = fit_profile(start, measured, free=["efficiency.conv_1x1", "overhead"], ridge=1e-6, source="calibrated: test")

    assert result.at_limit == {"overhead": "2% of the starting value"}
    assert result.profile.overhead_per_kernel_s.value == pytest.approx(start.overhead_per_kernel_s.value * 0.02)


def test_fit_within_limits_reports_none():
    truth = load_profile("pixel1-cpu")
    start = dataclasses.replace(truth, overhead_per_kernel_s=Sourced(truth.overhead_per_kernel_s.value * 1.4, "test start"))

    result = fit_profile(start, samples_on(truth), free=["efficiency.conv_1x1", "overhead"], ridge=1e-6, source="calibrated: test")

    assert result.at_limit == {}
