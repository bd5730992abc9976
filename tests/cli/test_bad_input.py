"""``graphcost analyze`` on bad input: one line on stderr naming the fault, exit status 2, no traceback."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from cli_helpers import (
    CliResult,
    conv_model,
    matmul_model,
    relu_model,
    run_main,
    run_subprocess,
)
from conftest import TORCHVISION_MODELS

MODEL = TORCHVISION_MODELS["mobilenet_v2"]
HUGE_DIM = 10**13


def check_rejected(result: CliResult, named: list[str]) -> None:
    """Assert exit status 2 and a single stderr line, without traceback, that contains every ``named`` text."""
    assert result.status == 2, f"exit status {result.status}, stderr: {result.stderr!r}"
    assert "Traceback" not in result.stderr
    for text in named:
        assert text in result.stderr, f"{text!r} is not named in {result.stderr!r}"
    assert len(result.stderr_lines) == 1, f"expected one line on stderr, got {result.stderr!r}"
    assert result.stdout == ""


def save(model: onnx.ModelProto, folder: Path, name: str = "model.onnx") -> Path:
    path = folder / name
    onnx.save(model, path)
    return path


@functools.cache
def real_model_bytes() -> bytes:
    return MODEL.read_bytes()


def real_model_proto() -> onnx.ModelProto:
    """Return a fresh copy of mobilenet_v2, which each test may cut."""
    return onnx.load_from_string(real_model_bytes())


def cycle_model() -> onnx.ModelProto:
    """Return a model whose two nodes read each other's outputs: sum_node -> relu_node -> sum_node."""
    nodes = [
        helper.make_node("Add", ["x", "activated"], ["summed"], name="sum_node"),
        helper.make_node("Relu", ["summed"], ["activated"], name="relu_node"),
    ]
    graph = helper.make_graph(
        nodes,
        "cycle",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("activated", TensorProto.FLOAT, [1, 4])],
    )
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])


def undeclared_domain_model() -> onnx.ModelProto:
    """Return a model with an op of domain com.example, which opset_import does not list."""
    graph = helper.make_graph(
        [helper.make_node("Scale", ["x"], ["y"], name="custom_op", domain="com.example")],
        "custom",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])


# Each case returns (argv, texts the error line must contain) for a run inside tmp_path.
def missing_file(tmp_path):
    path = tmp_path / "missing.onnx"
    return ["analyze", path], [str(path)]


def directory(tmp_path):
    return ["analyze", tmp_path], [str(tmp_path)]


def text_file(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("input=1x3x224x224\nthis is not a protobuf\n", encoding="utf-8")
    return ["analyze", path], [str(path)]


def truncated_half(tmp_path):
    path = tmp_path / "half.onnx"
    path.write_bytes(real_model_bytes()[: len(real_model_bytes()) // 2])
    return ["analyze", path], [str(path)]


def cycle(tmp_path):
    return ["analyze", save(cycle_model(), tmp_path)], ["cycle", "sum_node", "relu_node"]


def undeclared_domain(tmp_path):
    return ["analyze", save(undeclared_domain_model(), tmp_path)], ["'custom_op'", "'com.example'"]


def model_negative_dim(tmp_path):
    return ["analyze", save(relu_model([1, -1, 4]), tmp_path)], ["'x'", "-1"]


def model_huge_dim(tmp_path):
    return ["analyze", save(relu_model([HUGE_DIM, 4]), tmp_path)], ["'x'", str(HUGE_DIM)]


def model_input_without_shape(tmp_path):
    return ["analyze", save(relu_model(None), tmp_path)], ["'x'", "--input-shape"]


def shape_negative_dim(tmp_path):
    return ["analyze", MODEL, "--input-shape", "input=1x3x-224x224"], ["input=1x3x-224x224", "negative"]


def shape_huge_dim(tmp_path):
    return ["analyze", MODEL, "--input-shape", f"input={HUGE_DIM}x3x224x224"], ["'input'", str(HUGE_DIM)]


def shape_huge_dim_small_model(tmp_path):
    path = save(relu_model([1, 4]), tmp_path)
    return ["analyze", path, "--input-shape", f"x={HUGE_DIM}x4"], ["'x'", str(HUGE_DIM)]


def shape_names_no_input(tmp_path):
    return ["analyze", MODEL, "--input-shape", "pixels=1x3x224x224"], ["'pixels'", "input"]


def shape_letter_dim(tmp_path):
    return ["analyze", MODEL, "--input-shape", "1x3xA"], ["'1x3xA'"]


def shape_empty_name(tmp_path):
    return ["analyze", MODEL, "--input-shape", "=1x3"], ["'=1x3'"]


def shape_negative_first_dim(tmp_path):
    return ["analyze", MODEL, "--input-shape", "x=-1x3"], ["'x=-1x3'"]


def shape_bare_two_inputs(tmp_path):
    return ["analyze", save(matmul_model(), tmp_path), "--input-shape", "5x3"], ["(a, b)", "NAME=DIMS"]


def shape_wrong_rank(tmp_path):
    return ["analyze", MODEL, "--input-shape", "input=1x3x224"], ["'input'", "3 dims", "declares 4"]


def top_zero(tmp_path):
    return ["analyze", MODEL, "--top", "0"], ["--top", "got 0"]


def format_bogus(tmp_path):
    return ["analyze", MODEL, "--format", "bogus"], ["--format", "'bogus'"]


def output_missing_folder(tmp_path):
    path = tmp_path / "missing" / "report.txt"
    return ["analyze", MODEL, "-o", path], [str(path)]


BAD_INPUTS = {
    "missing-file": missing_file,
    "directory": directory,
    "text-file": text_file,
    "truncated-half": truncated_half,
    "cycle": cycle,
    "undeclared-domain": undeclared_domain,
    "model-negative-dim": model_negative_dim,
    "model-huge-dim": model_huge_dim,
    "model-input-without-shape": model_input_without_shape,
    "shape-negative-dim": shape_negative_dim,
    "shape-huge-dim": shape_huge_dim,
    "shape-huge-dim-small-model": shape_huge_dim_small_model,
    "shape-names-no-input": shape_names_no_input,
    "shape-letter-dim": shape_letter_dim,
    "shape-empty-name": shape_empty_name,
    "shape-negative-first-dim": shape_negative_first_dim,
    "shape-bare-two-inputs": shape_bare_two_inputs,
    "shape-wrong-rank": shape_wrong_rank,
    "top-zero": top_zero,
    "format-bogus": format_bogus,
    "output-missing-folder": output_missing_folder,
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_rejected(tmp_path, capsys, case):
    argv, named = case(tmp_path)

    check_rejected(run_main(argv, capsys), named)


@pytest.mark.parametrize("case_id", ["missing-file", "truncated-half", "cycle", "shape-letter-dim", "top-zero"])
def test_bad_input_subprocess(tmp_path, case_id):
    argv, named = BAD_INPUTS[case_id](tmp_path)

    check_rejected(run_subprocess(argv, cwd=tmp_path), named)


# Where the copy of mobilenet_v2 ends: a byte offset, a negative offset from
# the end, or a fraction of the file size. In this file the last 4 bytes are
# opset_import, so cutting exactly them leaves a model that protobuf parses.
CUT_POINTS = {
    "1-byte": 1,
    "16-bytes": 16,
    "4-kB": 4096,
    "quarter": 0.25,
    "three-quarters": 0.75,
    "all-but-64-bytes": -64,
    "all-but-4-bytes": -4,
    "all-but-1-byte": -1,
}


def cut_offset(point: int | float, size: int) -> int:
    if isinstance(point, float):
        return int(size * point)
    return point if point >= 0 else size + point


@pytest.mark.parametrize("point", CUT_POINTS.values(), ids=CUT_POINTS.keys())
def test_truncated_file_rejected(tmp_path, capsys, point):
    data = real_model_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: cut_offset(point, len(data))])

    check_rejected(run_main(["analyze", path], capsys), [str(path)])


def slice_end(nodes_to_keep: int | float, node_count: int) -> int:
    """Return the slice end for ``nodes_to_keep``: a count, a fraction of ``node_count``, or a negative count from the end."""
    if isinstance(nodes_to_keep, float):
        return int(node_count * nodes_to_keep)
    return nodes_to_keep


# How many of mobilenet_v2's 209 nodes survive a cut in the middle of the graph.
GRAPH_CUTS = {"no-nodes": 0, "one-node": 1, "half-the-nodes": 0.5, "all-but-last-node": -1}


@pytest.mark.parametrize("nodes_to_keep", GRAPH_CUTS.values(), ids=GRAPH_CUTS.keys())
def test_graph_bytes_cut_rejected(tmp_path, capsys, nodes_to_keep):
    # A byte cut after node k keeps nodes[:k] and loses every later graph field
    # (initializers, inputs, outputs). The graph's length prefix is fixed here
    # so that protobuf parses what is left.
    model = real_model_proto()
    cut_graph = onnx.GraphProto()
    cut_graph.node.extend(model.graph.node[: slice_end(nodes_to_keep, len(model.graph.node))])
    model.graph.CopyFrom(cut_graph)
    path = save(model, tmp_path)

    check_rejected(run_main(["analyze", path], capsys), [str(path)])


@pytest.mark.parametrize("nodes_to_keep", GRAPH_CUTS.values(), ids=GRAPH_CUTS.keys())
def test_graph_nodes_cut_rejected(tmp_path, capsys, nodes_to_keep):
    # Only the node list is cut, and inputs, outputs and initializers stay. No
    # node is left to produce the graph output 'logits', so the model is broken.
    model = real_model_proto()
    del model.graph.node[slice_end(nodes_to_keep, len(model.graph.node)):]
    path = save(model, tmp_path)

    check_rejected(run_main(["analyze", path], capsys), [str(path), "'logits'"])


def test_initializers_cut_rejected(tmp_path, capsys):
    model = real_model_proto()
    half = len(model.graph.initializer) // 2
    dropped = {initializer.name for initializer in model.graph.initializer[half:]}
    del model.graph.initializer[half:]
    path = save(model, tmp_path)

    result = run_main(["analyze", path], capsys)

    assert any(f"'{name}'" in result.stderr for name in dropped), "the error names a missing initializer"
    check_rejected(result, [str(path)])


def test_debug_traceback_in_process(tmp_path, capsys):
    result = run_main(["analyze", tmp_path / "missing.onnx", "--debug"], capsys)

    assert result.status == 2
    assert "Traceback" in result.stderr
    assert result.stderr_lines[-1].startswith("graphcost: error: ")
    assert "missing.onnx" in result.stderr_lines[-1]


def test_debug_traceback_subprocess(tmp_path):
    not_onnx = tmp_path / "not_onnx.onnx"
    not_onnx.write_text("not a protobuf\n")

    result = run_subprocess(["analyze", not_onnx, "--debug"], cwd=tmp_path)

    assert result.status == 2
    assert "Traceback" in result.stderr
    assert "ModelLoadError" in result.stderr
    assert result.stdout == ""


def test_checker_failure_warns(tmp_path, capsys):
    # onnx.checker rejects the unknown attribute, but the graph is readable and Relu is costed.
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu", unknown_attribute=3)],
        "checker",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    model = helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
    path = save(model, tmp_path)

    result = run_main(["analyze", path, "--format", "json"], capsys)
    data = json.loads(result.stdout)

    assert result.status == 0
    assert len(result.stderr_lines) == 1
    assert "onnx.checker" in result.stderr
    assert "unknown_attribute" in result.stderr
    assert "unknown_attribute" in data["checker_message"]
    assert data["totals"]["elementwise_ops"] == 4


@pytest.mark.parametrize(
    "build, extra_args",
    [
        (None, []),
        (None, ["--input-shape", "pixels=1x3x224x224"]),
        (conv_model, ["--input-shape", "x=4x3x8x8"]),
        (conv_model, []),
    ],
    ids=["real-model", "real-model-rejected-shape", "symbolic-model-shape-set", "symbolic-model-default"],
)
def test_model_file_unmodified(tmp_path, capsys, build, extra_args):
    path = MODEL if build is None else save(build(), tmp_path)
    before_bytes = path.read_bytes()
    before_mtime = os.stat(path).st_mtime_ns

    run_main(["analyze", path, *extra_args], capsys)

    assert path.read_bytes() == before_bytes
    assert os.stat(path).st_mtime_ns == before_mtime
