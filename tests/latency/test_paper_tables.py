"""pixel1-cpu against the MobileNetV3 paper's Pixel 1 latencies (Howard et al. 2019).

The profile was fitted on Tables 3 and 5 only; Table 6 tests it.
"""

from __future__ import annotations

import functools

import pytest

from graphcost.hardware import load_profile
from graphcost.latency.predict import predict_row
from graphcost.zoo.published import TABLE_3, TABLE_5, TABLE_6


@functools.lru_cache(maxsize=None)
def predictions(table: str) -> dict[str, float]:
    profile = load_profile("pixel1-cpu")
    rows = {"3": TABLE_3, "5": TABLE_5, "6": TABLE_6}[table]
    return {row.label: predict_row(row, profile) for row in rows}


@pytest.mark.parametrize("row", TABLE_3 + TABLE_6, ids=lambda row: f"{row.table} {row.label}")
def test_row_within_15_percent(row):
    predicted = predictions(row.table[-1])[row.label]
    assert predicted == pytest.approx(row.latency_ms, rel=0.15)


def test_table6_order():
    predicted = predictions("6")
    published_order = [row.label for row in sorted(TABLE_6, key=lambda row: -row.latency_ms)]
    assert sorted(predicted, key=lambda label: -predicted[label]) == published_order


def test_table6_reduced_v3_over_v2_ratio():
    # Published: 119 / 162 = 0.735; within 5% of it.
    predicted = predictions("6")
    assert predicted["V3†"] / predicted["V2"] == pytest.approx(119 / 162, rel=0.05)


def test_table5_unoptimized_h_swish_delta():
    # Published: 57.5 - 51.4 = 6.1 ms; sign and size within 50%.
    predicted = predictions("5")
    delta = predicted["h-swish, unoptimized"] - predicted["h-swish, optimized op"]
    assert delta == pytest.approx(6.1, rel=0.5)


def test_table5_fused_h_swish_over_relu_delta():
    # Published: 51.4 - 50.5 = 0.9 ms; sign and size within 50%.
    predicted = predictions("5")
    delta = predicted["h-swish, optimized op"] - predicted["all ReLU"]
    assert delta == pytest.approx(0.9, rel=0.5)


def test_pixel1_not_fitted_on_table6():
    profile = load_profile("pixel1-cpu")
    calibrated = [value.source for value in profile.numbers().values() if value.source.startswith("calibrated")]
    assert calibrated, "pixel1-cpu should have calibrated numbers"
    assert all("Table 6" not in source for source in calibrated)
