"""``graphcost analyze`` on good input: every output format, grouping, --top, -o, --input-shape."""

from __future__ import annotations

import csv
import dataclasses
import functools
import importlib.metadata
import io
import json
import re

import onnx
import pytest

import graphcost
from cli_helpers import (
    CONV_MACS_PER_IMAGE,
    conv_model,
    matmul_model,
    run_main,
    run_subprocess,
    shared_batch_model,
)
from conftest import TORCHVISION_MODELS

MODEL = TORCHVISION_MODELS["mobilenet_v2"]


@functools.cache
def api_report(name: str) -> graphcost.results.AnalysisReport:
    """Return graphcost.analyze of a bundled model, computed once per test session."""
    return graphcost.analyze(TORCHVISION_MODELS[name])


def millions(value: int) -> str:
    """Format a count as the table's "(M)" columns do."""
    return f"{value / 1e6:,.3f}"


def table_lines(stdout: str) -> list[str]:
    """Return the header, dashes and row lines of the plain-text table, which ends at the first blank line."""
    return stdout.split("\n\n", 1)[0].splitlines()


def markdown_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def analyze_json(argv: list, capsys) -> dict:
    result = run_main(["analyze", *argv, "--format", "json"], capsys)
    assert result.status == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "header", ["MACs (M)", "MACs share (%)", "elem ops (M)", "read (kB)", "weights (kB)", "write (kB)"]
)
def test_table_header_has_unit(capsys, header):
    result = run_main(["analyze", MODEL], capsys)

    assert result.status == 0
    assert header in table_lines(result.stdout)[0]


def test_table_totals_row(capsys):
    totals = api_report("mobilenet_v2").totals
    result = run_main(["analyze", MODEL], capsys)
    total_rows = [line for line in table_lines(result.stdout) if line.split()[:1] == ["total"]]

    assert result.status == 0
    assert len(total_rows) == 1
    assert millions(totals.macs) in total_rows[0].split()
    assert "100.0" in total_rows[0].split(), "MACs share of the totals row"
    assert f"{totals.node_count} nodes" in total_rows[0]


def test_table_summary_uncosted_none(capsys):
    result = run_main(["analyze", MODEL], capsys)

    assert result.status == 0
    assert "uncosted: none" in result.stdout.splitlines()
    assert result.stderr == ""


@pytest.mark.parametrize("name", sorted(TORCHVISION_MODELS))
def test_json_totals_match_api(capsys, name):
    totals = api_report(name).totals
    expected = dataclasses.asdict(totals) | {"bytes_moved": totals.bytes_moved}

    data = analyze_json([TORCHVISION_MODELS[name]], capsys)

    assert data["totals"] == expected


def test_json_states_convention(capsys):
    data = analyze_json([MODEL], capsys)

    assert data["convention"] == graphcost.results.COUNTING_CONVENTION
    assert "multiply-accumulates" in data["convention"]


@pytest.mark.parametrize("name", sorted(TORCHVISION_MODELS))
def test_csv_row_per_node(capsys, name):
    path = TORCHVISION_MODELS[name]
    node_count = len(onnx.load(path, load_external_data=False).graph.node)

    result = run_main(["analyze", path, "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))

    assert result.status == 0
    assert len(rows) == node_count
    assert len({row["key"] for row in rows}) == node_count
    assert sum(int(row["macs"]) for row in rows) == api_report(name).totals.macs


def test_markdown_github_table(capsys):
    report = api_report("mobilenet_v2")
    result = run_main(["analyze", MODEL, "--format", "markdown"], capsys)
    lines = [line for line in result.stdout.splitlines() if line.startswith("|")]
    header, separator, rows = lines[0], lines[1], lines[2:]

    assert result.status == 0
    assert "MACs (M)" in markdown_cells(header)
    assert re.fullmatch(r"\|(:?-+:?\|)+", separator), separator
    assert len(rows) == len(report.rows) + 1, "one row per node plus the totals row"
    assert {line.count("|") for line in lines} == {header.count("|")}
    assert markdown_cells(rows[-1])[1] == "total"
    assert millions(report.totals.macs) in markdown_cells(rows[-1])


def test_group_by_op_type_sums(capsys):
    totals = api_report("mobilenet_v2").totals
    result = run_main(["analyze", MODEL, "--group-by", "op-type", "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))

    assert result.status == 0
    assert len({row["op_type"] for row in rows}) == len(rows)
    for field in ("node_count", "macs", "elementwise_ops", "param_count", "read_bytes", "weight_bytes",
                  "write_bytes", "bytes_moved"):
        column_sum = sum(int(row[field]) for row in rows)
        assert column_sum == getattr(totals, field), f"{field}: rows sum to {column_sum}"


def test_top_three_rows(capsys):
    report = api_report("mobilenet_v2")
    # --help promises "the N rows with the most MACs (then bytes)". sorted() keeps ties in node order.
    largest = sorted(report.rows, key=lambda row: (-row.macs, -row.bytes_moved))[:3]

    result = run_main(["analyze", MODEL, "--top", "3"], capsys)
    rows = table_lines(result.stdout)[2:]

    assert result.status == 0
    assert len(rows) == 4, "3 node rows and the totals row"
    assert [row.split()[1] for row in rows[:3]] == [row.key for row in largest]
    assert rows[3].split()[0] == "total"
    assert millions(report.totals.macs) in rows[3].split(), "totals cover the whole model"
    assert f"rows: top 3 of {len(report.rows)} shown; totals cover all" in result.stdout


@pytest.mark.parametrize("output_format", ["table", "json", "csv", "markdown"])
def test_output_file_replaces_stdout(tmp_path, capsys, output_format):
    path = tmp_path / f"report.{output_format}"
    expected = run_main(["analyze", MODEL, "--format", output_format], capsys).stdout

    result = run_main(["analyze", MODEL, "--format", output_format, "-o", path], capsys)

    assert result.status == 0
    assert result.stdout == ""
    assert path.read_text(encoding="utf-8") == expected


def test_version_flag(capsys):
    result = run_main(["--version"], capsys)

    assert result.status == 0
    assert result.stdout.strip() == f"graphcost {graphcost.__version__}"
    assert graphcost.__version__ == importlib.metadata.version("graphcost")


def test_version_subprocess(tmp_path):
    result = run_subprocess(["--version"], cwd=tmp_path)

    assert result.status == 0
    assert result.stdout.strip() == f"graphcost {graphcost.__version__}"


def test_json_subprocess(tmp_path):
    result = run_subprocess(["analyze", MODEL, "--format", "json"], cwd=tmp_path)

    assert result.status == 0
    assert result.stderr == ""
    assert json.loads(result.stdout)["totals"]["macs"] == api_report("mobilenet_v2").totals.macs


@pytest.mark.parametrize("shape", ["x=2x3x8x8", "2x3x8x8"], ids=["named", "bare"])
def test_input_shape_one_input(save_model, capsys, shape):
    data = analyze_json([save_model(conv_model()), "--input-shape", shape], capsys)

    assert data["model"]["inputs"][0]["shape"] == [2, 3, 8, 8]
    assert data["totals"]["macs"] == 2 * CONV_MACS_PER_IMAGE
    assert data["notes"] == []


def test_input_shape_repeated(save_model, capsys):
    argv = [save_model(matmul_model()), "--input-shape", "a=5x3", "--input-shape", "b=3x7"]
    data = analyze_json(argv, capsys)

    assert [tensor["shape"] for tensor in data["model"]["inputs"]] == [[5, 3], [3, 7]]
    assert data["model"]["outputs"][0]["shape"] == [5, 7]
    assert data["totals"]["macs"] == 5 * 3 * 7


@pytest.mark.parametrize("build", [conv_model, shared_batch_model], ids=["one-input", "two-inputs"])
def test_symbolic_dim_noted_once(save_model, capsys, build):
    result = run_main(["analyze", save_model(build())], capsys)

    assert result.status == 0
    assert result.stdout.count("'batch'") == 1
    assert len(result.stderr_lines) == 1
    assert "'batch'" in result.stderr
    assert "taken as 1" in result.stderr


def test_symbolic_dim_taken_as_one(save_model, capsys):
    data = analyze_json([save_model(conv_model())], capsys)

    assert data["model"]["inputs"][0]["shape"] == [1, 3, 8, 8]
    assert data["totals"]["macs"] == CONV_MACS_PER_IMAGE
    assert len(data["notes"]) == 1
    assert "'batch'" in data["notes"][0]


def test_quiet_hides_symbolic_warning(save_model, capsys):
    result = run_main(["analyze", save_model(conv_model()), "-q"], capsys)

    assert result.status == 0
    assert result.stderr == ""
    assert result.stdout.count("'batch'") == 1


def test_batch_four_scales_conv_macs(save_model, capsys):
    path = save_model(conv_model())
    default = analyze_json([path], capsys)["totals"]
    batch_four = analyze_json([path, "--input-shape", "x=4x3x8x8"], capsys)["totals"]

    assert batch_four["macs"] == 4 * default["macs"]
    assert batch_four["macs"] == 4 * CONV_MACS_PER_IMAGE
    assert batch_four["param_count"] == default["param_count"]


def test_batch_four_scales_real_model(capsys):
    batch_four = analyze_json([MODEL, "--input-shape", "input=4x3x224x224"], capsys)["totals"]

    assert batch_four["macs"] == 4 * api_report("mobilenet_v2").totals.macs
    assert batch_four["param_count"] == api_report("mobilenet_v2").totals.param_count
