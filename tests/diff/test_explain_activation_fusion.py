"""explain's h-swish sentence names missing fusion only where the device's fusion rules leave h-swish out of the conv."""

from __future__ import annotations

import functools

import pytest

from graphcost.diff.compare import diff_models
from graphcost.diff.explain import explain
from graphcost.load import Model, load
from graphcost.zoo import build_model

MISSING_FUSION = "of their cost is fusion this device does not do for them"


@functools.lru_cache(maxsize=None)
def zoo(name: str, activation: str = "as-designed") -> Model:
    model = load(build_model(name, activation=activation))
    model.source = f"{name}_relu.onnx" if activation == "relu" else f"{name}.onnx"
    return model


def _activation_sentence(a: Model, b: Model, hw: str) -> str:
    paragraphs = explain(diff_models(a, b, hw)).split("\n\n")
    return next(paragraph for paragraph in paragraphs if paragraph.startswith("h-swish and h-sigmoid"))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("ssdlite_mobilenet_v3_large", "as-designed"), ("ssdlite_mobilenet_v3_large", "relu")),
        (("ssdlite_mobilenet_v2", "as-designed"), ("ssdlite_mobilenet_v3_large", "as-designed")),
    ],
)
def test_fused_h_swish_is_arithmetic(a, b):
    # pixel4-gpu applies h-swish in the conv's epilogue, so what h-swish
    # costs there is its arithmetic inside compute-bound fused convs.
    sentence = _activation_sentence(zoo(*a), zoo(*b), "pixel4-gpu")
    assert MISSING_FUSION not in sentence
    assert "fusion saves" not in sentence
    assert "all 20 of them" in sentence
    assert "in the epilogue of the conv before them" in sentence
    assert "extra arithmetic" in sentence


def test_unfused_h_swish_is_missing_fusion():
    # pixel1-cpu runs h-swish as a kernel of its own but ReLU in the conv.
    sentence = _activation_sentence(zoo("ssdlite_mobilenet_v2"), zoo("ssdlite_mobilenet_v3_large_reduced"), "pixel1-cpu")
    assert "runs 20 of them as kernels of their own" in sentence
    assert MISSING_FUSION in sentence


def test_missing_fusion_with_h_swish_in_a():
    # The model with h-swish is A, so the component is negative; the
    # missing fusion is still a cost of h-swish, not a saving.
    sentence = _activation_sentence(
        zoo("ssdlite_mobilenet_v3_large"), zoo("ssdlite_mobilenet_v3_large", "relu"), "pixel1-cpu"
    )
    assert "against ReLU here" in sentence
    assert "contribute -" in sentence
    assert MISSING_FUSION in sentence
    assert "fusion saves" not in sentence
