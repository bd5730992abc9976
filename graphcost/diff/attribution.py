"""Attribute the difference between two models to architecture, SE, activations, fusion, extras and heads.

For a metric M (latency, MACs or bytes moved) and models A and B:

1. Each model is evaluated with its SE blocks removed or not and its
   h-swish/h-sigmoid (outside SE) replaced by ReLU or not, with the device's
   fusion on and off.
2. With the device's fusion on, v(S) = M(B without S) - M(A without S) for
   every set S of removed features. The Shapley value of a feature, its
   marginal v(S) - v(S + feature) averaged over all orders of removal, is
   its component. They sum to v({}) - v(all) = dM - v(all).
3. v(all) = M(B stripped) - M(A stripped) is the architecture's share:
   the same two networks without SE and h-swish. It is split per stage on
   the unfused kernels (every op its own kernel once BN and bias adds are
   folded, INFERENCE_NO_FUSION), so each stage's row is the work its layers
   add. What the device's fusion saves or fails to save on that difference
   is the fusion component.

Every component is an exact difference of evaluated graphs, so they sum to
dM up to floating-point rounding. docs/attribution.md has a worked example.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from graphcost.analysis import analyze_model
from graphcost.diff.counterfactual import remove_squeeze_excite, replace_activations
from graphcost.diff.stages import kernel_stages, stage_order
from graphcost.hardware import HardwareProfile
from graphcost.kernels import NO_FUSION
from graphcost.load import Model, load
from graphcost.results import AnalysisReport

FEATURES = ("squeeze_excite", "activation")
METRICS = ("latency_s", "macs", "bytes_moved")
ORIGINAL: frozenset[str] = frozenset()

# Every op its own kernel, except for two rewrites of how a layer was exported.
# A BatchNormalization is folded into the conv or FC before it, and a MatMul's
# bias Add runs in the product. So a network costs the same whether or not its
# exporter folded BN, and whether it wrote a linear layer as Gemm or MatMul + Add.
# ONNX Runtime makes both rewrites when it loads a model (its graph
# optimizations "Conv BatchNorm Fusion" and "MatMul Add Fusion").
INFERENCE_NO_FUSION = replace(NO_FUSION, name="no-fusion-after-load", conv_batchnorm=True, conv_bias=True)

# Loggers that warn about a model while it is loaded and analysed: a failed
# onnx.checker, symbolic dims taken as 1, uncosted nodes.
MODEL_WARNING_LOGGERS = ("graphcost.analysis", "graphcost.load.graph", "graphcost.load.reader")


def _drop_warnings(record: logging.LogRecord) -> bool:
    return record.levelno != logging.WARNING


@contextlib.contextmanager
def _model_warnings_muted() -> Iterator[None]:
    """Drop the warnings of MODEL_WARNING_LOGGERS inside the block.

    Counterfactuals are built from the original model's nodes, so their
    warnings repeat what the original's analysis already reported.
    NOTE: logger filters are process-wide, so another thread analysing a
    model meanwhile loses its warnings from these loggers too.
    """
    loggers = [logging.getLogger(name) for name in MODEL_WARNING_LOGGERS]
    for logger in loggers:
        logger.addFilter(_drop_warnings)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(_drop_warnings)


@dataclass
class Evaluation:
    """One model variant on one device: totals and per-stage sums of each metric."""

    report: AnalysisReport
    totals: dict[str, float]
    stages: dict[str, dict[str, float]]  # stage -> metric -> value
    kernel_count: int


def evaluate(model: Model, profile: HardwareProfile, fused: bool) -> Evaluation:
    """Analyse ``model`` on ``profile`` with the device's fusion rules, or with INFERENCE_NO_FUSION."""
    report = analyze_model(model, fusion=None if fused else INFERENCE_NO_FUSION, hw=profile)
    stages_of = kernel_stages(model, report.patterns, report.kernels)
    latency = {item.kernel_id: item.latency_s for item in report.latency.kernels}
    stages: dict[str, dict[str, float]] = {}
    for kernel in report.kernels.kernels:
        sums = stages.setdefault(stages_of[kernel.id], {"latency_s": 0.0, "macs": 0, "bytes_moved": 0})
        sums["latency_s"] += latency[kernel.id]
        sums["macs"] += kernel.macs
        sums["bytes_moved"] += kernel.bytes_moved
    totals = {metric: sum(stage[metric] for stage in stages.values()) for metric in METRICS}
    return Evaluation(report, totals, stages, len(report.kernels.kernels))


def _input_shapes(model: Model) -> dict[str, tuple[int, ...]]:
    """Return the shape each input of ``model`` was loaded with.

    A counterfactual is built from the model's original proto, whose inputs
    may be symbolic, so it is loaded with these shapes (from --input-shape,
    or 1 for a dim left unset) to match the model it is compared with.
    """
    shapes = {}
    for name in model.inputs:
        shape = model.tensors[name].shape
        if shape is not None:
            shapes[name] = tuple(shape)
    return shapes


class Variants:
    """A model and its counterfactuals, each loaded and evaluated once when first needed.

    Only the original with the device's fusion logs warnings (uncosted nodes,
    a failed checker), so each is reported once per model, not once per
    counterfactual.
    """

    def __init__(self, model: Model, profile: HardwareProfile):
        self.profile = profile
        self._models: dict[frozenset[str], Model] = {ORIGINAL: model}
        self._evaluations: dict[tuple[frozenset[str], bool], Evaluation] = {}

    def model(self, removed: frozenset[str]) -> Model:
        if removed not in self._models:
            # Remove features one at a time, each from the model without the others.
            feature = sorted(removed)[-1]
            base = self.model(removed - {feature})
            patterns = self.evaluation(removed - {feature}, True).report.patterns
            builder = remove_squeeze_excite if feature == "squeeze_excite" else replace_activations
            proto = builder(base, patterns)
            self._models[removed] = base if proto is None else load(proto, _input_shapes(base))
        return self._models[removed]

    def evaluation(self, removed: frozenset[str], fused: bool) -> Evaluation:
        key = (removed, fused)
        if key not in self._evaluations:
            if key == (ORIGINAL, True):
                self._evaluations[key] = evaluate(self.model(removed), self.profile, fused)
            else:
                self.evaluation(ORIGINAL, True)
                with _model_warnings_muted():
                    self._evaluations[key] = evaluate(self.model(removed), self.profile, fused)
        return self._evaluations[key]


def shapley(players: tuple[str, ...], value) -> dict[str, float]:
    """Return each player's Shapley value for the removal game ``value(frozenset) -> float``.

    A player's value is its marginal value(S) - value(S + player), averaged
    over all orders in which the players can be removed.
    """
    n = len(players)
    result = dict.fromkeys(players, 0.0)
    for player in players:
        others = [p for p in players if p != player]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                removed = frozenset(subset)
                result[player] += weight * (value(removed) - value(removed | {player}))
    return result


@dataclass
class Attribution:
    """Components of one metric's difference B - A. ``components`` sum to ``delta``."""

    metric: str
    a_total: float
    b_total: float
    components: dict[str, float] = field(default_factory=dict)
    unfused_features: dict[str, float] = field(default_factory=dict)

    @property
    def delta(self) -> float:
        return self.b_total - self.a_total

    @property
    def residual(self) -> float:
        """delta minus the sum of the components: zero up to rounding."""
        return self.delta - sum(self.components.values())

    def to_dict(self) -> dict:
        return {
            "metric": self.metric,
            "a": self.a_total,
            "b": self.b_total,
            "delta": self.delta,
            "components": dict(self.components),
            "features_unfused": dict(self.unfused_features),
        }


STAGE_COMPONENT_NAMES = {"extras": "detection extras", "heads": "detection heads", "classifier": "classifier"}


def component_name(stage: str) -> str:
    return STAGE_COMPONENT_NAMES.get(stage, f"architecture: {stage}")


def attribute(a: Variants, b: Variants, metric: str) -> Attribution:
    """Split ``metric``'s difference between ``b`` and ``a`` into its components."""
    everything = frozenset(FEATURES)

    def difference(removed: frozenset[str], fused: bool = True) -> float:
        return b.evaluation(removed, fused).totals[metric] - a.evaluation(removed, fused).totals[metric]

    features = shapley(FEATURES, difference)
    unfused_features = shapley(FEATURES, lambda removed: difference(removed, False))
    stripped_a, stripped_b = a.evaluation(everything, False), b.evaluation(everything, False)
    stages = sorted(set(stripped_a.stages) | set(stripped_b.stages), key=stage_order)
    components: dict[str, float] = {}
    for stage in stages:
        components[component_name(stage)] = (
            stripped_b.stages.get(stage, {}).get(metric, 0.0) - stripped_a.stages.get(stage, {}).get(metric, 0.0)
        )
    architecture_unfused = sum(components.values())
    components["squeeze-excite blocks"] = features["squeeze_excite"]
    components["activations (h-swish/h-sigmoid vs ReLU)"] = features["activation"]
    components["fusion"] = difference(everything) - architecture_unfused
    return Attribution(
        metric=metric,
        a_total=a.evaluation(frozenset(), True).totals[metric],
        b_total=b.evaluation(frozenset(), True).totals[metric],
        components=components,
        unfused_features={
            "squeeze-excite blocks": unfused_features["squeeze_excite"],
            "activations (h-swish/h-sigmoid vs ReLU)": unfused_features["activation"],
        },
    )
