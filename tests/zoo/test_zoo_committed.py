"""The ONNX files committed under models/: up to date, valid, runnable and small."""

from __future__ import annotations

import zlib

import numpy as np
import onnx
import onnxruntime
import pytest

from graphcost.zoo import CATALOG, build_model, serialize_model
from zoo_helpers import CLASSIFIERS, DETECTORS, MODELS, expected_output_shapes

NAMES = list(CATALOG)
# Zero weights compress to almost nothing: each file is 10-30 kB compressed.
MAX_COMPRESSED_BYTES = 256 * 1024


def test_catalog_names_are_known():
    assert sorted(NAMES) == sorted(CLASSIFIERS + DETECTORS)


def test_models_dir_holds_catalog_only():
    committed = sorted(path.stem for path in MODELS.glob("*.onnx"))
    assert committed == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_model_matches_generator(name):
    committed = (MODELS / f"{name}.onnx").read_bytes()
    assert committed == serialize_model(build_model(name)), "regenerate with: graphcost zoo build-all -o models/"


@pytest.mark.parametrize("name", NAMES)
def test_committed_model_passes_checker(name):
    onnx.checker.check_model(str(MODELS / f"{name}.onnx"), full_check=True)


@pytest.mark.parametrize("name", NAMES)
def test_committed_model_runs_on_zeros(name):
    session = onnxruntime.InferenceSession(str(MODELS / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    (graph_input,) = session.get_inputs()
    side = 224 if name in CLASSIFIERS else 320
    assert graph_input.shape == [1, 3, side, side]

    outputs = session.run(None, {graph_input.name: np.zeros(graph_input.shape, dtype=np.float32)})
    shapes = {meta.name: list(value.shape) for meta, value in zip(session.get_outputs(), outputs)}

    assert shapes == expected_output_shapes(name)
    for value in outputs:
        assert not np.any(value), "zero weights and a zero image should give zero outputs"


@pytest.mark.parametrize("name", NAMES)
def test_committed_model_compresses_small(name):
    data = (MODELS / f"{name}.onnx").read_bytes()
    assert len(zlib.compress(data, 6)) < MAX_COMPRESSED_BYTES


@pytest.mark.parametrize("name", NAMES)
def test_committed_model_weights_are_zero(name):
    model = onnx.load(str(MODELS / f"{name}.onnx"))
    for tensor in model.graph.initializer:
        values = onnx.numpy_helper.to_array(tensor)
        if tensor.name.startswith("constants/") or tensor.name.endswith(".var"):
            continue
        assert not np.any(values), tensor.name
