"""Predict the latency of a reference model row on a profile."""

from __future__ import annotations

import dataclasses

from graphcost.analysis import analyze_model
from graphcost.hardware import HardwareProfile
from graphcost.load import load
from graphcost.zoo import build_model
from graphcost.zoo.published import LatencyRow


def predict_row(row: LatencyRow, profile: HardwareProfile) -> float:
    """Return the predicted latency in milliseconds of the model a published row measured."""
    model = load(build_model(row.model, **row.options))
    fusion = profile.fusion
    if row.separate_activation_ops:
        fusion = dataclasses.replace(fusion, activation_kernel=False)
    report = analyze_model(model, fusion=fusion, hw=profile)
    return report.latency.total_s * 1e3
