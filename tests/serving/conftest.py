"""Serving fixtures: the shared pipeline run's registry, CSV rows, a tiny copy registry, the CLI."""

from __future__ import annotations

import os
import sys

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from components.csv_ingest.parsing import ColumnTypes, read_rows
from pipeline import digest
from pipeline.metadata import sqlite_spec
from pipeline.paths import PROJECT_ROOT, LedgerPaths
from pipeline.registry import Registry
from tests.support.versions import copy_model, publish

KEY_ENV = "LEDGER_SIGNING_KEY"
TEST_KEY = "serving-test-key"



@pytest.fixture(scope="session")
def served_home(first_run, penguin_home) -> LedgerPaths:
    """The shared ledger home after the first run pushed penguins@1 (stages are never changed)."""
    return penguin_home


@pytest.fixture(scope="session")
def shared_registry(served_home) -> Registry:
    return Registry.open(sqlite_spec(served_home.metadata_path), must_exist=True)


@pytest.fixture(scope="session")
def penguin_rows(penguins) -> list[dict]:
    """Every row of the bundled CSV as {column: float | str | None}, parsed as ExampleGen does."""
    types = ColumnTypes(
        numeric=tuple(penguins.numeric_features),
        strings=(*penguins.categorical_features, penguins.label),
        missing_values=tuple(penguins.missing_values),
    )
    with open(penguins.path, encoding="utf-8") as handle:
        return list(read_rows(handle, types, penguins.path))


@pytest.fixture(scope="session")
def ledger_argv():
    """argv prefix that runs the `ledger` CLI in a subprocess."""
    return [sys.executable, "-m", "pipeline.cli"]


@pytest.fixture(scope="session")
def subprocess_env():
    """Environment for CLI subprocesses: the checkout importable, quiet TF, the test key."""
    env = dict(os.environ, PYTHONPATH=PROJECT_ROOT, PYTHONUNBUFFERED="1")
    env.update(TF_CPP_MIN_LOG_LEVEL="2", **{KEY_ENV: TEST_KEY})
    return env


@pytest.fixture
def copy_registry(served_home, shared_registry, tmp_path):
    """A separate registry in tmp_path holding a pushed copy of the real penguins@1 SavedModel."""
    model_dir = copy_model(shared_registry, str(tmp_path / "model"))
    home = LedgerPaths(str(tmp_path / "home"))
    os.makedirs(home.home)
    registry = Registry.open(sqlite_spec(home.metadata_path), must_exist=False)
    publish(registry, home, model_dir)
    return registry, home


@pytest.fixture
def fake_version(tmp_path):
    """(registry, paths, VersionInfo) of a tiny registered model made of small fake files; no TF."""
    home = LedgerPaths(str(tmp_path / "fake-home"))
    os.makedirs(os.path.join(home.home, "model", "variables"))
    for rel in ("saved_model.pb", "variables/variables.index"):
        with open(os.path.join(home.home, "model", rel), "w") as handle:
            handle.write(f"fake {rel}")
    registry = Registry.open(sqlite_spec(home.metadata_path), must_exist=False)
    model_type = registry.store.put_artifact_type(
        pb.ArtifactType(name="Model", base_type=pb.ArtifactType.MODEL)
    )
    model_dir = os.path.join(home.home, "model")
    [artifact_id] = registry.store.put_artifacts([pb.Artifact(type_id=model_type, uri=model_dir)])
    info = registry.register_version(
        "penguins", artifact_id, model_dir, digest.model_digest(model_dir)
    )
    return registry, home, info
