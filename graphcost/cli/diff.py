"""``graphcost diff`` and ``graphcost explain``: why one network is faster than another on a device."""

from __future__ import annotations

import argparse
import sys

from graphcost.cli.common import add_common_options, reject_output_over_inputs, write_output
from graphcost.cli.loading import load_model
from graphcost.diff.compare import DiffReport, diff_models
from graphcost.diff.explain import explain
from graphcost.report.diff_render import DIFF_FORMATS, render_diff

EXAMPLES = """examples:
  graphcost diff models/ssdlite_mobilenet_v2.onnx models/ssdlite_mobilenet_v3_large.onnx --hw pixel1-cpu
  graphcost diff models/ssdlite_mobilenet_v2.onnx models/ssdlite_mobilenet_v3_large.onnx --hw pixel1-cpu --format html -o diff.html
  graphcost explain models/ssdlite_mobilenet_v2.onnx models/ssdlite_mobilenet_v3_large_reduced.onnx --hw pixel-npu
"""


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model_a", metavar="A", help="path of the reference .onnx model")
    parser.add_argument("model_b", metavar="B", help="path of the .onnx model compared against A")
    parser.add_argument("--hw", required=True, metavar="PROFILE", help="hardware profile name or path of a .toml profile")
    parser.add_argument(
        "--input-shape-a", action="append", default=[], metavar="NAME=DIMS", help="input shape of A (repeatable)"
    )
    parser.add_argument(
        "--input-shape-b", action="append", default=[], metavar="NAME=DIMS", help="input shape of B (repeatable)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    add_common_options(parser)


def add_parser(subparsers) -> None:
    diff_parser = subparsers.add_parser(
        "diff",
        help="compare two models per stage, op type and pattern, and attribute the latency difference",
        description="Align two models by stage (output stride, detection extras and heads) and split B - A in "
        "latency, MACs and bytes into architecture per stage, SE blocks, activations and fusion.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(diff_parser)
    diff_parser.add_argument("--format", choices=DIFF_FORMATS, default="table", help="output format (default: table)")
    diff_parser.set_defaults(run=run_diff)

    explain_parser = subparsers.add_parser(
        "explain",
        help="explain in plain English why B is faster or slower than A on a device",
        description="Explain the attribution of 'graphcost diff' in a few plain-English paragraphs.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(explain_parser)
    explain_parser.set_defaults(run=run_explain)


def _reject_output_over_inputs(args: argparse.Namespace) -> None:
    inputs = [("model A", args.model_a), ("model B", args.model_b), ("hardware profile", args.hw)]
    reject_output_over_inputs(args.output, inputs)


def _diff_models(args: argparse.Namespace) -> DiffReport:
    model_a = load_model(args.model_a, args.input_shape_a, "--input-shape-a")
    model_b = load_model(args.model_b, args.input_shape_b, "--input-shape-b")
    return diff_models(model_a, model_b, args.hw)


def run_diff(args: argparse.Namespace) -> int:
    _reject_output_over_inputs(args)
    report = _diff_models(args)
    write_output(render_diff(report, args.format), args.output, sys.stdout)
    return 0


def run_explain(args: argparse.Namespace) -> int:
    _reject_output_over_inputs(args)
    report = _diff_models(args)
    write_output(explain(report), args.output, sys.stdout)
    return 0
