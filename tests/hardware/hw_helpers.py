"""Profiles written by the hardware tests, and an in-process CLI runner.

The test profiles use round numbers so that the expected latencies can be
worked out by hand in the tests' comments.
"""

from __future__ import annotations

from pathlib import Path


from conftest import CliResult, run_cli

BUILTIN_PROFILES = ("pixel-npu", "pixel1-cpu", "pixel4-cpu", "pixel4-gpu", "x86-avx2-cpu")
KERNEL_CLASSES = (
    "conv",
    "conv_1x1",
    "conv_depthwise",
    "fc",
    "elementwise",
    "pooling",
    "squeeze_excite",
    "data_movement",
    "other",
)

# Prices of the test CPU profile: peak rates, one efficiency for every
# class, two memory levels, and a fixed overhead per kernel.
TEST_PEAK_PER_S = 1e9
TEST_EFFICIENCY = 0.5
TEST_L2_BYTES = 1_048_576
TEST_L2_BYTES_PER_S = 1e10
TEST_DRAM_BYTES_PER_S = 1e9
TEST_OVERHEAD_S = 1e-6

# NPU section of the test NPU profile.
TEST_TRANSFER_BYTES_PER_S = 1e9
TEST_TRANSFER_OVERHEAD_S = 1e-5


def cpu_profile_text(name: str = "test-cpu", dtype: str = "float32") -> str:
    """Return the TOML text of a valid CPU profile with the test prices."""
    efficiency = "\n".join(
        f'{kernel_class} = {{ value = {TEST_EFFICIENCY}, source = "test value" }}' for kernel_class in KERNEL_CLASSES
    )
    return f"""[device]
name = "{name}"
kind = "cpu"
description = "hand-checkable test device"
dtype = "{dtype}"

[compute]
macs_per_s = {{ value = {TEST_PEAK_PER_S}, source = "test value" }}
elementwise_ops_per_s = {{ value = {TEST_PEAK_PER_S}, source = "test value" }}

[efficiency]
{efficiency}

[[memory]]
name = "L2"
size_bytes = {{ value = {TEST_L2_BYTES}, source = "test value" }}
bandwidth_bytes_per_s = {{ value = {TEST_L2_BYTES_PER_S}, source = "test value" }}

[[memory]]
name = "DRAM"
bandwidth_bytes_per_s = {{ value = {TEST_DRAM_BYTES_PER_S}, source = "test value" }}

[overhead]
per_kernel_s = {{ value = {TEST_OVERHEAD_S}, source = "test value" }}

[fusion]
conv_activations = ["relu"]
"""


def npu_profile_text(fallback: str, supported_ops: list[str]) -> str:
    """Return the TOML text of a valid int8 NPU profile with the test prices and an [npu] section."""
    text = cpu_profile_text(name="test-npu", dtype="int8").replace('kind = "cpu"', 'kind = "npu"')
    ops = ", ".join(f'"{op}"' for op in supported_ops)
    return text + f"""
[npu]
supported_ops = [{ops}]
weight_cache_bytes = {{ value = 1048576, source = "test value" }}
fallback = "{fallback}"
transfer_bytes_per_s = {{ value = {TEST_TRANSFER_BYTES_PER_S}, source = "test value" }}
transfer_overhead_s = {{ value = {TEST_TRANSFER_OVERHEAD_S}, source = "test value" }}
"""


def write_text(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


