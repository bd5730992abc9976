"""graphcost calibrate --from-trace: the summary line it prints."""

from __future__ import annotations

import json

import pytest

import graphcost
from conftest import REPO, run_cli

MODEL = REPO / "models" / "mobilenet_v3_small.onnx"


@pytest.mark.parametrize("unmatched, expected", [(1, "in 1 trace node matched none"), (2, "in 2 trace nodes matched none")])
def test_from_trace_counts_unmatched_nodes(tmp_path, capsys, unmatched, expected):
    report = graphcost.analyze(MODEL)
    events = [
        {"cat": "Node", "name": f"{kernel.nodes[0]}_kernel_time", "dur": 100, "args": {"op_name": "X"}}
        for kernel in report.kernels.kernels
    ]
    events += [
        {"cat": "Node", "name": f"not_in_model_{index}_kernel_time", "dur": 1, "args": {"op_name": "X"}}
        for index in range(unmatched)
    ]
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps(events))

    result = run_cli(["calibrate", "--from-trace", trace, "--model", MODEL, "-o", tmp_path / "fitted.toml"], capsys)

    assert result.status == 0, result.stderr
    assert expected in result.stdout
