"""Shape options across subcommands: messages name the option typed, and overridden declared dims are noted."""

from __future__ import annotations

import json

import pytest
from onnx import TensorProto, helper

from cli_helpers import conv_model, run_main
from conftest import parse_model

OVERRIDE = "overrides declared static dims of input 'x'"


def static_conv_model():
    """Return a conv model whose input x is declared with static dims 1x3x8x8."""
    weights = ", ".join(["0.5"] * (4 * 3 * 3 * 3))
    return parse_model(
        f"""
        conv (float[1,3,8,8] x) => (float[1,4,8,8] y) <float[4,3,3,3] w = {{{weights}}}> {{
          y = Conv<pads=[1,1,1,1]>(x, w)
        }}
        """
    )


@pytest.fixture
def static_path(save_model):
    return save_model(static_conv_model(), "static.onnx")


@pytest.fixture
def symbolic_path(save_model):
    return save_model(conv_model(), "symbolic.onnx")


def test_override_noted_on_stderr(static_path, capsys):
    result = run_main(["analyze", static_path, "--input-shape", "x=1x3x16x16"], capsys)

    assert result.status == 0, result.stderr
    expected = (
        "--input-shape overrides declared static dims of input 'x': axis 2 from 8 to 16, axis 3 from 8 to 16 "
        "(declared 1x3x8x8, analyzed as 1x3x16x16)"
    )
    assert result.stderr_lines == [f"graphcost: WARNING: {expected}"]
    assert f"note: {expected}" in result.stdout


def test_override_recorded_in_json_notes(static_path, capsys):
    result = run_main(["analyze", static_path, "--input-shape", "2x3x8x8", "--format", "json"], capsys)

    assert result.status == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert len(notes) == 1
    assert OVERRIDE + ": axis 0 from 1 to 2 (declared 1x3x8x8, analyzed as 2x3x8x8)" in notes[0]


def test_override_note_hidden_by_quiet(static_path, capsys):
    result = run_main(["analyze", static_path, "--input-shape", "x=1x3x16x16", "-q"], capsys)

    assert result.status == 0, result.stderr
    assert result.stderr == ""
    assert OVERRIDE in result.stdout


@pytest.mark.parametrize("shape", ["x=1x3x8x8", None])
def test_declared_shape_kept_without_note(static_path, capsys, shape):
    options = ["--input-shape", shape] if shape else []

    result = run_main(["analyze", static_path, "--format", "json", *options], capsys)

    assert result.status == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)["notes"] == []


def test_symbolic_dim_set_without_note(symbolic_path, capsys):
    result = run_main(["analyze", symbolic_path, "--input-shape", "x=4x3x8x8", "--format", "json"], capsys)

    assert result.status == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)["notes"] == []


def test_export_notes_override(static_path, capsys):
    result = run_main(["export", static_path, "--format", "dot", "--input-shape", "x=1x3x16x16"], capsys)

    assert result.status == 0, result.stderr
    assert OVERRIDE in result.stderr


def test_whatif_notes_override(static_path, capsys):
    argv = ["whatif", static_path, "--hw", "pixel1-cpu", "--no-fusion", "--input-shape", "x=1x3x16x16"]

    result = run_main(argv, capsys)

    assert result.status == 0, result.stderr
    assert OVERRIDE in result.stderr


def test_diff_notes_override_by_option(static_path, symbolic_path, capsys):
    argv = ["diff", symbolic_path, static_path, "--hw", "pixel1-cpu", "--input-shape-b", "x=1x3x16x16"]

    result = run_main(argv, capsys)

    assert result.status == 0, result.stderr
    assert f"--input-shape-b {OVERRIDE}" in result.stderr
    assert "set it with --input-shape-a x=DIMS" in result.stderr
    assert "--input-shape " not in result.stderr


@pytest.mark.parametrize("command", ["diff", "explain"])
@pytest.mark.parametrize(
    "option, value, named",
    [
        ("--input-shape-a", "x=1x3xx", "--input-shape-a 'x=1x3xx' is not a shape"),
        ("--input-shape-b", "x=1x3xx", "--input-shape-b 'x=1x3xx' is not a shape"),
        ("--input-shape-b", "y=1x3x8x8", "--input-shape-b names 'y', which is not an input of the model"),
        ("--input-shape-a", "x=1x3x8", "--input-shape-a gives input 'x' 3 dims"),
    ],
)
def test_diff_errors_name_option_used(static_path, capsys, command, option, value, named):
    result = run_main([command, static_path, static_path, "--hw", "pixel1-cpu", option, value], capsys)

    assert result.status == 2
    assert len(result.stderr_lines) == 1, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_shapeless_input_names_option(save_model, static_path, capsys):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "shapeless",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
    shapeless_path = save_model(model, "shapeless.onnx")

    result = run_main(["diff", static_path, shapeless_path, "--hw", "pixel1-cpu"], capsys)

    assert result.status == 2
    assert "give one with --input-shape-b x=DIMS" in result.stderr
