"""Shared fixtures: paths of the bundled test models and a tiny-model builder."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent

TORCHVISION_MODELS = {
    "mobilenet_v2": DATA / "torchvision_mobilenet_v2_opset17.onnx",
    "mobilenet_v3_large": DATA / "torchvision_mobilenet_v3_large_opset17.onnx",
    "ssdlite320_mobilenet_v3_large": DATA / "torchvision_ssdlite320_mobilenet_v3_large_opset17.onnx",
}


def parse_model(text: str, opset: int = 17, ir_version: int = 8) -> onnx.ModelProto:
    """Parse a graph in ONNX text syntax into a model with the given opset."""
    header = f'<ir_version: {ir_version}, opset_import: ["" : {opset}]>\n'
    return onnx.parser.parse_model(header + text)


@pytest.fixture
def save_model(tmp_path):
    """Save a ModelProto into the test's temporary folder and return its path."""

    def save(model: onnx.ModelProto, name: str = "model.onnx") -> Path:
        path = tmp_path / name
        onnx.save(model, path)
        return path

    return save
