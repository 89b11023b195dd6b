"""The one identifier grammar of every `ledger` command, as click parameter types.

    MODEL                     a registered model (penguins)
    MODEL@VERSION             one version (penguins@3)
    MODEL@ALIAS               production, latest-approved or latest (penguins@production)
    MODEL@VERSION:HEX         one prediction (what a receipt's prediction_id holds)

Each command states which forms it takes; a value outside them is a usage error naming the
forms. Shell completion offers the registered models' identifiers, read from the MLMD store
of the home (or --metadata) given on the group; it imports ml_metadata, never tfx/tensorflow.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import click
from click.shell_completion import CompletionItem

ALIASES = ("production", "latest-approved", "latest")
_MODEL = r"[A-Za-z0-9][A-Za-z0-9._-]*"  # pipeline/registry/schema.py's rule for model names
_FORM = re.compile(rf"(?P<model>{_MODEL})(?:@(?P<selector>[^:@]+)(?::(?P<token>[0-9a-f]{{32}}))?)?")
# Completion lists every version number only for models this small; aliases always.
COMPLETE_VERSIONS_UP_TO = 200


@dataclass(frozen=True)
class Identifier:
    """A parsed identifier: MODEL, MODEL@VERSION, MODEL@ALIAS or a prediction id."""

    model: str
    selector: str | None = None  # "3", "production", ...; None for a bare MODEL
    token: str | None = None  # the hex of a prediction id

    @property
    def version(self) -> int | None:
        """The version number when one is named outright (MODEL@3), else None."""
        return int(self.selector) if self.selector and self.selector.isdigit() else None

    @property
    def is_prediction(self) -> bool:
        return self.token is not None

    def __str__(self) -> str:
        text = self.model if self.selector is None else f"{self.model}@{self.selector}"
        return f"{text}:{self.token}" if self.token else text


def parse(text: str) -> Identifier:
    """Any form of the grammar; ValueError naming the forms for anything else."""
    found = _FORM.fullmatch((text or "").strip())
    selector = found and found["selector"]
    if not found or (selector is not None and not (selector.isdigit() or selector in ALIASES)) \
            or (found["token"] and not (selector or "").isdigit()):
        raise ValueError(f"{text!r} is not MODEL, MODEL@VERSION, MODEL@ALIAS ({', '.join(ALIASES)})"
                         " or a prediction id MODEL@VERSION:HEX")
    return Identifier(found["model"], selector, found["token"])


class IdentifierType(click.ParamType):
    """A click type for the forms a command takes; converts to an Identifier."""

    def __init__(self, *, bare: bool = False, version: bool = True, prediction: bool = False,
                 files: bool = False):
        self.bare, self.version, self.prediction, self.files = bare, version, prediction, files
        forms = (["MODEL"] if bare else []) + (["MODEL@VERSION", "MODEL@ALIAS"] if version else [])
        forms += (["PREDICTION_ID"] if prediction else []) + (["RECEIPT_FILE"] if files else [])
        self.name = "|".join(forms)

    def convert(self, value, param, ctx):
        if isinstance(value, Identifier) or (self.files and os.path.isfile(str(value))):
            return value
        try:
            found = parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        allowed = (found.is_prediction and self.prediction) or (
            not found.is_prediction
            and (self.bare if found.selector is None else self.version))
        if not allowed:
            self.fail(f"{value!r}: expected {self.name.replace('|', ' or ')}", param, ctx)
        return found

    def shell_complete(self, ctx, param, incomplete):
        try:
            candidates = _candidates(ctx, with_versions=self.version, bare=self.bare)
        except Exception:  # noqa: BLE001 - completion never fails the shell: no store, no items
            return []
        return [CompletionItem(c) for c in candidates if c.startswith(incomplete)]


MODEL = IdentifierType(bare=True, version=False)
VERSION = IdentifierType()
MODEL_OR_VERSION = IdentifierType(bare=True)
TRACE_TARGET = IdentifierType(prediction=True, files=True)


def _candidates(ctx, *, with_versions: bool, bare: bool) -> list[str]:
    """Identifiers of the registered models in the store the command line names."""
    from pipeline.commands.context import settings_from_params
    from pipeline.registry.reader import RegistryReader

    settings = settings_from_params(ctx.find_root().params)
    models = RegistryReader.open(settings.metadata_spec, must_exist=True).models()
    found = []
    for summary in models:
        found += [summary.name] if bare else []
        if with_versions:
            found += [f"{summary.name}@{alias}" for alias in ALIASES]
            if summary.latest_version <= COMPLETE_VERSIONS_UP_TO:
                found += [f"{summary.name}@{n}" for n in range(1, summary.latest_version + 1)]
    return found
