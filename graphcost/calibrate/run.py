"""Calibrate a profile: measure microbenchmarks or read a trace, then fit the profile to it."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graphcost import __version__
from graphcost.analysis import analyze_model
from graphcost.calibrate.measure import import_onnxruntime, measure
from graphcost.calibrate.micro import microbenchmarks
from graphcost.calibrate.traces import TraceMatch, match_onnxruntime, match_tflite, read_trace
from graphcost.errors import GraphcostError
from graphcost.hardware import HardwareProfile, Sourced
from graphcost.latency.fit import OVERHEAD, FitResult, FitSample, _units, fit_profile, parameter_names
from graphcost.latency.model import MAC_CLASSES, byte_scale, hot_input_bytes, kernel_terms, seconds_per_unit
from graphcost.load import load

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass
class Calibration:
    """A fitted profile, the samples it was fitted on and the fit's relative residuals."""

    fit: FitResult
    samples: list[FitSample]

    @property
    def profile(self) -> HardwareProfile:
        return self.fit.profile

    def residual_summary(self) -> str:
        errors = np.abs(list(self.fit.residuals.values())) * 100
        return (
            f"{len(errors)} samples, median |error| {np.median(errors):.1f}%, max {np.max(errors):.1f}%, "
            f"{np.mean(errors <= 10) * 100:.0f}% within 10%"
        )


def machine_description() -> str:
    model_name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    model_name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model_name}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def _free_parameters(profile: HardwareProfile, samples: list[FitSample]) -> list[str]:
    """Return the parameters that some kernel of ``samples`` has units of, on its compute or its memory side.

    A parameter with no units in any sample, such as the efficiency of a
    class no sample contains or the bandwidth of a level no working set
    reaches, cannot be fitted, so it keeps its value and source.
    """
    exercised = set()
    for sample in samples:
        if sample.kernels.kernels:
            exercised.add(OVERHEAD)
        hot = hot_input_bytes(sample.kernels, profile, sample.byte_scale)
        for kernel in sample.kernels.kernels:
            terms = kernel_terms(kernel, profile, sample.byte_scale, hot.get(kernel.id, 0.0))
            for side in (terms.compute, terms.memory):
                exercised.update(name for name, units in side.items() if units > 0)
    return [name for name in parameter_names(profile) if name in exercised]


# Relative change of a price below which a fitted parameter counts as unchanged.
UNCHANGED_RELATIVE = 1e-9


def _fixed_after_fit(profile: HardwareProfile, samples: list[FitSample], fit: FitResult) -> set[str]:
    """Return the fitted parameters that the data did not constrain, or that the fit left unchanged.

    The fit prices each kernel on its bounding side only, so a parameter with
    no units on the bounding side of any kernel has no data behind it. The
    ridge term then keeps it at its start, up to rounding.
    """
    start = seconds_per_unit(profile)
    start[OVERHEAD] = profile.overhead_per_kernel_s.value
    prices = {**start, **fit.prices}
    bound_units: dict[str, float] = {}
    for sample in samples:
        for name, units in _units(sample, profile, prices).items():
            bound_units[name] = bound_units.get(name, 0.0) + units
    fixed = set()
    for name, fitted in fit.prices.items():
        unchanged = abs(fitted / start[name] - 1.0) < UNCHANGED_RELATIVE
        if unchanged or bound_units.get(name, 0.0) <= 0:
            fixed.add(name)
    return fixed


def _fit(base: HardwareProfile, samples: list[FitSample], source: str) -> FitResult:
    """Fit the parameters the samples constrain, refitting without those that come out unconstrained or unchanged.

    The parameters left out keep their base value and source exactly, so
    a calibrated profile labels as calibrated only the numbers the data moved.
    """
    free = _free_parameters(base, samples)
    while True:
        fit = fit_profile(base, samples, free=free, ridge=0.01, source=source)
        fixed = _fixed_after_fit(base, samples, fit)
        if not fixed:
            return fit
        free = [name for name in free if name not in fixed]


# Efficiencies are fractions of the peak. When a kernel runs faster than the
# base profile's peak allows, the peak (a clock estimate) is wrong for this
# machine, so it is raised until the fastest kernel sits at this fraction.
FASTEST_EFFICIENCY = 0.8


def _raise_peak(base: HardwareProfile, samples: list[FitSample], source: str) -> HardwareProfile:
    """Raise each peak of ``base`` that a single-kernel sample runs faster than FASTEST_EFFICIENCY of.

    The MAC peak is raised from the fastest conv or FC kernel and the
    element-wise peak from the fastest kernel of another class, because a
    MAC rate does not bound the rate of adds, activations or pooling.
    """
    mac_rates, operation_rates = [], []
    for sample in samples:
        if len(sample.kernels.kernels) != 1:
            continue
        kernel = sample.kernels.kernels[0]
        if kernel.kernel_class in MAC_CLASSES:
            if kernel.macs:
                mac_rates.append(kernel.macs / sample.measured_s)
        elif kernel.elementwise_ops:
            operation_rates.append(kernel.elementwise_ops / sample.measured_s)
    macs_per_s = _raised_peak(base.macs_per_s, mac_rates, "conv or FC kernel", "GMAC/s", source)
    elementwise_ops_per_s = _raised_peak(
        base.elementwise_ops_per_s, operation_rates, "element-wise kernel", "G operations/s", source
    )
    return dataclasses.replace(base, macs_per_s=macs_per_s, elementwise_ops_per_s=elementwise_ops_per_s)


def _raised_peak(peak: Sourced, rates: list[float], kernel_kind: str, unit: str, source: str) -> Sourced:
    if not rates or max(rates) <= FASTEST_EFFICIENCY * peak.value:
        return peak
    reason = (
        f"{source}; raised so the fastest measured {kernel_kind}, {max(rates) / 1e9:.1f} {unit}, "
        f"runs at {FASTEST_EFFICIENCY:.0%} of peak"
    )
    return Sourced(max(rates) / FASTEST_EFFICIENCY, reason)


def _mark_at_limit(profile: HardwareProfile, at_limit: dict[str, str], source: str) -> HardwareProfile:
    """Return ``profile`` with the source of each parameter in ``at_limit`` saying that the fit stopped it at that limit."""

    def marked(name: str, old: Sourced) -> Sourced:
        if name not in at_limit:
            return old
        return Sourced(old.value, f"at the fit's limit of {at_limit[name]}; the data did not pin it: {source}")

    efficiency = {key: marked(f"efficiency.{key}", value) for key, value in profile.efficiency.items()}
    memory = tuple(
        dataclasses.replace(level, bandwidth_bytes_per_s=marked(f"memory.{level.name}", level.bandwidth_bytes_per_s))
        for level in profile.memory
    )
    overhead = marked(OVERHEAD, profile.overhead_per_kernel_s)
    return dataclasses.replace(profile, efficiency=efficiency, memory=memory, overhead_per_kernel_s=overhead)


def _finish(base: HardwareProfile, samples: list[FitSample], name: str, description: str, source: str, notes: list[str]) -> Calibration:
    base = _raise_peak(base, samples, source)
    fit = _fit(base, samples, source)
    calibration = Calibration(fit, samples)
    for parameter, limit in fit.at_limit.items():
        if parameter.startswith("efficiency."):
            remedy = "If it is at efficiency 1, raise the peak rate of the --base profile"
        else:
            remedy = "Start from a --base profile whose value is closer to this machine's"
        logger.warning(
            "%s stopped at the fit's limit of %s, so the data did not pin it and the profile contains the limit. %s",
            parameter,
            limit,
            remedy,
        )
    profile = dataclasses.replace(
        _mark_at_limit(fit.profile, fit.at_limit, source),
        name=name,
        description=description,
        notes=tuple(notes) + (f"fit residuals: {calibration.residual_summary()}",),
        fusion=dataclasses.replace(fit.profile.fusion, name=name),
    )
    calibration.fit = dataclasses.replace(fit, profile=profile)
    return calibration


def check_onnxruntime_base(base: HardwareProfile) -> None:
    """Raise GraphcostError unless ``base`` describes a float32 CPU, which is what onnxruntime measures here.

    The microbenchmarks run float32 on this machine's CPU, so fitting them
    into a GPU, NPU or int8 profile would label CPU float32 times as that
    device's numbers.
    """
    problems = []
    if base.kind != "cpu":
        problems.append(f"is of kind '{base.kind}'")
    if base.npu is not None:
        problems.append("has an [npu] section")
    if base.dtype != "float32":
        problems.append(f"computes in {base.dtype}")
    if problems:
        raise GraphcostError(
            f"{base.path or base.name}: base profile '{base.name}' {' and '.join(problems)}, but calibrating with "
            "onnxruntime measures this machine's CPU in float32; give --base a cpu profile of dtype float32, "
            "such as x86-avx2-cpu"
        )


def calibrate_onnxruntime(
    base: HardwareProfile,
    name: str,
    command: str,
    threads: int = 1,
    quick: bool = False,
    progress: Progress | None = None,
) -> Calibration:
    """Measure the microbenchmarks with onnxruntime and fit ``base`` to them."""
    check_onnxruntime_base(base)
    onnxruntime = import_onnxruntime()
    cases = microbenchmarks(quick)
    samples = []
    for index, case in enumerate(cases):
        if progress is not None:
            progress(index, len(cases), case.name)
        model = load(case.model)
        report = analyze_model(model, fusion=base.fusion)
        timing = measure(case.model, threads=threads, warmup=3, repeats=5 if quick else 15, min_time_s=0.0 if quick else 0.2)
        samples.append(FitSample(case.name, report.kernels, byte_scale(model, base), timing.median_s))
    if progress is not None:
        progress(len(cases), len(cases), "fitting")
    machine = machine_description()
    date = datetime.date.today().isoformat()
    source = (
        f"calibrated: {command} on {date}, fitted to {len(cases)} onnxruntime {onnxruntime.__version__} "
        f"microbenchmarks ({threads} thread{'s' if threads > 1 else ''}) on {machine}"
    )
    notes = [
        f"calibrated with graphcost {__version__}: {command}",
        f"machine: {machine}; onnxruntime {onnxruntime.__version__}, {threads} intra-op thread(s)",
    ]
    description = f"{base.description}; calibrated on {machine} with onnxruntime, {threads} thread(s)"
    return _finish(base, samples, name, description, source, notes)


def calibrate_from_trace(
    base: HardwareProfile, name: str, command: str, trace_path: str, model_path: str, input_shapes=None
) -> tuple[Calibration, TraceMatch]:
    """Fit ``base`` to a measured trace of ``model_path`` (onnxruntime JSON or TensorFlow Lite CSV)."""
    kind, data = read_trace(trace_path)
    model = load(model_path, input_shapes)
    report = analyze_model(model, fusion=base.fusion)
    scale = byte_scale(model, base)
    if kind == "onnxruntime":
        match = match_onnxruntime(data, report.kernels, scale, model.graph)
    else:
        match = match_tflite(data, report.kernels, scale)
    label = "onnxruntime profile" if kind == "onnxruntime" else "TensorFlow Lite op profile"
    source = f"calibrated: {command}, fitted to the {label} {os.path.basename(trace_path)} of {os.path.basename(model_path)}"
    notes = [
        f"calibrated with graphcost {__version__}: {command}",
        f"trace: {trace_path} ({label}); {match.matched_s * 1e3:.3f} ms matched to kernels, "
        f"{match.unmatched_s * 1e3:.3f} ms in {len(match.unmatched_names)} unmatched trace nodes",
    ]
    description = f"{base.description}; calibrated from a {label}"
    return _finish(base, match.samples, name, description, source, notes), match
