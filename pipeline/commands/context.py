"""The settings of one `ledger` invocation: the group's options, resolved once and shared."""

from __future__ import annotations

import click

from pipeline.settings import Settings, resolve


def settings(**overrides) -> Settings:
    """The group's options with a command's own (--home, --metadata, --key) over them.

    Resolved on first use and kept on the root context, so every part of the command sees
    the same object.
    """
    root = click.get_current_context().find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    if "settings" not in root.obj:
        given = {name: value for name, value in overrides.items() if value}
        root.obj["settings"] = resolve(**{**root.obj.get("options", {}), **given})
    return root.obj["settings"]
