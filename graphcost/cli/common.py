"""Parser class, options and logging set-up shared by every subcommand."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from graphcost.errors import GraphcostError

logger = logging.getLogger("graphcost")


class OneLineErrorParser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line and exit with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Add the logging and debugging options every subcommand accepts."""
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="log progress and details to stderr")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings")
    parser.add_argument("--debug", action="store_true", help="show a traceback when an error occurs")


def configure_logging(args: argparse.Namespace) -> None:
    level = logging.WARNING
    if getattr(args, "verbose", False):
        level = logging.INFO
    if getattr(args, "quiet", False):
        level = logging.ERROR
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("graphcost: %(levelname)s: %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def positive_int(text: str) -> int:
    """argparse type for a count that must be at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def write_output(text: str, path: str | None, stdout, what: str = "the report") -> None:
    """Write ``text`` to ``path``, or to ``stdout`` when no path is given."""
    if path is None:
        stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise GraphcostError(f"{path}: cannot write {what} ({error.strerror}); check the path") from None
    logger.info("wrote %s", path)


def check_writable(path: str, what: str) -> None:
    """Raise GraphcostError now if ``path`` cannot be written, before any long work."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise GraphcostError(f"{path}: is a directory; give a file path for {what}")
    if not os.path.isdir(folder):
        raise GraphcostError(f"{path}: cannot write {what} (folder {folder} does not exist); check the path")
    if not os.access(folder, os.W_OK):
        raise GraphcostError(f"{path}: cannot write {what} (folder {folder} is not writable); check the path")


def reject_output_over_inputs(output: str | None, inputs: list[tuple[str, str | None]]) -> None:
    """Raise GraphcostError if ``output`` is the same file as an input, so writing it cannot destroy that input.

    ``inputs`` are (role, path) pairs, the role as the message names the
    file ("model", "trace"). A path that does not exist is skipped because
    it cannot be overwritten, and loading that input fails with its own
    message. Links are followed, so a symlink or hard link to an input
    counts as that input.
    """
    if output is None or not os.path.exists(output):
        return
    for role, path in inputs:
        if path and os.path.exists(path) and os.path.samefile(output, path):
            raise GraphcostError(
                f"-o {output} is the same file as the {role} {path}; write the output to another path"
            )
