"""Lineage fixtures: the shared pipeline store (read only), plain-MLMD lookups, CLI runners."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from ml_metadata.metadata_store.metadata_store import ListOptions

from pipeline.lineage import Lineage
from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import PROJECT_ROOT

PENGUINS_CSV = os.path.join(PROJECT_ROOT, "data", "penguins", "penguins.csv")
# The `ledger` console script installed next to this interpreter.
LEDGER = os.path.join(os.path.dirname(sys.executable), "ledger")


@dataclass
class Mlmd:
    """Independent answers from plain MLMD calls, to check the lineage library against."""

    store: object

    def artifact(self, type_name: str, name: str):
        return self.store.get_artifact_by_type_and_name(type_name, name)

    def events_of_artifact(self, artifact_id: int) -> list:
        return self.store.get_events_by_artifact_ids([artifact_id])

    def producer(self, artifact_id: int) -> int:
        """The execution that first output the artifact (later ones are cached reruns)."""
        return min(e.execution_id for e in self.events_of_artifact(artifact_id)
                   if e.type == e.OUTPUT)

    def consumers(self, artifact_id: int, key: str, type_suffix: str) -> list[int]:
        """Executions of a type (name suffix) that read the artifact under `key`."""
        ids = [e.execution_id for e in self.events_of_artifact(artifact_id)
               if e.type == e.INPUT and key in [s.key for s in e.path.steps]]
        return sorted(x.id for x in self.store.get_executions_by_id(ids)
                      if x.type.endswith(type_suffix))

    def input_of(self, execution_id: int, key: str) -> int:
        [found] = [e.artifact_id for e in self.store.get_events_by_execution_ids([execution_id])
                   if e.type == e.INPUT and key in [s.key for s in e.path.steps]]
        return found

    def outputs_of(self, execution_id: int, type_name: str) -> list[int]:
        ids = [e.artifact_id for e in self.store.get_events_by_execution_ids([execution_id])
               if e.type == e.OUTPUT]
        return sorted(a.id for a in self.store.get_artifacts_by_id(ids) if a.type == type_name)

    def transitions(self, model: str) -> list:
        query = f"type = 'StageTransition' AND properties.model_name.string_value = '{model}'"
        found = self.store.get_executions(list_options=ListOptions(filter_query=query))
        return sorted(found, key=lambda x: x.properties["seq"].int_value)


@pytest.fixture(scope="session")
def penguins_csv_sha256() -> str:
    """hashlib's SHA-256 of the bundled raw file, computed here independently of the pipeline."""
    with open(PENGUINS_CSV, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture(scope="session")
def shared_runs(first_run, cached_run, second_version_run, loans_in_penguin_home, penguin_home):
    """All four shared runs done: penguins@1, a cached rerun, penguins@2 and loans@1."""
    return penguin_home


@pytest.fixture(scope="session")
def lineage(shared_runs) -> Lineage:
    return Lineage.open(sqlite_spec(shared_runs.metadata_path))


@pytest.fixture(scope="session")
def mlmd(shared_runs) -> Mlmd:
    return Mlmd(open_store(sqlite_spec(shared_runs.metadata_path), must_exist=True))


@pytest.fixture(scope="session")
def ledger():
    """ledger(*args) -> CompletedProcess of the real CLI in a fresh Python process."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([LEDGER, *args], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture(scope="session")
def invoke():
    """invoke(*args) -> CompletedProcess of the same CLI run in this process (click's runner):
    for what a command prints and refuses; `ledger` covers what only a real process shows."""
    from click.testing import CliRunner

    from pipeline.cli import cli

    def run(*args: str) -> subprocess.CompletedProcess:
        result = CliRunner().invoke(cli, list(args), prog_name="ledger", catch_exceptions=False)
        return subprocess.CompletedProcess(["ledger", *args], result.exit_code, result.stdout,
                                           result.stderr)

    return run


@pytest.fixture(scope="session")
def synthetic():
    """build(store, runs, models, runs_per_dataset, root, kfp=False) from the benchmark tool."""
    path = os.path.join(PROJECT_ROOT, "benchmarks", "make_synthetic_store.py")
    spec = importlib.util.spec_from_file_location("make_synthetic_store", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def synthetic_store(synthetic, tmp_path):
    """make(runs, models=2, kfp=False) -> (Lineage, store path) on a fresh synthetic store."""

    def make(runs: int, models: int = 2, kfp: bool = False):
        path = str(tmp_path / f"synthetic-{runs}-{models}-{int(kfp)}.sqlite")
        synthetic.build(open_store(sqlite_spec(path)), runs, models, 5, "/synthetic", kfp)
        return Lineage.open(sqlite_spec(path)), path

    return make
