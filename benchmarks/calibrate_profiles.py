"""Fit the per-kernel overhead of pixel-npu and pixel4-gpu to one published latency each.

One measured latency can fix one number, so each fit frees only
``overhead.per_kernel_s``. Every other number of the two profiles stays the
estimate written in its file.

Fitted data:

- pixel-npu: MobileNet v2 (224x224) 2.6 ms on the Edge TPU of the Coral USB
  Accelerator (USB 3.0) and Dev Board, from Coral's "Edge TPU performance
  benchmarks" page. The Coral chip is used in place of the Pixel 4 Neural
  Core, for which no classification latency was found.
- pixel4-gpu: MobileNetV2 1.0 224 float on the Pixel 4 GPU, derived, not
  measured: 6.2 ms on the Pixel 3 GPU (TensorFlow Lite "Hosted models"
  page) times 9.0 / 6.45, the Pixel 4 / Pixel 3 ratio of the GPU-delegate
  latencies of MobileNet V1 1.0 224 float (TensorFlow Lite "Performance
  benchmarks" page, Android 10).

Checked, not fitted: SSDLite MobileNetV2 on the Pixel 4 Edge TPU, 6.8 ms
(reported for the TensorFlow Object Detection API model zoo).

Run from the repository root: ``python benchmarks/calibrate_profiles.py``.
It rewrites the two profile files, then prints the fit residuals, the check
and a table of predicted latencies of every built-in profile in Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import graphcost
from graphcost.hardware import builtin_profile_names, load_profile
from graphcost.hardware.writer import profile_to_toml
from graphcost.latency.fit import FitSample, fit_profile
from graphcost.latency.model import byte_scale
from graphcost.zoo import build_model

REPO = Path(__file__).resolve().parent.parent
PROFILES = REPO / "hardware_profiles"
COMMAND = "python benchmarks/calibrate_profiles.py"

PIXEL3_GPU_MOBILENET_V2_MS = 6.2
PIXEL3_GPU_MOBILENET_V1_MS = 6.45
PIXEL4_GPU_MOBILENET_V1_MS = 9.0


@dataclass(frozen=True)
class PublishedLatency:
    """One published (or derived) latency of a reference model on a profile's device."""

    profile: str
    model: str
    latency_ms: float
    description: str


FITS = (
    PublishedLatency(
        "pixel-npu",
        "mobilenet_v2",
        2.6,
        "MobileNet v2 (224x224) 2.6 ms on the Coral Edge TPU (Coral 'Edge TPU performance benchmarks' page, "
        "USB Accelerator on USB 3.0 and Dev Board)",
    ),
    PublishedLatency(
        "pixel4-gpu",
        "mobilenet_v2",
        PIXEL3_GPU_MOBILENET_V2_MS * PIXEL4_GPU_MOBILENET_V1_MS / PIXEL3_GPU_MOBILENET_V1_MS,
        "MobileNetV2 1.0 224 float on the Pixel 4 GPU, derived as 8.65 ms = 6.2 ms on the Pixel 3 GPU (TensorFlow "
        "Lite 'Hosted models' page) x 9.0 / 6.45 (MobileNet V1 1.0 224 float with the GPU delegate on the Pixel 4 and "
        "the Pixel 3, TensorFlow Lite 'Performance benchmarks' page, Android 10)",
    ),
)
CHECKS = (
    PublishedLatency(
        "pixel-npu",
        "ssdlite_mobilenet_v2",
        6.8,
        "SSDLite MobileNetV2 (320x320) 6.8 ms on the Pixel 4 Edge TPU, reported for the TensorFlow Object "
        "Detection API model zoo; the published time may include post-processing that the reference model lacks",
    ),
)
TABLE_MODELS = ("mobilenet_v2", "ssdlite_mobilenet_v3_large", "ssdlite_mobilenet_v2")


def fit_overhead(target: PublishedLatency) -> None:
    """Fit the per-kernel overhead of ``target.profile`` to its latency and rewrite the profile file."""
    path = PROFILES / f"{target.profile}.toml"
    profile = load_profile(str(path))
    model = graphcost.load(build_model(target.model))
    report = graphcost.analyze(model, fusion=profile.fusion)
    sample = FitSample(target.model, report.kernels, byte_scale(model, profile), target.latency_ms / 1e3)
    source = f"calibrated: {COMMAND}, fitted to {target.description} on graphcost's {target.model} reference model"
    result = fit_profile(profile, [sample], free=["overhead"], ridge=0.0, source=source)
    path.write_text(profile_to_toml(result.profile), encoding="utf-8")
    residual = result.residuals[target.model] * 100
    print(f"{target.profile}: overhead {result.profile.overhead_per_kernel_s.value * 1e6:.2f} us per kernel, "
          f"fit residual {residual:+.2f} % on {target.model} ({target.latency_ms:.2f} ms); wrote {path.name}")


def predict_ms(profile_name: str, model_name: str) -> float:
    report = graphcost.analyze(str(REPO / "models" / f"{model_name}.onnx"), hw=profile_name)
    return report.latency.total_s * 1e3


def main() -> None:
    for target in FITS:
        fit_overhead(target)
    print()
    for check in CHECKS:
        predicted = predict_ms(check.profile, check.model)
        error = (predicted - check.latency_ms) / check.latency_ms * 100
        print(f"check, not fitted: {check.profile} {check.model}: predicted {predicted:.2f} ms, "
              f"published {check.latency_ms:g} ms ({error:+.1f} %)")
    print()
    print("| profile | " + " | ".join(f"{name} (ms)" for name in TABLE_MODELS) + " |")
    print("|---|" + "---:|" * len(TABLE_MODELS))
    for name in builtin_profile_names():
        cells = " | ".join(f"{predict_ms(name, model):.2f}" for model in TABLE_MODELS)
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
