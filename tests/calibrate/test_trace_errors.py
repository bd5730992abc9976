"""``graphcost calibrate --from-trace BAD``: exit status 2 and one stderr line naming the trace file."""

from __future__ import annotations

import json

import onnx
import pytest

from conftest import parse_model, run_cli
from graphcost.calibrate.traces import TRACE_KINDS

MODEL = "models/mobilenet_v3_small.onnx"
NODE_EVENT = {"cat": "Node", "name": "conv_kernel_time", "dur": 12, "args": {"op_name": "Conv"}}
CSV_HEADER = "node type, first, avg_ms, %, cdf%, mem KB, times called, Name\n"

# (case id, trace file contents, text the error must contain besides the file and TRACE_KINDS)
BAD_TRACES = [
    ("not UTF-8", b"\x9a\x01\x02 profile", "not UTF-8 text"),
    ("NUL bytes", b"node type\x00avg_ms\n", "binary data"),
    ("empty", b"", "empty"),
    ("only whitespace", b"\n  \n", "empty"),
    ("truncated JSON", b'[{"cat": "Node", ', "invalid JSON"),
    ("JSON object without events", json.dumps({"a": 1}).encode(), "'traceEvents'"),
    ("JSON list of numbers", json.dumps([1, 2]).encode(), "event 0 is int"),
    ("JSON without node events", json.dumps([{"cat": "Session", "name": "model_run", "dur": 5}]).encode(), "no node event"),
    ("node duration not a number", json.dumps([dict(NODE_EVENT, dur="fast")]).encode(), "'fast'"),
    ("node duration negative", json.dumps([dict(NODE_EVENT, dur=-3)]).encode(), "-3"),
    ("node args not an object", json.dumps([dict(NODE_EVENT, args=[1])]).encode(), "'args'"),
    ("text without header", b"hello\nworld\n", "'node type'"),
    ("CSV without time column", b"node type, first, total\nCONV_2D, 1.0, 2.0\n", "'avg_ms'"),
    ("CSV header without rows", CSV_HEADER.encode(), "no op row"),
    ("CSV time not a number", (CSV_HEADER + "CONV_2D, 5.0, slow, 40%, 40%, 0, 30, conv\n").encode(), "'slow'"),
    ("CSV calls negative", (CSV_HEADER + "CONV_2D, 5.0, 4.0, 40%, 40%, 0, -1, conv\n").encode(), "'-1'"),
]


def check_trace_rejected(trace, named: str, tmp_path, capsys) -> None:
    result = run_cli(["calibrate", "--from-trace", trace, "--model", MODEL, "-o", tmp_path / "out.toml"], capsys)

    assert result.status == 2, f"exit status {result.status}, stderr: {result.stderr!r}"
    assert "Traceback" not in result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    assert str(trace) in result.stderr
    assert f"not {TRACE_KINDS}" in result.stderr
    assert named in result.stderr
    assert not (tmp_path / "out.toml").exists()


@pytest.mark.parametrize(("case", "contents", "named"), BAD_TRACES, ids=[case for case, _, _ in BAD_TRACES])
def test_bad_trace_rejected(case, contents, named, tmp_path, capsys):
    trace = tmp_path / "trace.bin"
    trace.write_bytes(contents)

    check_trace_rejected(trace, named, tmp_path, capsys)


def test_onnx_model_as_trace_rejected(tmp_path, capsys):
    trace = tmp_path / "model.onnx"
    onnx.save(parse_model("g (float[1,3,8,8] x) => (float y) <float[4,3,1,1] w> { y = Conv(x, w) }"), trace)

    check_trace_rejected(trace, "binary data", tmp_path, capsys)


def test_csv_empty_calls_cell_accepted(tmp_path, capsys):
    # match_tflite counts an empty "times called" cell as one call.
    trace = tmp_path / "ops.csv"
    trace.write_text(CSV_HEADER + "CONV_2D, 5.0, 4.0, 40%, 40%, 0, , conv\n")
    result = run_cli(["calibrate", "--from-trace", trace, "--model", MODEL, "-o", tmp_path / "out.toml", "-q"], capsys)

    assert result.status == 0, result.stderr
