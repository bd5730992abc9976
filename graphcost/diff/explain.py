"""``graphcost explain``: the attribution of a diff, written as plain English."""

from __future__ import annotations

import os

from graphcost.diff.attribution import Attribution
from graphcost.diff.compare import DiffReport, ModelSide
from graphcost.diff.counterfactual import SWAPPED_ACTIVATIONS
from graphcost.diff.magnitudes import format_count, format_duration
from graphcost.results import AnalysisReport

SE = "squeeze-excite blocks"
ACTIVATIONS = "activations (h-swish/h-sigmoid vs ReLU)"
LAYER_KINDS = ("conv_block", "fc_block")
# A latency difference below this share of A's latency prints as a change of
# 0.0%, so the two models count as equally fast. Components below this share
# of the slower model are too small to name.
SAME_LATENCY_SHARE = 5e-4
# A latency below this share of the slower model's, or below NOISE_SECONDS,
# is rounding error of sums of kernel latencies. It reads as zero, as in the
# diff table's three decimals of a millisecond, and no sentence names its cause.
NOISE_SHARE = 1e-9
NOISE_SECONDS = 1e-9


def _name(source: str) -> str:
    return os.path.splitext(os.path.basename(source))[0]


def _noise(value: float, latency: Attribution) -> bool:
    return abs(value) < max(NOISE_SHARE * max(latency.a_total, latency.b_total), NOISE_SECONDS)


def _denoised(value: float, latency: Attribution) -> float:
    """Return ``value``, or 0.0 where it is rounding error."""
    return 0.0 if _noise(value, latency) else value


def _same_latency(latency: Attribution) -> bool:
    if not latency.a_total:
        return _noise(latency.delta, latency)
    return abs(latency.delta) < SAME_LATENCY_SHARE * latency.a_total


def _negligible(value: float, latency: Attribution) -> bool:
    return abs(value) < SAME_LATENCY_SHARE * max(latency.a_total, latency.b_total)


def explain(report: DiffReport) -> str:
    """Return a short explanation of why B is faster or slower than A on the report's device."""
    latency = report.attributions["latency_s"]
    macs = report.attributions["macs"]
    a_name, b_name = _name(report.a.source), _name(report.b.source)
    if a_name == b_name:
        a_name, b_name = f"A ({a_name})", f"B ({b_name})"
    same_totals = _same_latency(latency) and macs.delta == 0
    # Two models that take the same time and do the same work, with no part
    # that differs either, leave nothing to attribute.
    no_difference = same_totals and all(_negligible(value, latency) for value in latency.components.values())

    paragraphs = [_headline(report, a_name, b_name, no_difference)]
    for side, name in ((report.a, a_name), (report.b, b_name)):
        paragraphs.extend(_uncosted_sentence(side, name))
    if not no_difference:
        paragraphs.append(_architecture_sentence(latency))
        paragraphs.extend(_squeeze_excite_sentence(report, a_name, b_name))
        paragraphs.extend(_activation_sentence(report, a_name, b_name))
        paragraphs.append(_fusion_sentence(latency, a_name, b_name))
    for side, name in ((report.a, a_name), (report.b, b_name)):
        paragraphs.extend(_fallback_sentence(side.report, name))
    if macs.a_total and not same_totals:
        paragraphs.append(_macs_sentence(macs, latency))
    return "\n\n".join(paragraphs) + "\n"


def _headline(report: DiffReport, a_name: str, b_name: str, no_difference: bool) -> str:
    latency, macs = report.attributions["latency_s"], report.attributions["macs"]
    device = f"On {report.profile}, "
    if _same_latency(latency) and macs.delta == 0:
        if _noise(latency.delta, latency):
            times = f"both take {format_duration(latency.a_total)}"
        else:
            times = f"take {format_duration(latency.b_total)} and {format_duration(latency.a_total)}, the same within 0.05%,"
        ending = "there is no difference to explain" if no_difference else "only their parts differ, as follows"
        return f"{device}{b_name} and {a_name} {times} and have the same MACs ({format_count(macs.a_total)}): {ending}."

    b_time = _bound(report.b) + format_duration(latency.b_total)
    a_time = _bound(report.a) + format_duration(latency.a_total)
    if _same_latency(latency):
        comparison = f"as fast as {a_name} within 0.05%"
    elif latency.a_total:
        relative = latency.delta / latency.a_total
        direction = "faster" if latency.delta < 0 else "slower"
        comparison = f"{abs(relative) * 100:.1f}% {direction} ({format_duration(latency.delta, signed=True)})"
    else:
        comparison = f"slower by {format_duration(latency.delta)}"
    return f"{device}{b_name} takes {b_time} and {a_name} {a_time}: {b_name} is {comparison}."


def _bound(side: ModelSide) -> str:
    return "at least " if side.uncosted_count else ""


def _uncosted_sentence(side: ModelSide, name: str) -> list[str]:
    count = side.uncosted_count
    if not count:
        return []
    listed = ", ".join(f"{op_type} x{number}" for op_type, number in side.uncosted_op_types.items())
    nodes = "1 uncosted node" if count == 1 else f"{count} uncosted nodes"
    return [
        f"{name} has {nodes} ({listed}), whose compute graphcost does not count because it has no cost formula or "
        f"no tensor shape for them. So {name}'s latency, MACs and bytes are lower bounds, and every difference here "
        "leaves that compute out."
    ]


def _architecture_sentence(latency: Attribution) -> str:
    architecture = {name: value for name, value in latency.components.items() if name not in (SE, ACTIVATIONS, "fusion")}
    total_architecture = _denoised(sum(architecture.values()), latency)
    ranked = sorted(architecture.items(), key=lambda item: abs(item[1]), reverse=True)
    largest = [
        f"{name.replace('architecture: ', '')} {format_duration(value, signed=True)}"
        for name, value in ranked[:3]
        if not _negligible(value, latency)
    ]
    return (
        f"The layers themselves (widths, depths, kernel sizes and resolution, with SE and h-swish set aside) account for "
        f"{format_duration(total_architecture, signed=True)}. The largest stage differences: {', '.join(largest) or 'none'}."
    )


def _squeeze_excite_sentence(report: DiffReport, a_name: str, b_name: str) -> list[str]:
    latency = report.attributions["latency_s"]
    se_counts = report.pattern_counts().get("squeeze_excite", (0, 0))
    if se_counts == (0, 0) or _noise(latency.components[SE], latency):
        return []
    return [
        f"Squeeze-excite ({se_counts[0]} blocks in {a_name}, {se_counts[1]} in {b_name}) contributes "
        f"{format_duration(latency.components[SE], signed=True)}. With every op as its own kernel it would contribute "
        f"{format_duration(_denoised(latency.unfused_features[SE], latency), signed=True)}."
    ]


def _activation_sentence(report: DiffReport, a_name: str, b_name: str) -> list[str]:
    latency = report.attributions["latency_s"]
    activation, activation_unfused = latency.components[ACTIVATIONS], latency.unfused_features[ACTIVATIONS]
    swish_counts = report.pattern_counts().get("h_swish", (0, 0))
    if _noise(activation, latency):
        return []
    sentences = [
        f"h-swish and h-sigmoid ({swish_counts[0]} h-swish in {a_name}, {swish_counts[1]} in {b_name}) contribute "
        f"{format_duration(activation, signed=True)} against ReLU here.",
        f"With every op as its own kernel they would contribute {format_duration(_denoised(activation_unfused, latency), signed=True)}.",
        _activation_fusion_sentence(report, a_name, b_name),
    ]
    return [" ".join(sentence for sentence in sentences if sentence)]


def _epilogue_counts(report: AnalysisReport) -> tuple[int, int, int]:
    """Count the h-swish and h-sigmoid outside SE blocks: in all, fused into the conv or FC before them, and not fused.

    An activation that follows no conv or FC is in the first count only,
    because there is no layer epilogue to fuse it into.
    """
    in_se = {node for block in report.patterns.of_kind("squeeze_excite") for node in block.nodes}
    total = sum(
        1 for match in report.patterns.matches if match.kind in SWAPPED_ACTIVATIONS and not set(match.nodes) & in_se
    )
    kernel_of = {node: kernel.id for kernel in report.kernels.kernels for node in kernel.nodes}
    fused = apart = 0
    for match in report.patterns.matches:
        if match.kind not in LAYER_KINDS or match.details.get("activation") not in SWAPPED_ACTIVATIONS:
            continue
        if set(match.nodes) & in_se:
            continue
        # The layer's first node is its conv or FC and its last node is the activation's.
        if kernel_of.get(match.nodes[0]) == kernel_of.get(match.nodes[-1]):
            fused += 1
        else:
            apart += 1
    return total, fused, apart


def _activation_fusion_sentence(report: DiffReport, a_name: str, b_name: str) -> str:
    """Say what the device's fusion does with h-swish and h-sigmoid, from the kernels it runs them in.

    The fused-minus-unfused share of the component is missing fusion only
    if the device runs the activations apart from the conv before them but
    would apply ReLU in the conv's epilogue. If the device fuses them, the
    share is their arithmetic in compute-bound fused kernels, which a
    memory-bound kernel of their own would hide.
    """
    latency = report.attributions["latency_s"]
    share = _denoised(latency.components[ACTIVATIONS] - latency.unfused_features[ACTIVATIONS], latency)
    total_a, fused_a, apart_a = _epilogue_counts(report.a.report)
    total_b, fused_b, apart_b = _epilogue_counts(report.b.report)
    total, fused, apart = total_a + total_b, fused_a + fused_b, apart_a + apart_b
    change = f"This device's fusion changes their contribution by {format_duration(share, signed=True)}." if share else ""
    if fused == 0 and apart == 0:
        return change
    if apart == 0:
        fused_ones = f"all {fused} of them" if fused == total else f"the {fused} of them that follow a conv"
        return (
            f"This device applies {fused_ones} in the epilogue of the conv before them, so what they add here is extra "
            "arithmetic in those fused kernels, not missing fusion."
        )
    sides = f" ({apart_a} in {a_name}, {apart_b} in {b_name})" if total_a and total_b else ""
    unfused = f"This device runs {apart} of them{sides} as kernels of their own instead of in the epilogue of the conv before them"
    # The share is B - A. The model with more unfused activations pays for the missing fusion.
    cost = 0.0
    if apart_b > apart_a:
        cost = share
    elif apart_a > apart_b:
        cost = -share
    if cost > 0:
        return f"{unfused}, so {format_duration(cost)} of their cost is fusion this device does not do for them."
    return f"{unfused}. {change}".strip()


def _fusion_sentence(latency: Attribution, a_name: str, b_name: str) -> str:
    fusion = _denoised(latency.components["fusion"], latency)
    if _negligible(fusion, latency):
        comparison = f"as much on {b_name}'s layers as on {a_name}'s"
    else:
        comparison = f"{format_duration(abs(fusion))} {'less' if fusion > 0 else 'more'} on {b_name}'s layers than on {a_name}'s"
    return (
        f"Fusion on this device saves {comparison} (component {format_duration(fusion, signed=True)}), "
        "with SE and h-swish set aside."
    )


def _fallback_sentence(report, name: str) -> list[str]:
    latency = report.latency
    if not latency.fallback_kernels:
        return []
    fallback = {item.kernel_id: item for item in latency.kernels if item.kernel_id in set(latency.fallback_kernels)}
    ops = sorted({op for kernel in report.kernels.kernels if kernel.id in fallback for op in kernel.op_types})
    total = sum(item.latency_s for item in fallback.values())
    transfer = sum(item.transfer_s for item in fallback.values())
    return [
        _fallback_clause(len(fallback), name, ops)
        + f": {format_duration(total)}, of which {format_duration(transfer)} moves tensors to and from the accelerator."
    ]


def _fallback_clause(count: int, name: str, ops: list[str]) -> str:
    """Return the start of the fallback sentence, in the singular for one kernel."""
    if count == 1:
        return f"One kernel of {name} ({', '.join(ops)}) runs on the fallback CPU because this device does not support it"
    return f"{count} kernels of {name} ({', '.join(ops)}) run on the fallback CPU because this device does not support them"


def _macs_sentence(macs: Attribution, latency: Attribution) -> str:
    latency_relative = latency.delta / latency.a_total if latency.a_total else 0.0
    if macs.delta == 0:
        return (
            f"Both models do the same MACs ({format_count(macs.a_total)}), so the latency difference comes from memory "
            "traffic, per-kernel overhead, element-wise work or fallback, not from multiply-accumulates."
        )
    macs_relative = macs.delta / macs.a_total
    head = f"MACs change by {macs_relative * 100:+.1f}% ({format_count(macs.delta, signed=True)}) while latency "
    if _same_latency(latency):
        return head + "stays the same within 0.05%: on this device the MACs alone do not set the latency; see the components above."
    head += f"changes by {latency_relative * 100:+.1f}%: "
    if macs_relative < 0 < latency_relative:
        return head + (
            "latency rises although MACs fall, so the time goes to memory traffic, per-kernel overhead, element-wise "
            "work or fallback, not to multiply-accumulates."
        )
    if macs_relative < latency_relative <= 0:
        return head + (
            "latency falls less than MACs, because memory traffic, per-kernel overhead and the added element-wise "
            "work do not shrink with the MACs."
        )
    if latency_relative <= macs_relative < 0:
        return head + "latency falls at least as much as MACs."
    return head + "the MACs alone do not tell the latency difference; see the components above."
