"""Shared fixtures: paths of the bundled test models and a tiny-model builder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest

from graphcost.cli import main

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent

TORCHVISION_MODELS = {
    "mobilenet_v2": DATA / "torchvision_mobilenet_v2_opset17.onnx",
    "mobilenet_v3_large": DATA / "torchvision_mobilenet_v3_large_opset17.onnx",
    "ssdlite320_mobilenet_v3_large": DATA / "torchvision_ssdlite320_mobilenet_v3_large_opset17.onnx",
}


def parse_model(text: str, opset: int = 17, ir_version: int = 8) -> onnx.ModelProto:
    """Parse a graph in ONNX text syntax into a model with the given opset.

    A tensor declared in the graph's ``<...>`` list without a value, such as
    ``<float[16,4,3,3] w>``, becomes a zero-filled initializer of that shape.
    """
    header = f'<ir_version: {ir_version}, opset_import: ["" : {opset}]>\n'
    model = onnx.parser.parse_model(header + text)
    graph = model.graph
    produced = {name for node in graph.node for name in node.output}
    defined = produced | {info.name for info in graph.input} | {init.name for init in graph.initializer}
    kept = []
    for info in graph.value_info:
        if info.name in defined:
            kept.append(info)
            continue
        tensor_type = info.type.tensor_type
        dims = [dim.dim_value for dim in tensor_type.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type)
        graph.initializer.append(onnx.numpy_helper.from_array(np.zeros(dims, dtype=dtype), info.name))
    del graph.value_info[:]
    graph.value_info.extend(kept)
    return model


@pytest.fixture
def save_model(tmp_path):
    """Save a ModelProto into the test's temporary folder and return its path."""

    def save(model: onnx.ModelProto, name: str = "model.onnx") -> Path:
        path = tmp_path / name
        onnx.save(model, path)
        return path

    return save


@dataclass
class CliResult:
    """Exit status and captured output of one CLI run."""

    status: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


def run_cli(argv: list, capsys) -> CliResult:
    """Call graphcost.cli.main in-process, taking the code of argparse's SystemExit as the exit status."""
    try:
        status = main([str(arg) for arg in argv])
    except SystemExit as exit_request:
        status = exit_request.code
    captured = capsys.readouterr()
    return CliResult(status, captured.out, captured.err)


@pytest.fixture(autouse=True)
def restore_graphcost_logger():
    """Undo main()'s logging set-up after each test, because its handler writes to that test's capsys stream."""
    logger = logging.getLogger("graphcost")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate
