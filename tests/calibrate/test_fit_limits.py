"""A calibrated number that the fit stopped at a limit is marked in its source and logged as a warning."""

from __future__ import annotations

import dataclasses
import logging

import graphcost
from graphcost.calibrate.run import _finish
from graphcost.hardware import Sourced, load_profile
from graphcost.latency.fit import FitSample
from graphcost.latency.model import byte_scale
from graphcost.zoo import build_model


def test_source_names_fit_limit(caplog):
    truth = load_profile("x86-avx2-cpu")
    samples = []
    for name in ("mobilenet_v2", "mobilenet_v3_small"):
        model = graphcost.load(build_model(name))
        report = graphcost.analyze(model, hw=truth)
        samples.append(FitSample(name, report.kernels, byte_scale(model, truth), report.latency.total_s))
    # The runs were timed with 1/1000 of the base overhead, below the fit's floor of 2% of it.
    base = dataclasses.replace(truth, overhead_per_kernel_s=Sourced(truth.overhead_per_kernel_s.value * 1000, "estimate"))

    with caplog.at_level(logging.WARNING, logger="graphcost"):
        calibration = _finish(base, samples, "test", "test", "calibrated: test", [])

    overhead = calibration.profile.overhead_per_kernel_s
    assert overhead.source == "at the fit's limit of 2% of the starting value; the data did not pin it: calibrated: test"
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "overhead stopped at the fit's limit of 2% of the starting value" in caplog.text
    assert all("limit" not in value.source for value in calibration.profile.efficiency.values())
