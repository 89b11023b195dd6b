"""The one MLMD store a local run records in, and the refusal of any other one named to it."""
from __future__ import annotations

import json
import os

from pipeline.metadata import store_label
from pipeline.settings import Settings


class LocalRunStoreError(ValueError):
    """--metadata/LEDGER_METADATA names a store a local run would not record in."""


def records_in_home_store(settings: Settings) -> bool:
    """Whether the settings' store is the home's own SQLite file.

    A local run records there only: TFX's connection, the reuse check, dead-run recovery and the
    summary all open HOME/metadata.sqlite. The same file named another way (relative, through
    a symlink, with `..`) is the same store.
    """
    try:
        spec = json.loads(settings.metadata_spec)
    except ValueError:
        return False
    path = spec.get("sqlite") if isinstance(spec, dict) else None
    return isinstance(path, str) and (
        os.path.realpath(path) == os.path.realpath(settings.paths.metadata_path))


def _advice(spec) -> str:
    unset = "unset LEDGER_METADATA and drop --metadata"
    kind = next(iter(spec), None) if isinstance(spec, dict) else None
    if kind == "mysql":
        return (f"{unset}, or run the compiled pipeline against that store (ledger compile, "
                "then ledger kfp-run, with --metadata-mysql-config FILE holding the spec)")
    if kind == "grpc":
        return (f"{unset}, or compile the pipeline for a Kubeflow cluster whose metadata "
                "service that is (ledger compile --metadata-grpc)")
    if kind == "sqlite":
        return f"{unset}, or use --home DIR for the store DIR/metadata.sqlite"
    return unset


def check_local_run_store(settings: Settings, command: str = "ledger run") -> None:
    """Raises LocalRunStoreError, one line naming both stores and what to do, unless the
    settings' store is the home's own: otherwise the run would be recorded where no other
    command looks, and the registry would read as if it never happened."""
    if records_in_home_store(settings):
        return
    try:
        spec = json.loads(settings.metadata_spec)
    except ValueError:
        spec = None
    raise LocalRunStoreError(
        f"{command} records runs in the home's MLMD store ({settings.paths.metadata_path}), not "
        f"in the store --metadata/LEDGER_METADATA names ({store_label(settings.metadata_spec)})"
        f": {_advice(spec)}")
