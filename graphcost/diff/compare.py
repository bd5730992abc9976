"""``graphcost diff``: two models side by side per stage, op type and pattern, with the attribution."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from graphcost.costs import CostStatus
from graphcost.diff.attribution import METRICS, Attribution, Variants, attribute
from graphcost.diff.stages import kernel_stages, stage_order
from graphcost.hardware import HardwareProfile, load_profile
from graphcost.load import Model, load
from graphcost.results import AnalysisReport

logger = logging.getLogger(__name__)

STAGE_FIELDS = ("macs", "param_count", "bytes_moved", "kernels", "latency_s")


@dataclass(frozen=True)
class UncostedNode:
    """A live node graphcost could not cost, because no formula applies or a shape it needs is unknown."""

    key: str
    op_type: str
    reason: str

    def to_dict(self) -> dict:
        return {"key": self.key, "op_type": self.op_type, "reason": self.reason}


@dataclass
class ModelSide:
    """One model of a diff as the device runs it."""

    source: str
    report: AnalysisReport
    stages: dict[str, dict[str, float]]
    fused_kernels: int
    uncosted_nodes: list[UncostedNode] = field(default_factory=list)

    def stage_totals(self) -> dict[str, float]:
        return {name: sum(stage[name] for stage in self.stages.values()) for name in STAGE_FIELDS}

    @property
    def uncosted_op_types(self) -> dict[str, int]:
        """Op type -> uncosted node count, nodes inside If/Loop/Scan bodies included."""
        return dict(self.report.uncosted_op_types)

    @property
    def uncosted_count(self) -> int:
        return sum(self.report.uncosted_op_types.values())


@dataclass
class DiffReport:
    profile: str
    a: ModelSide
    b: ModelSide
    attributions: dict[str, Attribution] = field(default_factory=dict)

    def stage_names(self) -> list[str]:
        return sorted(set(self.a.stages) | set(self.b.stages), key=stage_order)

    def op_types(self) -> dict[str, tuple[dict, dict]]:
        """Return op type -> (A's sums, B's sums) with node count, MACs and bytes moved."""
        result = {}
        a_groups, b_groups = self.a.report.by_op_type(), self.b.report.by_op_type()
        for op_type in sorted(set(a_groups) | set(b_groups)):
            empty = {"node_count": 0, "macs": 0, "bytes_moved": 0}
            result[op_type] = (
                a_groups[op_type].to_dict() if op_type in a_groups else empty,
                b_groups[op_type].to_dict() if op_type in b_groups else empty,
            )
        return dict(sorted(result.items(), key=lambda item: -abs(item[1][1]["macs"] - item[1][0]["macs"])))

    def pattern_counts(self) -> dict[str, tuple[int, int]]:
        a_counts, b_counts = self.a.report.patterns.counts(), self.b.report.patterns.counts()
        counts = {kind: (a_counts.get(kind, 0), b_counts.get(kind, 0)) for kind in sorted(set(a_counts) | set(b_counts))}
        counts["fused kernels (more than one op)"] = (self.a.fused_kernels, self.b.fused_kernels)
        return counts

    def to_dict(self) -> dict:
        def side(model_side: ModelSide) -> dict:
            return {
                "source": model_side.source,
                "totals": model_side.stage_totals(),
                "stages": model_side.stages,
                "patterns": model_side.report.patterns.counts(),
                "fused_kernels": model_side.fused_kernels,
                "uncosted_nodes": [node.to_dict() for node in model_side.uncosted_nodes],
                "uncosted_op_types": model_side.uncosted_op_types,
            }

        return {
            "profile": self.profile,
            "a": side(self.a),
            "b": side(self.b),
            "stages": self.stage_names(),
            "op_types": {op: {"a": pair[0], "b": pair[1]} for op, pair in self.op_types().items()},
            "attribution": {metric: attribution.to_dict() for metric, attribution in self.attributions.items()},
        }


def _side(model: Model, variants: Variants) -> ModelSide:
    evaluation = variants.evaluation(frozenset(), True)
    report = evaluation.report
    stages_of = kernel_stages(model, report.patterns, report.kernels)
    latency = {item.kernel_id: item.latency_s for item in report.latency.kernels}
    stages: dict[str, dict[str, float]] = {}
    for kernel in report.kernels.kernels:
        sums = stages.setdefault(stages_of[kernel.id], dict.fromkeys(STAGE_FIELDS, 0))
        sums["macs"] += kernel.macs
        sums["param_count"] += kernel.param_count
        sums["bytes_moved"] += kernel.bytes_moved
        sums["kernels"] += 1
        sums["latency_s"] += latency[kernel.id]
    fused = sum(1 for kernel in report.kernels.kernels if len(kernel.op_types) > 1)
    ordered = dict(sorted(stages.items(), key=lambda item: stage_order(item[0])))
    uncosted = [UncostedNode(row.key, row.op_type, row.reason) for row in report.rows if row.status is CostStatus.UNCOSTED]
    return ModelSide(model.source, report, ordered, fused, uncosted)


def diff_models(path_a, path_b, hw: HardwareProfile | str, input_shapes_a=None, input_shapes_b=None) -> DiffReport:
    """Compare model B against model A on a device and attribute every metric's difference."""
    profile = load_profile(hw) if isinstance(hw, str) else hw
    model_a = path_a if isinstance(path_a, Model) else load(path_a, input_shapes_a)
    model_b = path_b if isinstance(path_b, Model) else load(path_b, input_shapes_b)
    variants_a, variants_b = Variants(model_a, profile), Variants(model_b, profile)
    report = DiffReport(profile.name, _side(model_a, variants_a), _side(model_b, variants_b))
    for metric in METRICS:
        report.attributions[metric] = attribute(variants_a, variants_b, metric)
    return report


@dataclass
class WhatIfRow:
    label: str
    totals: dict[str, float]
    kernel_count: int
    patterns: dict[str, int]


def what_if(path, hw: HardwareProfile | str, remove_se: bool, relu: bool, no_fusion: bool, input_shapes=None) -> list[WhatIfRow]:
    """Evaluate a model and the requested counterfactuals of it, the original first."""
    profile = load_profile(hw) if isinstance(hw, str) else hw
    model = path if isinstance(path, Model) else load(path, input_shapes)
    variants = Variants(model, profile)
    removed_options = [frozenset()]
    if remove_se:
        removed_options.append(frozenset({"squeeze_excite"}))
    if relu:
        removed_options.append(frozenset({"activation"}))
    if remove_se and relu:
        removed_options.append(frozenset({"squeeze_excite", "activation"}))
    rows = []
    patterns = variants.evaluation(frozenset(), True).report.patterns.counts()
    if remove_se and not patterns.get("squeeze_excite"):
        logger.warning("%s has no squeeze-excite block graphcost recognises; --remove-se changes nothing", model.source)
    if relu and not (patterns.get("h_swish") or patterns.get("h_sigmoid")):
        logger.warning("%s has no h-swish or h-sigmoid graphcost recognises; --activation relu changes nothing", model.source)
    for removed in removed_options:
        for fused in (True, False) if no_fusion else (True,):
            evaluation = variants.evaluation(removed, fused)
            parts = [{"squeeze_excite": "SE removed", "activation": "ReLU for h-swish"}[f] for f in sorted(removed)]
            if not fused:
                parts.append("no fusion")
            label = ", ".join(parts) or "original"
            totals = dict(evaluation.totals)
            totals["param_count"] = evaluation.report.totals.param_count
            rows.append(WhatIfRow(label, totals, evaluation.kernel_count, evaluation.report.patterns.counts()))
    return rows
