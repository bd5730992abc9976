"""Calibration raises the MAC peak from conv kernels and the element-wise peak from element-wise kernels."""

from __future__ import annotations

import pytest

from graphcost.analysis import analyze_model
from graphcost.calibrate.micro import microbenchmarks
from graphcost.calibrate.run import FASTEST_EFFICIENCY, _raise_peak
from graphcost.hardware import load_profile
from graphcost.latency.fit import FitSample
from graphcost.load import load


def _sample(name_start: str, measured_s: float) -> FitSample:
    case = next(case for case in microbenchmarks(True) if case.name.startswith(name_start))
    kernels = analyze_model(load(case.model)).kernels
    return FitSample(case.name, kernels, 1.0, measured_s)


def test_each_peak_raised_from_its_own_kernels():
    base = load_profile("x86-avx2-cpu")
    conv = _sample("conv1x1", 1e-4)
    hard_swish = _sample("HardSwish", 1e-5)
    conv_kernel, hard_swish_kernel = conv.kernels.kernels[0], hard_swish.kernels.kernels[0]
    # Both kernels run above 80% of their base peak, so both peaks are raised.
    assert conv_kernel.macs / 1e-4 > FASTEST_EFFICIENCY * base.macs_per_s.value
    assert hard_swish_kernel.elementwise_ops / 1e-5 > FASTEST_EFFICIENCY * base.elementwise_ops_per_s.value

    raised = _raise_peak(base, [conv, hard_swish], "calibrated: test")

    assert raised.macs_per_s.value == pytest.approx(conv_kernel.macs / 1e-4 / FASTEST_EFFICIENCY)
    assert raised.elementwise_ops_per_s.value == pytest.approx(hard_swish_kernel.elementwise_ops / 1e-5 / FASTEST_EFFICIENCY)
    assert "fastest measured conv or FC kernel, 128.5 GMAC/s" in raised.macs_per_s.source
    assert "fastest measured element-wise kernel, 100.4 G operations/s" in raised.elementwise_ops_per_s.source
    assert "GMAC" not in raised.elementwise_ops_per_s.source


def test_element_wise_peak_kept_when_not_exceeded():
    base = load_profile("x86-avx2-cpu")
    # 1.0 G operations/s for the HardSwish kernel, far below the 48 G of the base peak.
    samples = [_sample("conv1x1", 1e-4), _sample("HardSwish", 1e-3)]

    raised = _raise_peak(base, samples, "calibrated: test")

    assert raised.elementwise_ops_per_s == base.elementwise_ops_per_s
    assert raised.macs_per_s != base.macs_per_s
