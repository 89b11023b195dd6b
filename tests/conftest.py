"""Session-scoped pipeline runs shared by the end-to-end tests (each cold run costs ~40 s)."""
from __future__ import annotations

import csv
import os
import random
import shutil
import sys
from dataclasses import dataclass, field

import pytest

from pipeline.config import DatasetConfig, load_dataset_config
from pipeline.paths import DEFAULT_DATASET_CONFIG, LedgerPaths

TRAIN_STEPS = 200


@dataclass
class Run:
    """A pipeline run, the MLMD execution ids before it started, and the ones it added."""

    summary: object
    executions_before: set
    error: Exception | None = None
    executions_added: set = field(default_factory=set)
    unchanged_rerun: "Run | None" = None
    home_copy: str = ""  # first_run only: the home right after it


def execution_ids(metadata_path: str) -> set:
    from pipeline.metadata import open_store, sqlite_spec
    if not os.path.exists(metadata_path):
        return set()
    return {e.id for e in open_store(sqlite_spec(metadata_path)).get_executions()}


def run_pipeline(dataset: DatasetConfig, paths: LedgerPaths, **options) -> Run:
    from pipeline.local_runner import run_local
    before = execution_ids(paths.metadata_path)
    try:
        summary, error = run_local(dataset, paths, train_steps=TRAIN_STEPS, **options), None
    except Exception as err:  # noqa: BLE001 - the bad-input tests inspect the failure
        summary, error = None, err
    return Run(summary, before, error, execution_ids(paths.metadata_path) - before)


@pytest.fixture(scope="session")
def pipeline_runner():
    """run_pipeline(dataset, paths, **options) -> Run, for tests that need their own run."""
    return run_pipeline


@pytest.fixture(scope="session")
def penguins() -> DatasetConfig:
    return load_dataset_config(DEFAULT_DATASET_CONFIG)


@pytest.fixture(scope="session")
def penguin_home(tmp_path_factory) -> LedgerPaths:
    return LedgerPaths(str(tmp_path_factory.mktemp("ledger-home")))


@dataclass(frozen=True)
class NewcomerRun:
    """`make run` on an empty home, then `ledger run --quiet`, with the home's run logs after
    each (tests/pipeline/test_run_output.py asserts what they print)."""

    make_run: object  # subprocess.CompletedProcess
    logs_after_make_run: list
    quiet_rerun: object
    logs_after_quiet_rerun: list


@pytest.fixture(scope="session")
def newcomer_run(penguin_home) -> NewcomerRun:
    """The session's first pipeline run, as README tells a newcomer to start it: `make run`
    into the shared home (the default dataset, 200 steps, auto approval, as first_run wants),
    then `ledger run --quiet`, before anything else writes there (it must be reused)."""
    from tests.support.newcomer import MAKE_RUN, run_as_newcomer

    home, logs = penguin_home.home, penguin_home.logs_root
    made = run_as_newcomer(MAKE_RUN.split(), home)
    after_make = sorted(os.listdir(logs)) if os.path.isdir(logs) else []
    ledger = os.path.join(os.path.dirname(sys.executable), "ledger")
    quiet = run_as_newcomer([ledger, "run", "--quiet"], home) if made.returncode == 0 else None
    return NewcomerRun(made, after_make, quiet, sorted(os.listdir(logs)) if quiet else [])


@pytest.fixture(scope="session")
def first_run(newcomer_run, penguins, penguin_home, tmp_path_factory) -> Run:
    """The penguins run `make run` made; its summary as run_local reports an unchanged run."""
    made = newcomer_run.make_run
    assert made.returncode == 0, f"`make run` failed:\n{made.stdout[-2000:]}{made.stderr[-3000:]}"
    run = run_pipeline(penguins, penguin_home, approval_mode="auto")  # `ledger run`'s options
    if run.error:
        raise run.error
    assert run.summary.reused_from and not run.executions_added, (
        "run_local did not reuse the run `make run` made: its run key differs (options, "
        "code or git revision changed in between)")
    run.executions_added, run.executions_before = run.executions_before, set()
    # Later fixtures add runs to penguin_home; this copy stays as the first run left it.
    run.home_copy = str(tmp_path_factory.mktemp("first-run") / "home")
    shutil.copytree(penguin_home.home, run.home_copy)
    return run


@pytest.fixture(scope="session")
def one_run_home(first_run) -> str:
    """A home as one penguins run left it (penguins@1 pushed, auto-approved): copy it before
    changing it (its MLMD store names the shared home's artifact files)."""
    return first_run.home_copy


@pytest.fixture(scope="session")
def cached_run(first_run, penguins, penguin_home) -> Run:
    """The same inputs again through TFX (its per-component cache), then once more as
    `ledger run` does by default: nothing changed, so the last run is reused (unchanged_rerun).
    Both here, back to back: any other test's MLMD write in between would prevent the reuse."""
    run = run_pipeline(penguins, penguin_home, reuse_unchanged=False)
    if run.error:
        raise run.error
    run.unchanged_rerun = run_pipeline(penguins, penguin_home)
    if run.unchanged_rerun.error:
        raise run.unchanged_rerun.error
    return run


@pytest.fixture(scope="session")
def second_version_run(cached_run, penguins, penguin_home) -> Run:
    """Same data, a different training budget: a second model, registered as penguins@2."""
    before = execution_ids(penguin_home.metadata_path)
    from pipeline.local_runner import run_local
    summary = run_local(penguins, penguin_home, train_steps=TRAIN_STEPS + 50)
    return Run(summary, before, None, execution_ids(penguin_home.metadata_path) - before)


@pytest.fixture(scope="session")
def loans_in_penguin_home(second_version_run, loans_config, penguin_home) -> Run:
    """Other data in the same store: its model must never show up in the penguins lineage."""
    run = run_pipeline(load_dataset_config(loans_config), penguin_home)
    if run.error:
        raise run.error
    return run


@pytest.fixture(scope="session")
def governed_policy() -> dict:
    metric = "sparse_categorical_accuracy"
    return {"name": "two-person", "allowed_approvers": ["alice", "bob"],
            "metric_floors": {metric: 0.8}, "min_improvement": {metric: 0.0}}


@pytest.fixture(scope="session")
def governed_home(tmp_path_factory, penguins, governed_policy) -> LedgerPaths:
    """A second store, cold run on the same CSV, manual approval: penguins@1 waits for a person."""
    from pipeline.local_runner import run_local
    paths = LedgerPaths(str(tmp_path_factory.mktemp("governed-home")))
    run_local(penguins, paths, train_steps=TRAIN_STEPS, approval_mode="manual",
              approval_policy=governed_policy, launched_by="carol")
    return paths


def write_loans_csv(path: str, rows: int = 240, seed: int = 3) -> None:
    """A small synthetic credit dataset unlike penguins: other columns, binary label, gaps."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["applicant_id", "income_k", "debt_ratio", "region", "outcome"])
        for i in range(rows):
            income = rng.uniform(20, 200)
            debt = rng.uniform(0, 1)
            region = rng.choice(["north", "south", "east"])
            outcome = "repaid" if income / 100 - debt > 0.2 else "default"
            income_cell = "" if i % 17 == 0 else f"{income:.1f}"
            out.writerow([i, income_cell, f"{debt:.3f}", region, outcome])


@pytest.fixture(scope="session")
def loans_config(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("loans")
    os.makedirs(root / "csv")
    write_loans_csv(str(root / "csv" / "loans.csv"))
    config = root / "loans.yaml"
    config.write_text(
        "name: loans\npath: csv/loans.csv\nlabel: outcome\n"
        "numeric_features: [income_k, debt_ratio]\ncategorical_features: [region]\n"
        "slice_by: [region]\n")
    return str(config)


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """A real MariaDB server for the session (tests/support/mariadb.py); stopped at the end."""
    from tests.support.mariadb import MariaDB
    server = MariaDB(str(tmp_path_factory.mktemp("mariadb"))).start()
    yield server
    server.stop()
