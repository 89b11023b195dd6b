"""The settings of one `ledger` invocation: the group's options, resolved once and shared."""

from __future__ import annotations

import json

import click

from pipeline.settings import Settings, resolve

# Group options that are not part of the Settings object (pipeline/settings.py).
SIGNING_KEY_ENV = "signing_key_env"


def settings(**overrides) -> Settings:
    """The group's options with a command's own (--home, --metadata, --key) over them.

    Resolved on first use and kept on the root context, so every part of the command sees
    the same object. A command invoked without the group gets the defaults of the home.
    """
    root = click.get_current_context().find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    if "settings" not in root.obj:
        given = {name: value for name, value in overrides.items() if value}
        options = {**root.obj.get("options", {}), **given}
        if root.obj.get(SIGNING_KEY_ENV) is not None:  # "" means: no legacy HMAC key
            options.setdefault("hmac_key_env", root.obj[SIGNING_KEY_ENV])
        root.obj["settings"] = resolve(**options)
    return root.obj["settings"]


def check_metadata_spec(ctx, param, value: str | None) -> str | None:
    """click callback: --metadata must be a JSON connection spec."""
    if value:
        try:
            json.loads(value)
        except ValueError as exc:
            raise click.BadParameter(f"not a JSON connection spec ({exc})") from None
    return value


def settings_from_params(params: dict) -> Settings:
    """Settings from a parsed (possibly partial, as in shell completion) group command line."""
    return resolve(home=params.get("home"), metadata_spec=params.get("metadata_spec"))
