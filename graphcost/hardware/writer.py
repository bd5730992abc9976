"""Write a HardwareProfile back as TOML, in the schema ``parse_profile`` reads."""

from __future__ import annotations

import json

from graphcost.hardware.profile import HardwareProfile, Sourced


def _string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(text)


def _number(value: Sourced) -> str:
    number = float(value.value)
    text = str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return f"{{ value = {text}, source = {_string(value.source)} }}"


def profile_to_toml(profile: HardwareProfile) -> str:
    """Return the TOML text of ``profile``."""
    lines = []
    if profile.notes:
        # Top-level keys must come before the first table.
        lines += ["notes = ["] + [f"    {_string(note)}," for note in profile.notes] + ["]", ""]
    lines += [
        "[device]",
        f"name = {_string(profile.name)}",
        f"kind = {_string(profile.kind)}",
        f"description = {_string(profile.description)}",
        f"dtype = {_string(profile.dtype)}",
        "",
        "[compute]",
        f"macs_per_s = {_number(profile.macs_per_s)}",
        f"elementwise_ops_per_s = {_number(profile.elementwise_ops_per_s)}",
        "",
        "[efficiency]",
    ]
    lines += [f"{name} = {_number(value)}" for name, value in profile.efficiency.items()]
    for level in profile.memory:
        lines += ["", "[[memory]]", f"name = {_string(level.name)}"]
        if level.size_bytes is not None:
            lines.append(f"size_bytes = {_number(level.size_bytes)}")
        lines.append(f"bandwidth_bytes_per_s = {_number(level.bandwidth_bytes_per_s)}")
    lines += ["", "[overhead]", f"per_kernel_s = {_number(profile.overhead_per_kernel_s)}", "", "[fusion]"]
    fusion = profile.fusion
    lines += [
        f"conv_batchnorm = {str(fusion.conv_batchnorm).lower()}",
        f"conv_bias = {str(fusion.conv_bias).lower()}",
        "conv_activations = [" + ", ".join(_string(kind) for kind in sorted(fusion.conv_activations)) + "]",
        f"conv_residual_add = {str(fusion.conv_residual_add).lower()}",
        f"activation_kernel = {str(fusion.activation_kernel).lower()}",
        f"squeeze_excite = {_string(fusion.squeeze_excite)}",
    ]
    if profile.npu is not None:
        npu = profile.npu
        lines += [
            "",
            "[npu]",
            "supported_ops = [" + ", ".join(_string(op) for op in sorted(fusion.supported_ops or ())) + "]",
            f"weight_cache_bytes = {_number(npu.weight_cache_bytes)}",
            f"fallback = {_string(npu.fallback)}",
            f"transfer_bytes_per_s = {_number(npu.transfer_bytes_per_s)}",
            f"transfer_overhead_s = {_number(npu.transfer_overhead_s)}",
        ]
    return "\n".join(lines) + "\n"
