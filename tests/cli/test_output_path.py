"""``-o`` naming one of the command's own inputs: rejected with one line and exit status 2, every input unchanged."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import onnx
import pytest

from cli_helpers import conv_model, run_main


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    """Write a model, a second model, a profile and a trace into the test's folder."""
    onnx.save(conv_model(), tmp_path / "model.onnx")
    onnx.save(conv_model(), tmp_path / "other.onnx")
    profile = resources.files("graphcost.hardware_profiles") / "x86-avx2-cpu.toml"
    (tmp_path / "profile.toml").write_bytes(profile.read_bytes())
    (tmp_path / "trace.json").write_text("[]\n", encoding="utf-8")
    return {path.stem: path for path in tmp_path.iterdir()}


# (argv with {name} for each input's path, the input that -o names, the role the message gives that input)
CASES = {
    "analyze-model": (["analyze", "{model}"], "model", "model"),
    "analyze-profile": (["analyze", "{model}", "--hw", "{profile}"], "profile", "hardware profile"),
    "export-model": (["export", "{model}", "--format", "graphml"], "model", "model"),
    "diff-model-a": (["diff", "{model}", "{other}", "--hw", "pixel1-cpu"], "model", "model A"),
    "diff-model-b": (["diff", "{model}", "{other}", "--hw", "pixel1-cpu", "--format", "json"], "other", "model B"),
    "explain-model-b": (["explain", "{model}", "{other}", "--hw", "pixel1-cpu"], "other", "model B"),
    "whatif-model": (["whatif", "{model}", "--hw", "pixel1-cpu", "--remove-se"], "model", "model"),
    "validate-model": (["validate", "{other}", "{model}", "--hw", "pixel1-cpu"], "model", "model"),
    "validate-profile": (["validate", "{model}", "--hw", "{profile}"], "profile", "hardware profile"),
    "calibrate-trace": (["calibrate", "--from-trace", "{trace}", "--model", "{model}"], "trace", "trace"),
    "calibrate-model": (["calibrate", "--from-trace", "{trace}", "--model", "{model}"], "model", "model"),
    "calibrate-base": (["calibrate", "--backend", "onnxruntime", "--base", "{profile}"], "profile", "base profile"),
}


def contents(inputs: dict[str, Path]) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in inputs.items()}


def fill(argv: list[str], inputs: dict[str, Path]) -> list[str]:
    return [part.format(**inputs) for part in argv]


@pytest.mark.parametrize("case", CASES)
def test_output_over_input_rejected(inputs, capsys, case):
    argv, target, role = CASES[case]
    before = contents(inputs)

    result = run_main([*fill(argv, inputs), "-o", inputs[target]], capsys)

    assert result.status == 2, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    assert f"is the same file as the {role} {inputs[target]}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert contents(inputs) == before


@pytest.mark.parametrize("link", ["symlink", "hardlink", "dotted"])
def test_output_alias_of_model_rejected(inputs, tmp_path, capsys, link):
    model = inputs["model"]
    (tmp_path / "sub").mkdir()
    if link == "symlink":
        output = tmp_path / "link.onnx"
        output.symlink_to(model)
    elif link == "hardlink":
        output = tmp_path / "hard.onnx"
        os.link(model, output)
    else:
        output = tmp_path / "sub" / ".." / "model.onnx"
    before = model.read_bytes()

    result = run_main(["analyze", model, "-o", output], capsys)

    assert result.status == 2, result.stderr
    assert "is the same file as the model" in result.stderr
    assert model.read_bytes() == before


def test_output_beside_input_written(inputs, tmp_path, capsys):
    output = tmp_path / "report.txt"
    before = contents(inputs)

    result = run_main(["analyze", inputs["model"], "-o", output], capsys)

    assert result.status == 0, result.stderr
    assert "total" in output.read_text(encoding="utf-8")
    assert contents(inputs) == before
