"""The `ledger` group: commands imported only when they run, help and summaries without them."""

from __future__ import annotations

import importlib

import click
import pytest

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


def test_an_mlmd_error_still_ends_a_command_in_one_line(capsys):
    """MLMD's StatusError is caught without importing ml_metadata up front."""
    from ml_metadata import errors as mlmd_errors

    from pipeline.commands.errors import one_line_errors

    @one_line_errors()
    def command():
        raise mlmd_errors.NotFoundError("no artifact 42\nsecond line")

    with pytest.raises(SystemExit) as done:
        command()
    assert done.value.code == 1
    assert capsys.readouterr().err == "error: no artifact 42\n"


def test_a_command_missing_from_the_table_is_still_found_in_its_module(monkeypatch):
    import pipeline.cli
    from pipeline.commands.registry import show_command

    monkeypatch.setattr(pipeline.cli, "COMMANDS",
                        {k: v for k, v in COMMANDS.items() if k != "show"})
    group = pipeline.cli.LedgerGroup("ledger")
    assert group.get_command(click.Context(group), "show") is show_command
    assert group.get_command(click.Context(group), "no-such-command") is None
