"""Calibration smoke test and trace parsing. No timing assertions: measured times vary by machine."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from conftest import run_cli

from graphcost.calibrate.micro import microbenchmarks
from graphcost.calibrate.traces import match_onnxruntime, match_tflite, read_trace
from graphcost.cli import main
from graphcost.errors import GraphcostError
from graphcost.hardware import KERNEL_CLASSES, load_profile
from graphcost.load import load
from graphcost.analysis import analyze_model


def test_microbenchmarks_cover_kernel_classes():
    classes = {case.kernel_class for case in microbenchmarks()}
    assert classes == set(KERNEL_CLASSES) - {"other"}
    for case in microbenchmarks():
        report = analyze_model(load(case.model))
        assert report.totals.status_counts["uncosted"] == 0, case.name


def test_quick_calibration_writes_loadable_profile(tmp_path, capsys):
    output = tmp_path / "this-machine.toml"
    assert main(["calibrate", "--backend", "onnxruntime", "--quick", "-q", "-o", str(output)]) == 0
    assert "samples, median |error|" in capsys.readouterr().out
    profile = load_profile(str(output))
    assert profile.name == "this-machine"
    calibrated = [value for value in profile.numbers().values() if value.source.startswith("calibrated")]
    assert calibrated
    assert all("onnxruntime" in value.source for value in calibrated)
    assert any(note.startswith("fit residuals:") for note in profile.notes)
    # The profile predicts a reference model.
    assert main(["analyze", "models/mobilenet_v3_small.onnx", "--hw", str(output), "-q"]) == 0


def _kernels():
    model = load("models/mobilenet_v3_small.onnx")
    return model, analyze_model(model, fusion=load_profile("x86-avx2-cpu").fusion).kernels


def test_onnxruntime_trace_matches_by_node_name(tmp_path):
    model, kernels = _kernels()
    first, second = kernels.kernels[0], kernels.kernels[1]
    events = [
        {"cat": "Session", "name": "model_run", "dur": 999},
        {"cat": "Node", "name": f"{first.nodes[0]}_nchwc_kernel_time", "dur": 120, "args": {"op_name": "Conv"}},
        {"cat": "Node", "name": f"{second.nodes[-1]}_kernel_time", "dur": 30, "args": {"op_name": "HardSwish"}},
        {"cat": "Node", "name": "ReorderInput_0_kernel_time", "dur": 7, "args": {"op_name": "ReorderInput"}},
    ]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(events))
    kind, data = read_trace(str(path))
    assert kind == "onnxruntime"
    match = match_onnxruntime(data, kernels, 1.0)
    measured = {sample.name: sample.measured_s for sample in match.samples}
    assert measured == {first.id: pytest.approx(120e-6), second.id: pytest.approx(30e-6)}
    assert match.unmatched_names == ["ReorderInput_0"]
    assert match.unmatched_s == pytest.approx(7e-6)


def test_tflite_csv_matches_by_op_type(tmp_path):
    _, kernels = _kernels()
    text = (
        "Operator-wise Profiling Info for Regular Benchmark Runs:\n"
        "node type, first, avg_ms, %, cdf%, mem KB, times called, Name\n"
        "CONV_2D, 5.0, 4.0, 40%, 40%, 0, 30, conv\n"
        "DEPTHWISE_CONV_2D, 2.0, 1.5, 15%, 55%, 0, 11, dw\n"
        "HARD_SWISH, 1.0, 0.5, 5%, 60%, 0, 1, hs\n"
        "CUSTOM_OP, 1.0, 0.25, 5%, 65%, 0, 2, x\n"
        "\n"
    )
    path = tmp_path / "ops.csv"
    path.write_text(text)
    kind, rows = read_trace(str(path))
    assert kind == "tflite"
    match = match_tflite(rows, kernels, 1.0)
    by_name = {sample.name: sample.measured_s for sample in match.samples}
    # avg_ms x times called: CONV_2D 4.0 x 30 = 120 ms; depthwise 1.5 x 11; HARD_SWISH 0.5.
    assert by_name["conv+conv_1x1"] == pytest.approx(0.120)
    assert by_name["conv_depthwise"] == pytest.approx(0.0165)
    assert by_name["elementwise"] == pytest.approx(0.0005)
    assert match.unmatched_names == ["CUSTOM_OP"]


def test_trace_not_recognised(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(GraphcostError, match="not an onnxruntime profiling JSON or a TensorFlow Lite op-profiling CSV"):
        read_trace(str(path))


def test_calibrate_from_trace_cli(tmp_path, capsys):
    model, kernels = _kernels()
    events = [
        {"cat": "Node", "name": f"{kernel.nodes[0]}_kernel_time", "dur": 10 + 5 * index, "args": {"op_name": "X"}}
        for index, kernel in enumerate(kernels.kernels)
    ]
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps(events))
    output = tmp_path / "from-trace.toml"
    status = main(
        ["calibrate", "--from-trace", str(trace), "--model", "models/mobilenet_v3_small.onnx", "-o", str(output), "-q"]
    )
    assert status == 0
    assert "matched" in capsys.readouterr().out
    assert load_profile(str(output)).name == "from-trace"


def test_from_trace_needs_model(tmp_path, capsys):
    trace = tmp_path / "trace.json"
    trace.write_text("[]")
    assert main(["calibrate", "--from-trace", str(trace), "-o", str(tmp_path / "x.toml")]) == 2
    assert "--from-trace needs --model" in capsys.readouterr().err


def test_trace_of_other_model_rejected(tmp_path):
    _, kernels = _kernels()
    first = kernels.kernels[0]
    events = [
        {"cat": "Node", "name": f"{first.nodes[0]}_kernel_time", "dur": 10, "args": {"op_name": "Conv"}},
        {"cat": "Node", "name": "some/other/model/Conv_kernel_time", "dur": 90, "args": {"op_name": "Conv"}},
    ]
    with pytest.raises(GraphcostError, match="only 10% of the onnxruntime trace"):
        match_onnxruntime(events, kernels, 1.0)


def test_unnamed_node_matches_by_output():
    # onnxruntime names an unnamed node after its first output, here "y_nchwc".
    from conftest import parse_model

    model = load(parse_model("g (float[1,3,8,8] x) => (float y) <float[4,3,1,1] w> { y = Conv(x, w) }"))
    kernels = analyze_model(model).kernels
    events = [{"cat": "Node", "name": "y_nchwc_kernel_time", "dur": 12, "args": {"op_name": "Conv"}}]
    match = match_onnxruntime(events, kernels, 1.0, model.graph)
    assert [sample.measured_s for sample in match.samples] == [pytest.approx(12e-6)]


@pytest.mark.parametrize(
    ("base", "named"),
    [("pixel-npu", "of kind 'npu'"), ("pixel4-gpu", "of kind 'gpu'")],
)
def test_onnxruntime_rejects_accelerator_base(base, named, tmp_path, capsys):
    output = tmp_path / "out.toml"
    result = run_cli(["calibrate", "--backend", "onnxruntime", "--quick", "--base", base, "-o", output], capsys)

    assert result.status == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    assert f"hardware_profiles/{base}.toml" in result.stderr
    assert named in result.stderr
    assert "float32" in result.stderr
    assert not output.exists()


def test_onnxruntime_rejects_int8_cpu_base(tmp_path, capsys):
    text = (resources.files("graphcost.hardware_profiles") / "x86-avx2-cpu.toml").read_text(encoding="utf-8")
    assert text.count('dtype = "float32"') == 1
    base = tmp_path / "int8-cpu.toml"
    base.write_text(text.replace('dtype = "float32"', 'dtype = "int8"'), encoding="utf-8")
    result = run_cli(["calibrate", "--backend", "onnxruntime", "--quick", "--base", base, "-o", tmp_path / "out.toml"], capsys)

    assert result.status == 2
    assert len(result.stderr_lines) == 1, result.stderr
    assert str(base) in result.stderr
    assert "computes in int8" in result.stderr
