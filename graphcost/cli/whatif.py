"""``graphcost whatif``: one model next to its counterfactuals (SE removed, ReLU for h-swish, no fusion)."""

from __future__ import annotations

import argparse
import sys

from graphcost.cli.analyze import add_input_shape_option
from graphcost.cli.common import add_common_options, reject_output_over_inputs, write_output
from graphcost.cli.loading import load_model
from graphcost.diff.compare import what_if
from graphcost.errors import GraphcostError
from graphcost.report.diff_render import WHATIF_FORMATS, render_whatif


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "whatif",
        help="a model next to its counterfactuals: SE removed, ReLU instead of h-swish, fusion disabled",
        description=(
            "Evaluate a model and the counterfactual graphs graphcost builds from it on a device. "
            "Give at least one of --remove-se, --activation relu and --no-fusion."
        ),
        epilog="example:\n  graphcost whatif models/mobilenet_v3_large.onnx --hw pixel1-cpu --remove-se --activation relu",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="path of the .onnx file")
    parser.add_argument("--hw", required=True, metavar="PROFILE", help="hardware profile name or path of a .toml profile")
    parser.add_argument("--remove-se", action="store_true", help="bypass every squeeze-excite block")
    parser.add_argument(
        "--activation", choices=("as-is", "relu"), default="as-is", help="relu: replace h-swish and h-sigmoid outside SE by ReLU"
    )
    parser.add_argument("--no-fusion", action="store_true", help="also show every variant with each op as its own kernel, BatchNormalization folded into its conv")
    add_input_shape_option(parser)
    parser.add_argument("--format", choices=WHATIF_FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    add_common_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    reject_output_over_inputs(args.output, [("model", args.model), ("hardware profile", args.hw)])
    relu = args.activation == "relu"
    if not (args.remove_se or relu or args.no_fusion):
        raise GraphcostError("graphcost whatif needs at least one of --remove-se, --activation relu, --no-fusion")
    model = load_model(args.model, args.input_shape)
    rows = what_if(model, args.hw, args.remove_se, relu, args.no_fusion)
    write_output(render_whatif(args.model, args.hw, rows, args.format), args.output, sys.stdout)
    return 0
