"""Built-in profiles: they load, ``graphcost hw`` lists and shows them, every number has a source."""

from __future__ import annotations

import dataclasses
import math

import pytest

import graphcost
from conftest import REPO
from graphcost.hardware import builtin_profile_names, load_profile
from graphcost.hardware.writer import profile_to_toml
from hw_helpers import BUILTIN_PROFILES, run_cli

EXPECTED_KIND_AND_DTYPE = {
    "pixel-npu": ("npu", "int8"),
    "pixel1-cpu": ("cpu", "float32"),
    "pixel4-cpu": ("cpu", "float32"),
    "pixel4-gpu": ("gpu", "float16"),
    "x86-avx2-cpu": ("cpu", "float32"),
}
REFERENCE_MODELS = ("mobilenet_v2", "ssdlite_mobilenet_v3_large")
# Latencies the calibration script fits, in ms: see benchmarks/calibrate_profiles.py.
FITTED_MOBILENET_V2_MS = {"pixel-npu": 2.6, "pixel4-gpu": 6.2 * 9.0 / 6.45}


def test_builtin_names_are_the_five_profiles():
    assert builtin_profile_names() == sorted(BUILTIN_PROFILES)


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_builtin_profile_loads(name):
    profile = load_profile(name)

    assert profile.name == name
    assert (profile.kind, profile.dtype) == EXPECTED_KIND_AND_DTYPE[name]
    assert profile.path == f"hardware_profiles/{name}.toml"


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_builtin_sources_not_empty(name):
    for field_name, number in load_profile(name).numbers().items():
        assert number.source.strip(), f"{name}: {field_name} has no source"
        assert math.isfinite(number.value), f"{name}: {field_name} = {number.value}"
        assert number.value > 0, f"{name}: {field_name} = {number.value}"


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_calibrated_sources_name_existing_script(name):
    # A "calibrated: python SCRIPT, ..." source must name a script in this repository.
    for field_name, number in load_profile(name).numbers().items():
        if not number.source.startswith("calibrated:"):
            continue
        command = number.source.removeprefix("calibrated:").split(",")[0].split()
        assert command[0] == "python", f"{name}: {field_name}: {number.source}"
        assert (REPO / command[1]).is_file(), f"{name}: {field_name} names a missing script {command[1]}"


@pytest.mark.parametrize("name", ["pixel-npu", "pixel4-gpu"])
def test_fitted_overhead_is_calibrated(name):
    source = load_profile(name).overhead_per_kernel_s.source
    assert source.startswith("calibrated: python benchmarks/calibrate_profiles.py"), source


@pytest.mark.parametrize("name", sorted(FITTED_MOBILENET_V2_MS))
def test_fit_reproduced_by_latency_model(name):
    # The overhead was fitted so that mobilenet_v2 takes exactly the fitted
    # latency; the latency model must price the kernels as the fit did.
    report = graphcost.analyze(str(REPO / "models" / "mobilenet_v2.onnx"), hw=name)
    assert report.latency.total_s * 1e3 == pytest.approx(FITTED_MOBILENET_V2_MS[name], rel=1e-6)


def test_pixel_npu_fallback_is_pixel4_cpu():
    npu = load_profile("pixel-npu").npu
    assert npu.fallback == "pixel4-cpu"
    assert load_profile(npu.fallback).kind == "cpu"


def test_pixel_npu_runs_hardswish_on_fallback():
    # HardSwish is left out of pixel-npu's supported ops, so each of the 20
    # HardSwish nodes of the SSDLite MobileNetV3-Large reference model runs
    # on pixel4-cpu, and nothing else does.
    report = graphcost.analyze(str(REPO / "models" / "ssdlite_mobilenet_v3_large.onnx"), hw="pixel-npu")
    on_cpu = [kernel for kernel in report.latency.kernels if kernel.device == "pixel4-cpu"]
    ops = {tuple(kernel.op_types) for kernel in report.kernels.kernels if kernel.id in report.latency.fallback_kernels}

    assert len(on_cpu) == 20
    assert ops == {("HardSwish",)}
    assert all(kernel.transfer_s > 0 for kernel in on_cpu)


@pytest.mark.parametrize("model_name", REFERENCE_MODELS)
@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_reference_model_latency_finite(name, model_name):
    report = graphcost.analyze(str(REPO / "models" / f"{model_name}.onnx"), hw=name)

    assert math.isfinite(report.latency.total_s)
    assert report.latency.total_s > 0
    assert report.latency.total_s == pytest.approx(sum(kernel.latency_s for kernel in report.latency.kernels))


def test_hw_list_names_every_profile(capsys):
    result = run_cli(["hw", "list"], capsys)

    assert result.status == 0, result.stderr
    assert result.stderr == ""
    listed = [line.split()[0] for line in result.stdout.splitlines()[2:]]
    assert listed == sorted(BUILTIN_PROFILES)


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_hw_show_prints_every_source(name, capsys):
    profile = load_profile(name)
    result = run_cli(["hw", "show", name], capsys)

    assert result.status == 0, result.stderr
    lines = result.stdout.splitlines()
    for field_name, number in profile.numbers().items():
        row = [line for line in lines if line.startswith(field_name + " ")]
        assert len(row) == 1, f"{field_name} is not one row of the table"
        shown = float(row[0].split()[1].replace(",", ""))
        assert shown == pytest.approx(number.value, rel=1e-5), f"{field_name}: value {number.value} shown as {shown}"
        assert number.source in row[0], f"{field_name}: source missing in {row[0]!r}"


def test_hw_show_lists_npu_ops_and_fallback(capsys):
    result = run_cli(["hw", "show", "pixel-npu"], capsys)

    assert result.status == 0, result.stderr
    assert "unsupported ops run on: pixel4-cpu" in result.stdout
    assert "HardSigmoid" in result.stdout
    assert "HardSwish" not in result.stdout


def test_hw_show_lists_qdq_as_npu_ops(capsys):
    profile = load_profile("pixel-npu")
    result = run_cli(["hw", "show", "pixel-npu"], capsys)

    (line,) = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("supported ops (")]
    count_text, listed_text = line.removeprefix("supported ops (").split("): ")
    listed = listed_text.split(", ")
    assert "QuantizeLinear" in listed
    assert "DequantizeLinear" in listed
    assert int(count_text) == len(listed)
    assert all(profile.fusion.supports(op_type) for op_type in listed)
    assert "DequantizeLinear and QuantizeLinear: always run on the device" in result.stdout


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_writer_round_trip(name, tmp_path):
    # calibrate_profiles.py rewrites profiles with profile_to_toml; the file
    # it writes must load back to the same profile.
    profile = load_profile(name)
    path = tmp_path / f"{name}.toml"
    path.write_text(profile_to_toml(profile), encoding="utf-8")

    assert dataclasses.replace(load_profile(str(path)), path=profile.path) == profile


def test_writer_round_trip_with_notes(tmp_path):
    # profile_to_toml writes the top-level `notes` key after the last table,
    # where TOML makes it a key of that table, so the file does not load back.
    profile = dataclasses.replace(load_profile("pixel4-cpu"), notes=("one note",))
    path = tmp_path / "noted.toml"
    path.write_text(profile_to_toml(profile), encoding="utf-8")

    assert load_profile(str(path)).notes == ("one note",)

