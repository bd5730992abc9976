"""Run the graphcost CLI in-process or as a subprocess, and build the small models its tests use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from conftest import CliResult, parse_model
from conftest import run_cli as run_main

# Conv of the symbolic-batch model: 4 output channels * 8x8 positions * 3x3x3 taps per image.
CONV_MACS_PER_IMAGE = 4 * 8 * 8 * 3 * 3 * 3

# Seconds; generous because the subprocess imports onnx and analyzes a real model.
SUBPROCESS_TIMEOUT = 300


def run_subprocess(argv: list, cwd: Path) -> CliResult:
    """Run ``python -m graphcost ARGV`` as a user does and return its real exit status."""
    completed = subprocess.run(
        [sys.executable, "-m", "graphcost", *[str(arg) for arg in argv]],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


def conv_model_text() -> str:
    """Return ONNX text of a one-input conv model whose batch dim is the symbol 'batch'."""
    weights = ", ".join(["0.5"] * (4 * 3 * 3 * 3))
    return f"""
    conv (float[batch,3,8,8] x) => (float[batch,4,8,8] y) <float[4,3,3,3] w = {{{weights}}}> {{
      y = Conv<pads=[1,1,1,1]>(x, w)
    }}
    """


def conv_model() -> onnx.ModelProto:
    return parse_model(conv_model_text())


def matmul_model() -> onnx.ModelProto:
    """Return a two-input MatMul model, a [rows,3] times b [3,cols], with symbolic rows and cols."""
    return parse_model("matmul (float[rows,3] a, float[3,cols] b) => (float[rows,cols] c) { c = MatMul(a, b) }")


def shared_batch_model() -> onnx.ModelProto:
    """Return a two-input model whose inputs share the symbolic dim 'batch'."""
    return parse_model("add (float[batch,4] a, float[batch,4] b) => (float[batch,4] c) { c = Add(a, b) }")


def relu_model(input_dims: list[int] | None) -> onnx.ModelProto:
    """Return a one-node Relu model whose input x has ``input_dims`` (None: no shape at all)."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, input_dims)],
    )
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
