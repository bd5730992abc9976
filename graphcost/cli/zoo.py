"""``graphcost zoo``: list and build the reference MobileNet and SSDLite models."""

from __future__ import annotations

import argparse
from pathlib import Path

from tabulate import tabulate

from graphcost.cli.common import OneLineErrorParser, add_common_options
from graphcost.zoo import CATALOG, build_model, write_catalog, write_model
from graphcost.zoo.options import ACTIVATION_CHOICES, BN_STYLES, DEFAULT_OPSET, HSWISH_STYLES


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    zoo = subparsers.add_parser(
        "zoo",
        help="list and build the reference MobileNetV2/V3 and SSDLite models",
        description=(
            "Build MobileNetV2, MobileNetV3 and SSDLite ONNX models from the papers' architecture "
            "tables. All weights are zero, so the files compress to almost nothing."
        ),
    )
    commands = zoo.add_subparsers(
        dest="zoo_command", metavar="ZOO_COMMAND", parser_class=OneLineErrorParser, required=True
    )

    list_parser = commands.add_parser(
        "list", help="list the model names with their published MAdds and parameters"
    )
    add_common_options(list_parser)
    list_parser.set_defaults(run=run_list)

    build = commands.add_parser(
        "build",
        help="build one model into an ONNX file",
        epilog=(
            "Examples: graphcost zoo build mobilenet_v3_large -o v3.onnx; "
            "graphcost zoo build mobilenet_v3_large -o v3_tf.onnx --hswish tf --bn keep"
        ),
    )
    build.add_argument("name", metavar="NAME", help="model name, see 'graphcost zoo list'")
    build.add_argument("-o", "--output", required=True, metavar="FILE", help="ONNX file to write")
    _add_build_options(build)
    add_common_options(build)
    build.set_defaults(run=run_build)

    build_all = commands.add_parser(
        "build-all",
        help="build every listed model with its defaults into DIR/NAME.onnx",
        epilog="Example: graphcost zoo build-all -o models/",
    )
    build_all.add_argument("-o", "--output", required=True, metavar="DIR", help="directory to write into, created if missing")
    add_common_options(build_all)
    build_all.set_defaults(run=run_build_all)


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--width", type=float, help="channel width multiplier, e.g. 0.5 (default: the model's)")
    parser.add_argument("--resolution", type=int, help="input height and width in pixels (default: 224, SSDLite 320)")
    parser.add_argument(
        "--num-classes",
        type=int,
        help="class outputs: per image for classifiers (default 1000), per anchor with background for SSDLite (default 91)",
    )
    parser.add_argument(
        "--bn",
        choices=BN_STYLES,
        help="fold batch normalization into the conv bias, or keep BatchNormalization nodes (default: fold)",
    )
    parser.add_argument(
        "--hswish",
        choices=HSWISH_STYLES,
        help=(
            "how to write h-swish and h-sigmoid: HardSwish/HardSigmoid ops (op; a model with h-swish layers "
            "then needs opset 14+), x*Clip(x+3,0,6)*(1/6) (tf) or x*Clip(x+3,0,6)/6 (clip-div) (default: op)"
        ),
    )
    parser.add_argument(
        "--activation",
        choices=ACTIVATION_CHOICES,
        help="relu replaces every h-swish with ReLU, the 'all ReLU' ablation (default: as-designed)",
    )
    parser.add_argument(
        "--no-se",
        dest="se",
        action="store_const",
        const=False,
        help="remove the squeeze-and-excite blocks (MobileNetV3)",
    )
    parser.add_argument("--opset", type=int, help=f"ONNX opset version (default: {DEFAULT_OPSET})")


def run_list(args: argparse.Namespace) -> int:
    rows = []
    for entry in CATALOG.values():
        published = entry.published
        side = entry.defaults.resolution
        rows.append(
            [
                entry.name,
                f"{side}x{side}",
                f"{published.macs / 1e6:.4g}" if published else "",
                f"{published.param_count / 1e6:.3g}" if published else "",
                entry.description,
            ]
        )
    headers = ["name", "input", "published MAdds (M)", "published params (M)", "description"]
    print(tabulate(rows, headers=headers, colalign=("left", "left", "right", "right", "left")))

    print()
    sources = sorted({entry.published.source for entry in CATALOG.values() if entry.published})
    for source in sources:
        print(f"Published figures: {source}.")
    for entry in CATALOG.values():
        if entry.published and entry.published.num_classes is not None:
            print(
                f"{entry.name}: the published figures count {entry.published.num_classes} class outputs, "
                f"the default build has {entry.defaults.num_classes} (--num-classes changes it)."
            )
    return 0


def run_build(args: argparse.Namespace) -> int:
    model = build_model(
        args.name,
        width=args.width,
        resolution=args.resolution,
        num_classes=args.num_classes,
        bn=args.bn,
        hswish=args.hswish,
        activation=args.activation,
        se=args.se,
        opset=args.opset,
    )
    size = write_model(model, args.output)
    if not args.quiet:
        print(f"wrote {args.output}: {args.name}, {len(model.graph.node)} nodes, {size:,} bytes")
    return 0


def run_build_all(args: argparse.Namespace) -> int:
    paths = write_catalog(Path(args.output))
    if not args.quiet:
        for path in paths:
            print(f"wrote {path}")
    return 0
