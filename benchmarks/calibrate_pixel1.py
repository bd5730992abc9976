"""Fit the pixel1-cpu profile to the MobileNetV3 paper's Pixel 1 classification latencies.

Data: Howard et al., "Searching for MobileNetV3", ICCV 2019. Table 3 (float,
Pixel 1, one large core, TensorFlow Lite): MobileNetV2 1.0 64 ms and 0.35
16.6 ms, MobileNetV3-Large 1.0 51 ms and 0.75 39 ms, MobileNetV3-Small 1.0
15.8 ms. Table 5 (MobileNetV3-Large, Pixel 1): optimized h-swish 51.4 ms,
unoptimized h-swish 57.5 ms, all ReLU 50.5 ms. The detection latencies of
Table 6 are not used, so they stay a test of the profile.

The models are graphcost's reference models (``graphcost zoo``). The
unoptimized h-swish run is the TensorFlow form x * ReLU6(x + 3) * (1/6)
with each op as its own kernel.

Run from the repository root: ``python benchmarks/calibrate_pixel1.py``.
It rewrites hardware_profiles/pixel1-cpu.toml and prints the residuals,
then the leave-one-out errors: each row predicted by a profile fitted to
the seven others, an estimate of the error on a model outside the data.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import graphcost
from graphcost.hardware import Sourced, load_profile
from graphcost.hardware.writer import profile_to_toml
from graphcost.latency.fit import FitSample, fit_profile
from graphcost.latency.model import byte_scale
from graphcost.latency.predict import predict_row
from graphcost.zoo import build_model
from graphcost.zoo.published import TABLE_3, TABLE_5

PROFILE_PATH = Path(__file__).resolve().parent.parent / "hardware_profiles" / "pixel1-cpu.toml"
COMMAND = "python benchmarks/calibrate_pixel1.py"
SOURCE = (
    f"calibrated: {COMMAND}, fitted to Howard et al. 2019 Table 3 (Pixel 1 float: V2 1.0 64 ms, V2 0.35 16.6, "
    "V3-Large 1.0 51, V3-Large 0.75 39, V3-Small 1.0 15.8) and Table 5 (V3-Large 51.4, unoptimized h-swish 57.5, "
    "all ReLU 50.5) on graphcost's reference models"
)
FREE = [
    "efficiency.conv_1x1",
    "efficiency.conv_depthwise",
    "efficiency.elementwise",
    "efficiency.conv_epilogue",
    "efficiency.pooling",
    "overhead",
]
# Fixed starting values of the fitted parameters, so that running the script
# again gives the same profile instead of drifting from its last output.
START_EFFICIENCY = {"conv_1x1": 0.3, "conv_depthwise": 0.15, "elementwise": 0.2, "conv_epilogue": 0.2, "pooling": 0.1}
START_OVERHEAD_S = 20e-6
RIDGE = 0.001


def main() -> None:
    profile = load_profile(str(PROFILE_PATH))
    efficiency = dict(profile.efficiency)
    for name, value in START_EFFICIENCY.items():
        efficiency[name] = Sourced(value, "starting value")
    profile = dataclasses.replace(profile, efficiency=efficiency, overhead_per_kernel_s=Sourced(START_OVERHEAD_S, "starting value"))
    rows = TABLE_3 + TABLE_5
    samples = []
    for row in rows:
        model = graphcost.load(build_model(row.model, **row.options))
        fusion = dataclasses.replace(profile.fusion, activation_kernel=False) if row.separate_activation_ops else profile.fusion
        report = graphcost.analyze(model, fusion=fusion)
        samples.append(FitSample(f"{row.table} {row.label}", report.kernels, byte_scale(model, profile), row.latency_ms / 1e3))
    result = fit_profile(profile, samples, free=FREE, ridge=RIDGE, source=SOURCE)
    PROFILE_PATH.write_text(profile_to_toml(result.profile), encoding="utf-8")
    print(f"wrote {PROFILE_PATH} after {result.iterations} iterations")
    for label, residual in result.residuals.items():
        print(f"{label:32s} {residual * 100:+.1f} %")

    print("\nleave-one-out: each row predicted by a fit to the other rows")
    errors = []
    for index, row in enumerate(rows):
        others = samples[:index] + samples[index + 1 :]
        fitted = fit_profile(profile, others, free=FREE, ridge=RIDGE, source=SOURCE).profile
        errors.append(predict_row(row, fitted) / row.latency_ms - 1.0)
        print(f"{samples[index].name:32s} {errors[-1] * 100:+.1f} %")
    rms = (sum(error * error for error in errors) / len(errors)) ** 0.5
    print(f"{'root mean square':32s} {rms * 100:.1f} %")


if __name__ == "__main__":
    main()
