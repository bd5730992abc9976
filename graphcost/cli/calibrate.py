"""``graphcost calibrate`` and ``graphcost validate``: fit a profile to this machine or a trace, and check it."""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from tabulate import tabulate

from graphcost.calibrate.run import calibrate_from_trace, calibrate_onnxruntime
from graphcost.calibrate.validate import validate_model
from graphcost.cli.analyze import add_input_shape_option
from graphcost.cli.common import add_common_options, check_writable, positive_int, reject_output_over_inputs, write_output
from graphcost.errors import GraphcostError
from graphcost.hardware import load_profile
from graphcost.hardware.writer import profile_to_toml
from graphcost.report.render import count_text


DEFAULT_BASE = "x86-avx2-cpu"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help="fit a hardware profile to onnxruntime measurements on this machine or to a measured trace",
        description="Fit a profile's efficiencies, bandwidths and per-kernel overhead. With --backend onnxruntime, "
        "graphcost times its microbenchmarks here; with --from-trace, it reads an onnxruntime profiling JSON or "
        "a TensorFlow Lite benchmark_model op-profiling CSV of --model.",
        epilog="examples:\n  graphcost calibrate --backend onnxruntime --threads 1 -o my-cpu.toml\n"
        "  graphcost calibrate --from-trace ops.csv --model mobilenet_v2.onnx --base pixel4-cpu -o my-pixel4.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--backend", choices=("onnxruntime",), help="measure microbenchmarks with this runtime")
    source.add_argument("--from-trace", metavar="FILE", help="onnxruntime profiling JSON or TensorFlow Lite op-profiling CSV")
    parser.add_argument("--model", metavar="MODEL", help="the .onnx model the trace was recorded on (with --from-trace)")
    add_input_shape_option(parser)
    parser.add_argument("--base", default=DEFAULT_BASE, metavar="PROFILE", help=f"profile to start from (default: {DEFAULT_BASE})")
    parser.add_argument("--threads", type=positive_int, default=1, help="onnxruntime intra-op threads (default: 1)")
    parser.add_argument("--quick", action="store_true", help="a handful of microbenchmarks only, for a smoke test")
    parser.add_argument("--name", help="name of the new profile (default: the output file's name)")
    parser.add_argument("-o", "--output", required=True, metavar="PROFILE", help="path of the .toml profile to write")
    add_common_options(parser)
    parser.set_defaults(run=run_calibrate)

    validate = subparsers.add_parser(
        "validate",
        help="measure models with onnxruntime and compare with the predicted latency",
        description="Predicted against measured latency per model, and per op type from onnxruntime's profiler.",
        epilog="example:\n  graphcost validate models/*.onnx --hw my-cpu.toml --backend onnxruntime",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("models", nargs="+", metavar="MODEL", help=".onnx models to measure")
    validate.add_argument("--hw", required=True, metavar="PROFILE", help="profile to predict with (name or .toml path)")
    validate.add_argument("--backend", choices=("onnxruntime",), default="onnxruntime", help="runtime to measure with")
    validate.add_argument("--threads", type=positive_int, default=1, help="onnxruntime intra-op threads (default: 1)")
    validate.add_argument("--no-per-op", action="store_true", help="skip the per-op-type comparison")
    add_input_shape_option(validate)
    validate.add_argument("-o", "--output", metavar="FILE", help="write the tables to FILE instead of stdout")
    add_common_options(validate)
    validate.set_defaults(run=run_validate)


def _progress(index: int, total: int, label: str) -> None:
    width = 30
    filled = width * index // max(total, 1)
    sys.stderr.write(f"\rcalibrating [{'#' * filled}{' ' * (width - filled)}] {index}/{total} {label[:40]:40s}")
    if index == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_calibrate(args: argparse.Namespace) -> int:
    check_writable(args.output, "the profile")
    inputs = [("trace", args.from_trace), ("model", args.model), ("base profile", args.base)]
    reject_output_over_inputs(args.output, inputs)
    name = args.name or os.path.splitext(os.path.basename(args.output))[0]
    command = "graphcost " + " ".join(shlex.quote(part) for part in sys.argv[1:]) if sys.argv[1:2] == ["calibrate"] else "graphcost calibrate"
    base = load_profile(args.base)
    if args.from_trace:
        if not args.model:
            raise GraphcostError("--from-trace needs --model, the .onnx model the trace was recorded on")
        calibration, match = calibrate_from_trace(base, name, command, args.from_trace, args.model, args.input_shape)
        print(
            f"matched {match.matched_s * 1e3:.3f} ms of the trace to kernels; {match.unmatched_s * 1e3:.3f} ms in "
            f"{count_text(len(match.unmatched_names), 'trace node')} matched none"
        )
    else:
        progress = _progress if sys.stderr.isatty() and not args.quiet else None
        calibration = calibrate_onnxruntime(base, name, command, args.threads, args.quick, progress)
    write_output(profile_to_toml(calibration.profile), args.output, sys.stdout, what="the profile")
    print(f"wrote {args.output}: {calibration.residual_summary()}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    inputs = [("model", path) for path in args.models] + [("hardware profile", args.hw)]
    reject_output_over_inputs(args.output, inputs)
    profile = load_profile(args.hw)
    rows = [
        validate_model(path, profile, args.threads, per_op=not args.no_per_op, input_shapes=args.input_shape)
        for path in args.models
    ]
    table = [
        [row.model, f"{row.predicted_s * 1e3:.3f}", f"{row.measured_s * 1e3:.3f}", f"{row.error * 100:+.1f}"] for row in rows
    ]
    parts = [
        f"device profile: {profile.name} ({profile.description}); measured here with onnxruntime, {args.threads} thread(s)",
        "",
        tabulate(table, headers=["model", "predicted (ms)", "measured (ms)", "error (%)"], colalign=("left", "right", "right", "right"), disable_numparse=True),
    ]
    if profile.kind != "cpu" or "calibrated" not in " ".join(value.source for value in profile.numbers().values()):
        parts.append(
            "note: the profile was not calibrated on this machine, so the error measures how far this machine is "
            "from the profiled device; calibrate one with 'graphcost calibrate --backend onnxruntime -o FILE'"
        )
    for row in rows:
        if not row.by_op_type:
            continue
        per_op = [[op, f"{predicted * 1e3:.3f}", f"{measured * 1e3:.3f}"] for op, (predicted, measured) in row.by_op_type.items()]
        parts += ["", f"{row.model} per op type (kernels by their first op):", tabulate(per_op, headers=["op", "predicted (ms)", "measured (ms)"], colalign=("left", "right", "right"), disable_numparse=True)]
    write_output("\n".join(parts) + "\n", args.output, sys.stdout)
    return 0
