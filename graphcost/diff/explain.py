"""``graphcost explain``: the attribution of a diff, written as plain English."""

from __future__ import annotations

import os

from graphcost.diff.compare import DiffReport

SE = "squeeze-excite blocks"
ACTIVATIONS = "activations (h-swish/h-sigmoid vs ReLU)"


def _name(source: str) -> str:
    return os.path.splitext(os.path.basename(source))[0]


def _ms(seconds: float) -> str:
    value = round(seconds * 1e3, 1)
    return f"{value + 0.0:+.1f} ms"  # + 0.0 turns -0.0 into 0.0


def explain(report: DiffReport) -> str:
    """Return a short explanation of why B is faster or slower than A on the report's device."""
    latency = report.attributions["latency_s"]
    macs = report.attributions["macs"]
    a_name, b_name = _name(report.a.source), _name(report.b.source)
    if a_name == b_name:
        a_name, b_name = f"A ({a_name})", f"B ({b_name})"
    relative = latency.delta / latency.a_total if latency.a_total else 0.0
    if latency.delta == 0:
        comparison = "the same"
    elif latency.a_total:
        comparison = f"{abs(relative) * 100:.1f}% {'faster' if latency.delta < 0 else 'slower'} ({_ms(latency.delta)})"
    else:
        comparison = f"slower by {_ms(latency.delta)}"
    paragraphs = [
        f"On {report.profile}, {b_name} takes {latency.b_total * 1e3:.1f} ms and {a_name} {latency.a_total * 1e3:.1f} ms: "
        f"{b_name} is {comparison}."
    ]

    architecture = {name: value for name, value in latency.components.items() if name not in (SE, ACTIVATIONS, "fusion")}
    total_architecture = sum(architecture.values())
    ranked = sorted(architecture.items(), key=lambda item: abs(item[1]), reverse=True)
    largest = [f"{name.replace('architecture: ', '')} {_ms(value)}" for name, value in ranked[:3] if abs(value) >= 5e-5]
    paragraphs.append(
        f"The layers themselves (widths, depths, kernel sizes and resolution, with SE and h-swish set aside) account for "
        f"{_ms(total_architecture)}. The largest stage differences: {', '.join(largest) or 'none'}."
    )

    se, se_unfused = latency.components[SE], latency.unfused_features[SE]
    se_counts = report.pattern_counts().get("squeeze_excite", (0, 0))
    if se_counts != (0, 0):
        paragraphs.append(
            f"Squeeze-excite ({se_counts[0]} blocks in {a_name}, {se_counts[1]} in {b_name}) contributes {_ms(se)}. "
            f"With every op as its own kernel it would contribute {_ms(se_unfused)}."
        )
    activation, activation_unfused = latency.components[ACTIVATIONS], latency.unfused_features[ACTIVATIONS]
    swish_counts = report.pattern_counts().get("h_swish", (0, 0))
    if swish_counts != (0, 0) or abs(activation) > 0:
        fusion_share = activation - activation_unfused
        if fusion_share >= 0:
            fusion_clause = f"so {abs(fusion_share) * 1e3:.1f} ms of their cost is fusion this device does not do for them"
        else:
            fusion_clause = f"so this device's fusion saves {abs(fusion_share) * 1e3:.1f} ms on them"
        paragraphs.append(
            f"h-swish and h-sigmoid ({swish_counts[0]} h-swish in {a_name}, {swish_counts[1]} in {b_name}) contribute "
            f"{_ms(activation)} against ReLU here. With every op as its own kernel they would contribute "
            f"{_ms(activation_unfused)}, {fusion_clause}."
        )
    fusion = latency.components["fusion"]
    paragraphs.append(
        f"Fusion on this device saves {abs(fusion) * 1e3:.1f} ms {'less' if fusion > 0 else 'more'} on {b_name}'s layers "
        f"than on {a_name}'s (component {_ms(fusion)}), with SE and h-swish set aside."
    )
    for side, name in ((report.a, a_name), (report.b, b_name)):
        paragraphs.extend(_fallback_sentence(side.report, name))
    if macs.a_total:
        paragraphs.append(_macs_sentence(macs.delta / macs.a_total, relative, macs.delta))
    return "\n\n".join(paragraphs) + "\n"


def _fallback_sentence(report, name: str) -> list[str]:
    latency = report.latency
    if not latency.fallback_kernels:
        return []
    fallback = {item.kernel_id: item for item in latency.kernels if item.kernel_id in set(latency.fallback_kernels)}
    ops = sorted({op for kernel in report.kernels.kernels if kernel.id in fallback for op in kernel.op_types})
    total = sum(item.latency_s for item in fallback.values())
    transfer = sum(item.transfer_s for item in fallback.values())
    return [
        f"{len(fallback)} kernels of {name} ({', '.join(ops)}) run on the fallback CPU because this device does not "
        f"support them: {total * 1e3:.1f} ms, of which {transfer * 1e3:.1f} ms moves tensors to and from the accelerator."
    ]


def _macs_sentence(macs_relative: float, latency_relative: float, macs_delta: float) -> str:
    head = f"MACs change by {macs_relative * 100:+.1f}% ({macs_delta / 1e6:+.0f} M) while latency changes by {latency_relative * 100:+.1f}%: "
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
