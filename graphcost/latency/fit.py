"""Fit a profile's efficiencies, bandwidths and overhead to measured latencies.

Once each kernel's bound (compute or memory) is fixed, the latency of a run
is linear in the prices of the profile's parameters (seconds per MAC, per
operation, per byte, per kernel). The fit therefore alternates. It takes
the bounds under the current prices and solves a linear least-squares
problem in the prices' changes relative to the starting profile. A small
ridge term pulls toward the start, so parameters the data cannot pin stay
where they were. It repeats until a set of bounds comes back. That set may
be the last one (converged) or an earlier one: kernels near their ridge
point can flip between compute and memory bound on every step, so the
alternation can cycle instead of settling. The fit returns the prices
with the lowest objective among all steps, so a cycle cannot leave it on
a worse step. Errors are relative, so short and long runs weigh the same,
and a sample's ``weight`` multiplies its error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from graphcost.hardware import HardwareProfile, Sourced
from graphcost.kernels import KernelResult
from graphcost.latency.model import MAC_CLASSES, hot_input_bytes, kernel_terms, price, seconds_per_unit

# Smallest fraction of its starting value a price may shrink to.
MIN_RELATIVE = 0.02
OVERHEAD = "overhead"


@dataclass
class FitSample:
    """Kernels of one measured run (a whole model or one microbenchmark) and its latency."""

    name: str
    kernels: KernelResult
    byte_scale: float
    measured_s: float
    weight: float = 1.0
    _terms: list = field(default_factory=list, repr=False)


@dataclass
class FitResult:
    profile: HardwareProfile
    prices: dict[str, float]
    residuals: dict[str, float]  # sample name -> relative error of the fitted prediction
    iterations: int
    objective: float  # weighted sum of squared relative errors plus the ridge term
    converged: bool  # False when the bounds cycled or max_iterations ran out
    # Fitted parameter -> the limit its price stopped at, in words. Such a
    # value is where the fit was clamped, not a value the data pinned.
    at_limit: dict[str, str] = field(default_factory=dict)


def parameter_names(profile: HardwareProfile) -> list[str]:
    return [f"efficiency.{name}" for name in profile.efficiency] + [f"memory.{level.name}" for level in profile.memory] + [OVERHEAD]


def _sample_terms(sample: FitSample, profile: HardwareProfile) -> list:
    if not sample._terms:
        hot = hot_input_bytes(sample.kernels, profile, sample.byte_scale)
        sample._terms = [
            kernel_terms(kernel, profile, sample.byte_scale, hot.get(kernel.id, 0.0)) for kernel in sample.kernels.kernels
        ]
    return sample._terms


def _units(sample: FitSample, profile: HardwareProfile, prices: dict[str, float]) -> dict[str, float]:
    """Return the units each price multiplies in ``sample``, each kernel taking its bounding side."""
    units: dict[str, float] = {OVERHEAD: float(len(sample.kernels.kernels))}
    for terms in _sample_terms(sample, profile):
        side = terms.compute if price(terms.compute, prices) >= price(terms.memory, prices) else terms.memory
        for name, amount in side.items():
            units[name] = units.get(name, 0.0) + amount
    return units


def fit_profile(
    profile: HardwareProfile,
    samples: list[FitSample],
    free: list[str] | None = None,
    ridge: float = 0.05,
    source: str = "calibrated",
    max_iterations: int = 50,
) -> FitResult:
    """Fit the parameters named in ``free`` (all when None) of ``profile`` to ``samples``.

    ``source`` is written as the source of every fitted number.
    """
    names = parameter_names(profile)
    free = names if free is None else [name for name in names if name in free]
    start = seconds_per_unit(profile)
    start[OVERHEAD] = profile.overhead_per_kernel_s.value
    prices = dict(start)
    floor = {name: value * MIN_RELATIVE for name, value in start.items()}
    for name in profile.efficiency:
        # An efficiency cannot exceed 1, so its price cannot drop below 1 / peak.
        peak = profile.macs_per_s.value if name in MAC_CLASSES else profile.elementwise_ops_per_s.value
        floor[f"efficiency.{name}"] = max(floor[f"efficiency.{name}"], 1.0 / peak)
    measured = np.array([sample.measured_s for sample in samples])
    weights = np.array([sample.weight for sample in samples]) / measured

    def objective(candidate: dict[str, float]) -> float:
        predicted = np.array([price(_units(sample, profile, candidate), candidate) for sample in samples])
        changes = np.array([candidate[name] / start[name] - 1.0 for name in free])
        return float(np.sum(((predicted - measured) * weights) ** 2) + ridge * np.sum(changes**2))

    best_objective, best_prices = objective(prices), dict(prices)
    seen_rows: list[list[dict[str, float]]] = []
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        rows = [_units(sample, profile, prices) for sample in samples]
        if rows in seen_rows:
            converged = rows == seen_rows[-1]
            break
        seen_rows.append(rows)
        # Solve for x, the relative change from the starting price of each free
        # parameter: prediction = sum(units * start * (1 + x)) over free
        # parameters + sum(units * price) over fixed ones.
        matrix = np.array([[row.get(name, 0.0) * start[name] for name in free] for row in rows])
        fixed = np.array([sum(units * prices[name] for name, units in row.items() if name not in free) for row in rows])
        target = measured - fixed - matrix.sum(axis=1)
        a = np.vstack([matrix * weights[:, None], np.sqrt(ridge) * np.eye(len(free))])
        b = np.concatenate([target * weights, np.zeros(len(free))])
        change, *_ = np.linalg.lstsq(a, b, rcond=None)
        for name, relative in zip(free, change):
            prices[name] = max(float(start[name] * (1.0 + relative)), floor[name])
        current = objective(prices)
        if current < best_objective:
            best_objective, best_prices = current, dict(prices)
    prices = best_prices
    at_limit = {name: _limit_text(name, floor[name], start[name]) for name in free if prices[name] <= floor[name]}
    fitted = profile_with_prices(profile, prices, source, free)
    residuals = {
        sample.name: float((price(_units(sample, profile, prices), prices) - sample.measured_s) / sample.measured_s)
        for sample in samples
    }
    return FitResult(fitted, {name: prices[name] for name in free}, residuals, iterations, best_objective, converged, at_limit)


def _limit_text(name: str, floor: float, start: float) -> str:
    """Describe the lower limit ``floor`` of the price of ``name`` as a limit on the parameter's value."""
    if name.startswith("efficiency.") and floor > start * MIN_RELATIVE:
        return "efficiency 1, the maximum"
    if name == OVERHEAD:
        return f"{MIN_RELATIVE:.0%} of the starting value"
    # Efficiencies and bandwidths are rates, the inverse of their prices.
    return f"{1 / MIN_RELATIVE:.0f}x the starting value"


def profile_with_prices(profile: HardwareProfile, prices: dict[str, float], source: str, changed: list[str]) -> HardwareProfile:
    """Return ``profile`` with the ``changed`` parameters set from ``prices`` and marked with ``source``."""
    changed_set = set(changed)

    def sourced(name: str, value: float, old: Sourced) -> Sourced:
        return Sourced(value, source) if name in changed_set else old

    efficiency = {}
    for name, old in profile.efficiency.items():
        peak = profile.macs_per_s.value if name in MAC_CLASSES else profile.elementwise_ops_per_s.value
        efficiency[name] = sourced(f"efficiency.{name}", min(1.0 / (peak * prices[f"efficiency.{name}"]), 1.0), old)
    memory = tuple(
        dataclasses.replace(
            level,
            bandwidth_bytes_per_s=sourced(f"memory.{level.name}", 1.0 / prices[f"memory.{level.name}"], level.bandwidth_bytes_per_s),
        )
        for level in profile.memory
    )
    overhead = sourced(OVERHEAD, prices[OVERHEAD], profile.overhead_per_kernel_s)
    return dataclasses.replace(profile, efficiency=efficiency, memory=memory, overhead_per_kernel_s=overhead)
