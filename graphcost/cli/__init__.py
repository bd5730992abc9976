"""Command-line entry point: ``graphcost SUBCOMMAND ...``."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from graphcost import __version__
from graphcost.errors import GraphcostError
from graphcost.cli.common import OneLineErrorParser, configure_logging
from graphcost.cli import analyze as analyze_command
from graphcost.cli import calibrate as calibrate_command
from graphcost.cli import diff as diff_command
from graphcost.cli import export as export_command
from graphcost.cli import hw as hw_command
from graphcost.cli import whatif as whatif_command
from graphcost.cli import zoo as zoo_command

# Each subcommand module defines add_parser(subparsers), which registers the
# subcommand and sets the parser's default `run` to a function(args) -> int.
SUBCOMMANDS = (analyze_command, diff_command, whatif_command, hw_command, calibrate_command, export_command, zoo_command)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="graphcost",
        description=(
            "Static cost model for ONNX networks: MACs, params, bytes moved "
            "and latency per layer and kernel."
        ),
        epilog="Example: graphcost analyze model.onnx --input-shape input=1x3x224x224",
    )
    parser.add_argument("--version", action="version", version=f"graphcost {__version__}")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=OneLineErrorParser
    )
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    for name, command_parser in subparsers.choices.items():
        _set_command_parser(command_parser)
    return parser


def _set_command_parser(command_parser: argparse.ArgumentParser) -> None:
    """Record on every leaf parser which parser reports its usage errors."""
    nested = [action for action in command_parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not nested:
        command_parser.set_defaults(command_parser=command_parser)
        return
    for child in nested[0].choices.values():
        _set_command_parser(child)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status (0 success, 2 bad input)."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Report the error against the subcommand, whose help lists its options.
        command_parser = getattr(args, "command_parser", parser)
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    configure_logging(args)
    try:
        return args.run(args)
    except GraphcostError as error:
        # With --debug the traceback comes first, and the exit status stays 2 as for any bad input.
        if getattr(args, "debug", False):
            traceback.print_exc(file=sys.stderr)
        print(f"graphcost: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("graphcost: interrupted", file=sys.stderr)
        return 130
