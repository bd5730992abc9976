"""The README's usage block against the CLI's parsers: every option it shows exists, with the same choices."""

from __future__ import annotations

import argparse
import re

import pytest

from conftest import REPO
from graphcost.cli import build_parser

# An option followed by its value: a metavar in capitals (NAME=DIMS, FILE) or the literal choices (a|b).
OPTION = re.compile(r"(--[a-z][a-z-]*)(?: ([^\s\[\]]+))?")
CHOICES = re.compile(r"^[a-z0-9.-]+(\|[a-z0-9.-]+)*$")


def usage_commands() -> list[str]:
    """Return the README's usage block, one string per command with its continuation lines joined."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## Usage", 1)[1].split("```", 2)[1]
    commands: list[str] = []
    for line in block.splitlines():
        if line.startswith("graphcost "):
            commands.append(line)
        elif line.strip() and commands:
            commands[-1] += " " + line.strip()
    return commands


def command_parser(command: str) -> argparse.ArgumentParser:
    """Return the parser of ``graphcost NAME [SUBNAME] ...``, following nested subcommands."""
    parser = build_parser()
    for word in command.split()[1:]:
        nested = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
        if not nested or word not in nested[0].choices:
            return parser
        parser = nested[0].choices[word]
    return parser


def parser_options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {option: action for action in parser._actions for option in action.option_strings}


@pytest.mark.parametrize("command", usage_commands(), ids=lambda command: " ".join(command.split()[:3]))
def test_usage_options_match_parser(command):
    options = parser_options(command_parser(command))

    for option, value in OPTION.findall(command):
        assert option in options, f"README shows {option}, which '{command.split()[1]}' does not accept"
        if value and CHOICES.match(value):
            choices = options[option].choices
            assert choices is not None, f"README shows literal values for {option}: {value}"
            assert set(value.split("|")) == set(choices), f"README shows {option} {value}, the CLI accepts {'|'.join(choices)}"


def test_usage_block_found():
    commands = usage_commands()

    assert any(command.startswith("graphcost whatif ") for command in commands)
    assert len(commands) >= 10
