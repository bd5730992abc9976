"""``graphcost export``: write the op graph or the kernel graph, with shapes and costs, as GraphML or DOT."""

from __future__ import annotations

import argparse
import os
import sys

from graphcost.analysis import analyze_model
from graphcost.cli.analyze import add_input_shape_option
from graphcost.cli.common import add_common_options, reject_output_over_inputs, write_output
from graphcost.cli.loading import load_model
from graphcost.errors import GraphcostError
from graphcost.report.export import EXPORT_FORMATS, FORMAT_SUFFIXES, export_text, kernel_graph, op_graph

EXAMPLES = """examples:
  graphcost export mobilenet_v2.onnx --format graphml -o mobilenet_v2.graphml
  graphcost export ssdlite.onnx --kernels --hw pixel1-cpu --format dot -o kernels.dot
  dot -Tsvg kernels.dot -o kernels.svg    (Graphviz draws the DOT file)
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the op graph or kernel graph with shapes and costs as GraphML or DOT",
        description="Analyze a model and write its op graph (one node per ONNX node, tensors on the edges) or, "
        "with --kernels, its kernel graph after fusion, with shapes, MACs, params and bytes as attributes; with "
        "--hw also each kernel's latency.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="path of the .onnx file")
    add_input_shape_option(parser)
    parser.add_argument(
        "--hw",
        metavar="PROFILE",
        help="hardware profile name (see 'graphcost hw list') or path of a .toml profile: sets the fusion rules "
        "and adds latency to each kernel",
    )
    parser.add_argument("--kernels", action="store_true", help="export the kernel graph after fusion instead of the op graph")
    parser.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="graph file format (default: from the -o suffix: .graphml, or .dot and .gv)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the graph to FILE instead of stdout")
    add_common_options(parser)
    parser.set_defaults(run=run)


def output_format(requested: str | None, path: str | None) -> str:
    """Return the requested format, or the one the output file's suffix names."""
    if requested is not None:
        return requested
    suffix = os.path.splitext(path or "")[1].lower()
    if suffix in FORMAT_SUFFIXES:
        return FORMAT_SUFFIXES[suffix]
    target = f"output file '{path}'" if path else "stdout"
    raise GraphcostError(
        f"cannot tell the graph format for {target}: give --format {' or '.join(EXPORT_FORMATS)}, "
        f"or an output file ending in {', '.join(FORMAT_SUFFIXES)}"
    )


def run(args: argparse.Namespace) -> int:
    chosen = output_format(args.format, args.output)
    reject_output_over_inputs(args.output, [("model", args.model), ("hardware profile", args.hw)])
    model = load_model(args.model, args.input_shape)
    report = analyze_model(model, hw=args.hw)
    graph = kernel_graph(report) if args.kernels else op_graph(model, report)
    write_output(export_text(graph, chosen), args.output, sys.stdout)
    return 0
