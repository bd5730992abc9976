"""``graphcost validate`` with ``--input-shape`` on a model whose batch dim is symbolic."""

from __future__ import annotations

import json

import pytest

from cli_helpers import conv_model, conv_model_text, run_main
from conftest import parse_model
from graphcost.hardware import load_profile

PROFILE = "pixel1-cpu"
# Large enough that the predicted latency differs from batch 1's, which the per-kernel overhead dominates.
BATCH = 256


@pytest.fixture
def model_path(save_model):
    return save_model(conv_model(), "conv.onnx")


def predicted_ms(stdout: str, model_name: str) -> str:
    """Return the predicted latency cell of ``model_name``'s row in validate's table."""
    (row,) = [line for line in stdout.splitlines() if line.startswith(model_name + " ")]
    return row.split()[1]


def analyzed_ms(model_path, capsys, input_shapes: list[str]) -> str:
    options = [part for shape in input_shapes for part in ("--input-shape", shape)]
    result = run_main(["analyze", model_path, "--hw", PROFILE, "--format", "json", *options], capsys)
    assert result.status == 0, result.stderr
    return f"{json.loads(result.stdout)['latency']['total_s'] * 1e3:.3f}"


def test_validate_input_shape_sets_prediction(model_path, capsys):
    expected = analyzed_ms(model_path, capsys, [f"x={BATCH}x3x8x8"])
    batch_one = analyzed_ms(model_path, capsys, [])

    result = run_main(["validate", model_path, "--hw", PROFILE, "--no-per-op", "--input-shape", f"x={BATCH}x3x8x8"], capsys)

    assert result.status == 0, result.stderr
    assert expected != batch_one
    assert predicted_ms(result.stdout, "conv.onnx") == expected
    assert "symbolic dim 'batch'" not in result.stderr


def test_validate_without_input_shape_notes_symbolic_dim(model_path, capsys):
    result = run_main(["validate", model_path, "--hw", PROFILE, "--no-per-op"], capsys)

    assert result.status == 0, result.stderr
    assert predicted_ms(result.stdout, "conv.onnx") == analyzed_ms(model_path, capsys, [])
    assert "symbolic dim 'batch' of input 'x' (axis 0) is taken as 1; set it with --input-shape x=DIMS" in result.stderr


def test_validate_measures_at_input_shape(model_path, monkeypatch):
    """onnxruntime runs at the --input-shape dims, with the graph input declaring them."""
    import graphcost.calibrate.validate as validate
    from graphcost.calibrate.measure import Measurement

    seen = {}

    def fake_measure(proto, **options):
        seen["declared"] = [dim.dim_value for dim in proto.graph.input[0].type.tensor_type.shape.dim]
        seen["fed"] = options["input_shapes"]
        return Measurement(1e-3, 1e-3, 1)

    monkeypatch.setattr(validate, "measure", fake_measure)
    validate.validate_model(model_path, load_profile(PROFILE), per_op=False, input_shapes={"x": (2, 3, 8, 8)})

    assert seen["declared"] == [2, 3, 8, 8]
    assert seen["fed"] == {"x": (2, 3, 8, 8)}


def test_validate_static_dim_override_runs(save_model, capsys):
    """A declared number changed by --input-shape still runs in onnxruntime, per op as well."""
    path = save_model(parse_model(conv_model_text().replace("batch", "1")), "static.onnx")

    result = run_main(["validate", path, "--hw", PROFILE, "--input-shape", "x=3x3x8x8"], capsys)

    assert result.status == 0, result.stderr
    assert "--input-shape sets the predicted latency only" not in result.stderr


@pytest.mark.parametrize(
    "shape, named",
    [
        ("x=2x3xx", ["--input-shape 'x=2x3xx' is not a shape"]),
        ("y=2x3x8x8", ["--input-shape names 'y'", "its inputs are: x"]),
        ("x=2x3x8", ["gives input 'x' 3 dims", "give 4 dims"]),
    ],
)
def test_validate_bad_input_shape_one_line(model_path, capsys, shape, named):
    result = run_main(["validate", model_path, "--hw", PROFILE, "--input-shape", shape], capsys)

    assert result.status == 2
    assert len(result.stderr_lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in named:
        assert text in result.stderr
    assert result.stdout == ""
