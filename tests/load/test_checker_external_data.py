"""onnx.checker finds external data beside the model file, whatever the working directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import graphcost
from conftest import run_cli


def save_external(folder: Path, rows: int = 64) -> Path:
    """Save a MatMul model to ``folder``/ext.onnx with its weight in ``folder``/ext.data; return the model path."""
    weight = numpy_helper.from_array(np.zeros((rows, 256), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, rows])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 256])],
        [weight],
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ext.onnx"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location="ext.data", size_threshold=0)
    return path


@pytest.mark.parametrize(
    ("working_directory", "model_argument"),
    [("", "m/ext.onnx"), ("m", "ext.onnx"), ("other", "../m/ext.onnx")],
    ids=["parent", "model folder", "sibling"],
)
def test_checker_passes_from_any_directory(working_directory, model_argument, tmp_path, monkeypatch):
    save_external(tmp_path / "m")
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / working_directory)

    model = graphcost.load(model_argument)

    assert model.checker_message is None


def test_analyze_from_parent_without_warning(tmp_path, monkeypatch, capsys):
    save_external(tmp_path / "m")
    monkeypatch.chdir(tmp_path)

    result = run_cli(["analyze", "m/ext.onnx"], capsys)

    assert result.status == 0, result.stderr
    assert "onnx.checker" not in result.stderr


def test_checker_flags_missing_data_file(tmp_path, monkeypatch):
    path = save_external(tmp_path / "m")
    (tmp_path / "m" / "ext.data").unlink()
    monkeypatch.chdir(tmp_path)

    model = graphcost.load("m/ext.onnx")

    assert model.checker_message is not None
    assert "ext.data" in model.checker_message


def bytes_read_by_process() -> int:
    """Return the bytes this process has read through read system calls (Linux /proc/self/io rchar)."""
    with open("/proc/self/io", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise AssertionError("/proc/self/io has no rchar line")


def test_checker_does_not_read_data(tmp_path):
    # A 16 MiB weight: loading and checking the model must read far less.
    path = save_external(tmp_path / "m", rows=16384)
    assert (tmp_path / "m" / "ext.data").stat().st_size == 16 * 2**20

    before = bytes_read_by_process()
    model = graphcost.load(path)
    read = bytes_read_by_process() - before

    assert model.checker_message is None
    assert read < 2**20
