"""Shared paths, expected output shapes and graph queries for the zoo tests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"

# SSDLite at 320x320: feature maps 20, 10, 5, 3, 2, 1 with 3 anchors per
# location on the first and 6 on the others.
SSDLITE_320_ANCHORS = 20 * 20 * 3 + (10 * 10 + 5 * 5 + 3 * 3 + 2 * 2 + 1 * 1) * 6

CLASSIFIERS = ("mobilenet_v2", "mobilenet_v2_0.5", "mobilenet_v2_0.35", "mobilenet_v3_large", "mobilenet_v3_small")
DETECTORS = (
    "ssdlite_mobilenet_v2",
    "ssdlite_mobilenet_v2_0.5",
    "ssdlite_mobilenet_v2_0.35",
    "ssdlite_mobilenet_v3_large",
    "ssdlite_mobilenet_v3_large_reduced",
    "ssdlite_mobilenet_v3_small",
    "ssdlite_mobilenet_v3_small_reduced",
)


def expected_output_shapes(name: str) -> dict[str, list[int]]:
    if name in CLASSIFIERS:
        return {"logits": [1, 1000]}
    return {"class_logits": [1, SSDLITE_320_ANCHORS, 91], "box_encodings": [1, SSDLITE_320_ANCHORS, 4]}


def op_counts(model: onnx.ModelProto) -> Counter:
    return Counter(node.op_type for node in model.graph.node)


def initializer_shapes(model: onnx.ModelProto) -> dict[str, list[int]]:
    return {tensor.name: list(tensor.dims) for tensor in model.graph.initializer}


def conv_and_gemm_param_count(model: onnx.ModelProto) -> int:
    """Count the elements of the weights and biases of Conv and Gemm nodes."""
    shapes = initializer_shapes(model)
    return sum(
        int(np.prod(shapes[name]))
        for node in model.graph.node
        if node.op_type in ("Conv", "Gemm")
        for name in node.input[1:]
    )


def constant_value(model: onnx.ModelProto, name: str) -> np.ndarray | None:
    """Return the value of the initializer ``name``, or None when ``name`` is not an initializer."""
    for tensor in model.graph.initializer:
        if tensor.name == name:
            return onnx.numpy_helper.to_array(tensor)
    return None
