"""``graphcost hw``: list the built-in hardware profiles and show one with its sources."""

from __future__ import annotations

import argparse
import sys

from tabulate import tabulate

from graphcost.cli.common import add_common_options
from graphcost.hardware import builtin_profile_names, load_profile
from graphcost.hardware.profile import HardwareProfile
from graphcost.kernels.rules import QDQ_OPS

_UNITS = {
    "compute.macs_per_s": "MAC/s",
    "compute.elementwise_ops_per_s": "ops/s",
    "overhead.per_kernel_s": "s",
}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("hw", help="list and show hardware profiles", description="Hardware profiles.")
    commands = parser.add_subparsers(dest="hw_command", metavar="COMMAND", required=True)
    list_parser = commands.add_parser("list", help="list the built-in profiles")
    add_common_options(list_parser)
    list_parser.set_defaults(run=run_list)
    show_parser = commands.add_parser("show", help="show every number of a profile with its source")
    show_parser.add_argument("profile", metavar="PROFILE", help="built-in profile name or path of a .toml profile")
    add_common_options(show_parser)
    show_parser.set_defaults(run=run_show)


def run_list(args: argparse.Namespace) -> int:
    rows = []
    for name in builtin_profile_names():
        profile = load_profile(name)
        rows.append([profile.name, profile.kind, profile.dtype, profile.description])
    sys.stdout.write(tabulate(rows, headers=["name", "kind", "dtype", "description"], tablefmt="simple") + "\n")
    return 0


def _unit(name: str) -> str:
    if name in _UNITS:
        return _UNITS[name]
    if name.startswith("efficiency."):
        return "fraction of peak"
    if name.endswith("bytes_per_s"):
        return "bytes/s"
    if name.endswith("_bytes"):
        return "bytes"
    return "s" if name.endswith("_s") else ""


def _number(value: float) -> str:
    """Return whole numbers in full with separators, others with 6 significant digits."""
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:.6g}"


def describe(profile: HardwareProfile) -> str:
    """Return a text description of ``profile``: every number with unit and source, then fusion rules."""
    rows = [[name, _number(value.value), _unit(name), value.source] for name, value in profile.numbers().items()]
    fusion = profile.fusion
    lines = [
        f"{profile.name}: {profile.description}",
        f"kind {profile.kind}, computes in {profile.dtype}; file {profile.path}",
        "",
        tabulate(rows, headers=["field", "value", "unit", "source"], tablefmt="simple", disable_numparse=True),
        "",
        "fusion rules:",
        f"  BatchNormalization folded into the conv: {fusion.conv_batchnorm}",
        f"  MatMul bias in the epilogue: {fusion.conv_bias}",
        f"  activations in the conv/FC epilogue: {', '.join(sorted(fusion.conv_activations)) or 'none'}",
        f"  residual Add in the conv epilogue: {fusion.conv_residual_add}",
        f"  multi-op activation as one kernel: {fusion.activation_kernel}",
        f"  squeeze-excite: {fusion.squeeze_excite}",
    ]
    if profile.npu is not None:
        # FusionRules.supports accepts QuantizeLinear and DequantizeLinear on every device, listed or not.
        supported = sorted(fusion.supported_ops | QDQ_OPS)
        lines.append(f"  supported ops ({len(supported)}): {', '.join(supported)}")
        lines.append(f"  {' and '.join(sorted(QDQ_OPS))}: always run on the device, whether the profile lists them or not")
        lines.append(f"  unsupported ops run on: {profile.npu.fallback}")
    lines += [f"note: {note}" for note in profile.notes]
    return "\n".join(lines) + "\n"


def run_show(args: argparse.Namespace) -> int:
    sys.stdout.write(describe(load_profile(args.profile)))
    return 0
