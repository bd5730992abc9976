"""Which profile parameters a calibration run fits, and that the others keep their base value and source."""

from __future__ import annotations

from conftest import run_cli
from graphcost.analysis import analyze_model
from graphcost.calibrate.micro import microbenchmarks
from graphcost.calibrate.run import _finish, _free_parameters
from graphcost.hardware import load_profile, parse_profile
from graphcost.hardware.profile import tomllib
from graphcost.hardware.writer import profile_to_toml
from graphcost.latency.fit import FitSample
from graphcost.latency.model import byte_scale, estimate_latency
from graphcost.load import load

SOURCE = "calibrated: test fit"


def micro_samples(base, names: list[str], slowdown: float = 1.0) -> list[FitSample]:
    """Return fit samples of the named microbenchmarks, each measured at ``slowdown`` times its prediction on ``base``."""
    cases = {case.name: case for case in microbenchmarks()}
    samples = []
    for name in names:
        model = load(cases[name].model)
        kernels = analyze_model(model, fusion=base.fusion).kernels
        predicted_s = estimate_latency(model, kernels, base).total_s
        samples.append(FitSample(name, kernels, byte_scale(model, base), predicted_s * slowdown))
    return samples


def fit_numbers(base, samples):
    calibration = _finish(base, samples, "fitted", "test device", SOURCE, [])
    return calibration.profile.numbers()


def test_free_empty_without_samples():
    assert _free_parameters(load_profile("pixel1-cpu"), []) == []


def test_free_from_sample_units():
    base = load_profile("x86-avx2-cpu")
    samples = micro_samples(base, ["Gemm 1280->1000", "GlobalAveragePool 72ch 28px"])

    free = _free_parameters(base, samples)

    # The Gemm's bias add is priced at the elementwise efficiency, because x86-avx2-cpu has no conv_epilogue.
    assert free == ["efficiency.fc", "efficiency.elementwise", "efficiency.pooling", "memory.L2", "memory.L3", "overhead"]


def test_free_includes_conv_epilogue():
    base = load_profile("pixel1-cpu")
    samples = micro_samples(base, ["conv1x1 16->64 112px"])

    free = _free_parameters(base, samples)

    assert "efficiency.conv_1x1" in free
    assert "efficiency.conv_epilogue" in free
    assert "efficiency.elementwise" not in free


def test_free_skips_class_without_operations():
    # A Transpose does no arithmetic, so nothing constrains the data_movement efficiency.
    base = load_profile("x86-avx2-cpu")
    samples = micro_samples(base, ["Transpose 546ch 20px"])

    assert _free_parameters(base, samples) == ["memory.L3", "overhead"]


def test_unexercised_numbers_keep_base():
    base = load_profile("x86-avx2-cpu")
    samples = micro_samples(base, ["Transpose 546ch 20px", "Transpose 24ch 20px", "Relu + Concat 96ch 56px"], 1.3)

    assert "efficiency.elementwise" in _free_parameters(base, samples)
    numbers = fit_numbers(base, samples)

    # The Relu kernel has element-wise operations but is memory bound in
    # every sample, so the data does not constrain the elementwise efficiency.
    fitted = {name for name, value in numbers.items() if value.source == SOURCE}
    assert "efficiency.elementwise" not in fitted
    assert "memory.L3.bandwidth_bytes_per_s" in fitted
    for name, value in base.numbers().items():
        if name not in fitted:
            assert numbers[name] == value, name


def test_unexercised_numbers_survive_toml():
    base = load_profile("x86-avx2-cpu")
    samples = micro_samples(base, ["Transpose 546ch 20px", "Relu + Concat 96ch 56px"], 1.3)
    calibration = _finish(base, samples, "fitted", "test device", SOURCE, [])

    text = profile_to_toml(calibration.profile)
    reloaded = parse_profile(tomllib.loads(text), "fitted.toml").numbers()

    assert 'fc = { value = 0.3, source = "estimate' in text
    assert 'data_movement = { value = 0.2, source = "estimate' in text
    assert reloaded == calibration.profile.numbers()
    base_numbers = base.numbers()
    for name in ("efficiency.fc", "efficiency.data_movement", "efficiency.elementwise", "memory.DRAM.bandwidth_bytes_per_s"):
        assert reloaded[name] == base_numbers[name], name


def test_quick_calibration_keeps_unmeasured(tmp_path, capsys):
    output = tmp_path / "quick.toml"
    result = run_cli(["calibrate", "--backend", "onnxruntime", "--quick", "-q", "-o", output], capsys)
    assert result.status == 0, result.stderr
    base = load_profile("x86-avx2-cpu").numbers()
    numbers = load_profile(str(output)).numbers()

    # No quick microbenchmark has data-movement arithmetic, a squeeze-excite
    # kernel, an uncosted op or a working set beyond L3.
    for name in ("efficiency.data_movement", "efficiency.squeeze_excite", "efficiency.other", "memory.DRAM.bandwidth_bytes_per_s"):
        assert numbers[name] == base[name], name
