"""The `ledger` group: commands imported only when they run, help and summaries without them."""

from __future__ import annotations

import importlib

import click

from pipeline.cli import COMMANDS, cli, command_summary
from tests.support.imports import imported_by


def test_help_lists_every_command_whole_without_importing_any_command_module():
    code, page, _, heavy = imported_by(["--help"])
    assert code == 0 and heavy == []
    listed = page.split("Commands:")[1]
    for name in COMMANDS:
        assert f"\n  {name} " in listed, name
    assert "interrupted after approval)." in " ".join(listed.split())  # push's whole sentence


def test_the_command_table_names_every_command_with_its_own_summary():
    """What --help shows without importing a module is what the command itself says."""
    modules = {target.split(":")[0] for target in COMMANDS.values()}
    registered = {command.name: command for module in sorted(modules)
                  for command in importlib.import_module(module).COMMANDS}
    assert sorted(registered) == sorted(COMMANDS)
    ctx = click.Context(cli)
    for name, command in registered.items():
        assert cli.get_command(ctx, name) is command
        assert command_summary(name) == command.get_short_help_str(limit=1_000), name
