"""``graphcost analyze``: per-layer MACs, params and bytes moved of one model."""

from __future__ import annotations

import argparse
import sys

from graphcost.analysis import analyze_model
from graphcost.cli.common import add_common_options, positive_int, reject_output_over_inputs, write_output
from graphcost.cli.loading import load_model
from graphcost.report import FORMATS, GROUPINGS, render

EXAMPLES = """examples:
  graphcost analyze mobilenet_v2.onnx
  graphcost analyze ssdlite.onnx --input-shape image=1x3x320x320 --group-by op-type
  graphcost analyze model.onnx --format json -o costs.json
  graphcost analyze model.onnx --top 10
  graphcost analyze models/ssdlite_mobilenet_v3_large.onnx --hw pixel1-cpu
  graphcost analyze models/ssdlite_mobilenet_v3_large.onnx --hw pixel1-cpu --format html -o report.html
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="per-layer MACs, params and bytes moved of an ONNX model",
        description="Infer every tensor's shape and report MACs, element-wise operations, params and bytes "
        "moved per node or per op type, with totals.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="path of the .onnx file")
    add_input_shape_option(parser)
    parser.add_argument(
        "--hw",
        metavar="PROFILE",
        help="hardware profile name (see 'graphcost hw list') or path of a .toml profile: sets the fusion "
        "rules and adds latency per kernel",
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument(
        "--group-by",
        choices=GROUPINGS,
        help="one row per node, op type or kernel (default: kernel with --hw, else node)",
    )
    parser.add_argument(
        "--top", type=positive_int, metavar="N", help="show only the N rows with the most MACs (then bytes); totals cover all"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    add_common_options(parser)
    parser.set_defaults(run=run)


def add_input_shape_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=DIMS",
        help="shape of a model input, e.g. input=1x3x320x320 (repeatable); bare DIMS when the model has one "
        "input. Symbolic dims not given are taken as 1.",
    )


def run(args: argparse.Namespace) -> int:
    reject_output_over_inputs(args.output, [("model", args.model), ("hardware profile", args.hw)])
    model = load_model(args.model, args.input_shape)
    report = analyze_model(model, hw=args.hw)
    group_by = args.group_by or ("kernel" if args.hw else "node")
    text = render(report, args.format, group_by, args.top)
    write_output(text, args.output, sys.stdout)
    return 0
