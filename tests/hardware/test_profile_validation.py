"""``graphcost analyze MODEL --hw BAD.toml``: exit status 2 and one stderr line naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from conftest import parse_model
from hw_helpers import (
    CliResult,
    cpu_profile_text,
    npu_profile_text,
    run_cli,
    write_text,
)

VALID_CPU = cpu_profile_text()
VALID_NPU = npu_profile_text("pixel4-cpu", ["Conv", "Relu"])


def replace_once(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old``, failing the test if there is not exactly one."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the test profile"
    return text.replace(old, new)


def line_starting(text: str, start: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith(start)]
    return line


# (case id, bad profile text, field the error must name)
BAD_PROFILES = [
    (
        "missing number",
        replace_once(VALID_CPU, line_starting(VALID_CPU, "elementwise_ops_per_s") + "\n", ""),
        "compute.elementwise_ops_per_s",
    ),
    (
        "missing efficiency class",
        replace_once(VALID_CPU, line_starting(VALID_CPU, "pooling") + "\n", ""),
        "efficiency.pooling",
    ),
    (
        "missing device table",
        replace_once(VALID_CPU, VALID_CPU[: VALID_CPU.index("[compute]")], ""),
        "device",
    ),
    (
        "value not a number",
        replace_once(VALID_CPU, "macs_per_s = { value = 1000000000.0", 'macs_per_s = { value = "fast"'),
        "compute.macs_per_s.value",
    ),
    (
        "value a boolean",
        replace_once(VALID_CPU, "macs_per_s = { value = 1000000000.0", "macs_per_s = { value = true"),
        "compute.macs_per_s.value",
    ),
    (
        "number not a table",
        replace_once(VALID_CPU, line_starting(VALID_CPU, "per_kernel_s"), "per_kernel_s = 1e-6"),
        "overhead.per_kernel_s",
    ),
    (
        "negative value",
        replace_once(VALID_CPU, "per_kernel_s = { value = 1e-06", "per_kernel_s = { value = -1e-06"),
        "overhead.per_kernel_s.value",
    ),
    (
        "zero bandwidth",
        replace_once(VALID_CPU, "bandwidth_bytes_per_s = { value = 1000000000.0", "bandwidth_bytes_per_s = { value = 0"),
        "memory[1].bandwidth_bytes_per_s.value",
    ),
    (
        "efficiency above 1",
        replace_once(VALID_CPU, "conv = { value = 0.5", "conv = { value = 1.5"),
        "efficiency.conv.value",
    ),
    (
        "missing source",
        replace_once(VALID_CPU, 'conv_1x1 = { value = 0.5, source = "test value" }', "conv_1x1 = { value = 0.5 }"),
        "efficiency.conv_1x1.source",
    ),
    (
        "blank source",
        replace_once(VALID_CPU, 'fc = { value = 0.5, source = "test value" }', 'fc = { value = 0.5, source = "  " }'),
        "efficiency.fc.source",
    ),
    (
        "unknown top-level table",
        VALID_CPU + "\n[cache]\nlines = 64\n",
        "cache",
    ),
    (
        "unknown compute key",
        replace_once(VALID_CPU, "[compute]\n", '[compute]\nflops_per_s = { value = 1.0, source = "test value" }\n'),
        "compute.flops_per_s",
    ),
    (
        "unknown key in a number",
        replace_once(
            VALID_CPU,
            line_starting(VALID_CPU, "per_kernel_s"),
            'per_kernel_s = { value = 1e-06, source = "test value", unit = "s" }',
        ),
        "overhead.per_kernel_s",
    ),
    (
        "unknown kind",
        replace_once(VALID_CPU, 'kind = "cpu"', 'kind = "tpu"'),
        "device.kind",
    ),
    (
        "unknown dtype",
        replace_once(VALID_CPU, 'dtype = "float32"', 'dtype = "bfloat16"'),
        "device.dtype",
    ),
    (
        "unknown fusion activation",
        replace_once(VALID_CPU, 'conv_activations = ["relu"]', 'conv_activations = ["relu", "gelu"]'),
        "fusion.conv_activations",
    ),
    (
        "fusion flag not boolean",
        replace_once(VALID_CPU, "[fusion]\n", '[fusion]\nconv_residual_add = "yes"\n'),
        "fusion.conv_residual_add",
    ),
    (
        "unknown squeeze-excite mode",
        replace_once(VALID_CPU, "[fusion]\n", '[fusion]\nsqueeze_excite = "fused"\n'),
        "fusion.squeeze_excite",
    ),
    (
        "memory not a list",
        # A top-level key must come before the first table header.
        'memory = "DRAM"\n' + replace_once(VALID_CPU, VALID_CPU[VALID_CPU.index("[[memory]]") : VALID_CPU.index("[overhead]")], ""),
        "memory",
    ),
    (
        "inner memory level without size",
        replace_once(VALID_CPU, line_starting(VALID_CPU, "size_bytes") + "\n", ""),
        "memory[0].size_bytes",
    ),
    (
        "empty supported_ops",
        replace_once(VALID_NPU, 'supported_ops = ["Conv", "Relu"]', "supported_ops = []"),
        "npu.supported_ops",
    ),
    (
        "supported_ops not strings",
        replace_once(VALID_NPU, 'supported_ops = ["Conv", "Relu"]', 'supported_ops = ["Conv", 7]'),
        "npu.supported_ops",
    ),
    (
        "missing fallback",
        replace_once(VALID_NPU, 'fallback = "pixel4-cpu"\n', ""),
        "npu.fallback",
    ),
    (
        "missing transfer bandwidth",
        replace_once(VALID_NPU, line_starting(VALID_NPU, "transfer_bytes_per_s") + "\n", ""),
        "npu.transfer_bytes_per_s",
    ),
]


@pytest.fixture
def model_path(tmp_path) -> Path:
    """Save a one-conv model that any valid profile can time."""
    model = parse_model("g (float[1,4,8,8] x) => (float[1,8,8,8] y) <float[8,4,1,1] w> { y = Conv(x, w) }")
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    return path


def check_rejected(result: CliResult, named: list[str]) -> None:
    """Assert exit status 2, no output, and one stderr line without traceback that contains every ``named`` text."""
    assert result.status == 2, f"exit status {result.status}, stderr: {result.stderr!r}"
    assert "Traceback" not in result.stderr
    assert len(result.stderr_lines) == 1, f"expected one line on stderr, got {result.stderr!r}"
    for text in named:
        assert text in result.stderr, f"{text!r} is not named in {result.stderr!r}"
    assert result.stdout == ""


@pytest.mark.parametrize("text", [VALID_CPU, VALID_NPU], ids=["cpu", "npu"])
def test_valid_test_profiles_accepted(text, model_path, tmp_path, capsys):
    # The bad profiles below are these with one change each, so these must pass.
    profile = write_text(tmp_path, "good.toml", text)
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    assert result.status == 0, result.stderr
    assert "latency on test-" in result.stdout


@pytest.mark.parametrize(("case", "text", "field"), BAD_PROFILES, ids=[case for case, _, _ in BAD_PROFILES])
def test_bad_profile_rejected(case, text, field, model_path, tmp_path, capsys):
    profile = write_text(tmp_path, "bad.toml", text)
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    check_rejected(result, [str(profile), f"'{field}'"])


def test_not_toml_rejected(model_path, tmp_path, capsys):
    profile = write_text(tmp_path, "bad.toml", "[device\nname = 'x'\n")
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    check_rejected(result, [str(profile), "not valid TOML"])


def test_missing_profile_file_rejected(model_path, tmp_path, capsys):
    profile = tmp_path / "absent.toml"
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    check_rejected(result, [str(profile), "not found"])


def test_unknown_profile_name_rejected(model_path, capsys):
    result = run_cli(["analyze", model_path, "--hw", "nonexistent-name"], capsys)

    check_rejected(result, ["'nonexistent-name'", "pixel4-cpu"])


def test_unknown_fallback_rejected(model_path, tmp_path, capsys):
    # A fallback that names no profile: the error should name this profile
    # file and its npu.fallback field, like every other invalid field.
    text = replace_once(VALID_NPU, 'fallback = "pixel4-cpu"', 'fallback = "no-such-cpu"')
    profile = write_text(tmp_path, "bad.toml", text)
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    check_rejected(result, [str(profile), "'npu.fallback'", "no-such-cpu"])


def test_hw_show_rejects_bad_profile(tmp_path, capsys):
    text = replace_once(VALID_CPU, "conv = { value = 0.5", "conv = { value = 1.5")
    profile = write_text(tmp_path, "bad.toml", text)
    result = run_cli(["hw", "show", profile], capsys)

    check_rejected(result, [str(profile), "'efficiency.conv.value'"])


def with_memory_sizes(sizes: list[int]) -> str:
    """Return VALID_CPU with one [[memory]] level per entry of ``sizes``, in that order, and DRAM last without a size."""
    levels = "".join(
        f'[[memory]]\nname = "level{index}"\nsize_bytes = {{ value = {size}, source = "test value" }}\n'
        f'bandwidth_bytes_per_s = {{ value = 1e10, source = "test value" }}\n\n'
        for index, size in enumerate(sizes)
    )
    levels += '[[memory]]\nname = "DRAM"\nbandwidth_bytes_per_s = { value = 1e9, source = "test value" }\n\n'
    return VALID_CPU[: VALID_CPU.index("[[memory]]")] + levels + VALID_CPU[VALID_CPU.index("[overhead]") :]


@pytest.mark.parametrize(
    ("sizes", "field", "values"),
    [
        ([1048576, 1024], "memory[1].size_bytes.value", ["1048576", "1024"]),
        ([65536, 65536], "memory[1].size_bytes.value", ["65536 bytes) because levels go smallest first, got 65536 bytes"]),
        ([32768, 1048576, 524288], "memory[2].size_bytes.value", ["1048576", "524288"]),
    ],
    ids=["smaller", "equal", "third smaller"],
)
def test_memory_sizes_out_of_order_rejected(sizes, field, values, model_path, tmp_path, capsys):
    profile = write_text(tmp_path, "bad.toml", with_memory_sizes(sizes))
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    check_rejected(result, [str(profile), f"'{field}'", "smallest first", *values])


def test_memory_sizes_increasing_accepted(model_path, tmp_path, capsys):
    profile = write_text(tmp_path, "good.toml", with_memory_sizes([32768, 1048576, 8388608]))
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    assert result.status == 0, result.stderr


def test_self_fallback_rejected(tmp_path, capsys):
    text = replace_once(VALID_NPU, 'fallback = "pixel4-cpu"', 'fallback = "self.toml"')
    profile = write_text(tmp_path, "self.toml", text)
    result = run_cli(["hw", "show", profile], capsys)

    check_rejected(result, [str(profile), "'npu.fallback'", "this profile itself"])


def test_fallback_cycle_rejected(model_path, tmp_path, capsys):
    # Two NPU profiles that name each other as fallback.
    first = write_text(tmp_path, "first.toml", replace_once(VALID_NPU, 'fallback = "pixel4-cpu"', 'fallback = "second.toml"'))
    write_text(tmp_path, "second.toml", replace_once(VALID_NPU, 'fallback = "pixel4-cpu"', 'fallback = "first.toml"'))
    result = run_cli(["analyze", model_path, "--hw", first], capsys)

    check_rejected(result, [str(first), "'npu.fallback'", "second.toml", "cycle"])


@pytest.mark.parametrize(
    ("fallback_text", "found"),
    [
        (VALID_NPU, "kind npu with an [npu] section"),
        (VALID_CPU.replace('kind = "cpu"', 'kind = "gpu"'), "kind gpu"),
        (VALID_NPU.replace('kind = "npu"', 'kind = "cpu"'), "kind cpu with an [npu] section"),
    ],
    ids=["npu", "gpu", "cpu with npu section"],
)
def test_fallback_not_cpu_rejected(fallback_text, found, model_path, tmp_path, capsys):
    write_text(tmp_path, "fallback.toml", fallback_text)
    profile = write_text(tmp_path, "bad.toml", replace_once(VALID_NPU, 'fallback = "pixel4-cpu"', 'fallback = "fallback.toml"'))
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    check_rejected(result, [str(profile), "'npu.fallback'", found, "must be a CPU profile"])


def test_builtin_npu_fallback_rejected(model_path, tmp_path, capsys):
    profile = write_text(tmp_path, "bad.toml", replace_once(VALID_NPU, 'fallback = "pixel4-cpu"', 'fallback = "pixel-npu"'))
    result = run_cli(["analyze", model_path, "--hw", profile], capsys)

    check_rejected(result, [str(profile), "'npu.fallback'", "'pixel-npu'", "kind npu"])


def test_duplicate_memory_name_rejected(tmp_path, capsys):
    text = with_memory_sizes([32768, 1048576]).replace('name = "level1"', 'name = "level0"')
    profile = write_text(tmp_path, "bad.toml", text)
    result = run_cli(["hw", "show", profile], capsys)

    check_rejected(result, [str(profile), "'memory[1].name'", "'level0'", "memory[0]"])


@pytest.mark.parametrize("name", ["", "  "], ids=["empty", "blank"])
def test_empty_profile_name_rejected(name, model_path, capsys):
    result = run_cli(["analyze", model_path, "--hw", name], capsys)

    check_rejected(result, ["empty hardware profile name", "pixel4-cpu", ".toml"])
    assert "directory" not in result.stderr
