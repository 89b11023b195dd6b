"""Reuse of an unchanged run: the key, the store mark, and every reason a run is not reused."""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from components.data_lineage.lineage import recorded_properties
from pipeline import run_cache
from pipeline.metadata import open_store, sqlite_spec

SUMMARY = {"pipeline_name": "ledger-penguins", "decision": "approved (penguins@1): ok"}


@pytest.fixture
def dataset(penguins, tmp_path):
    """The bundled config pointed at a private copy of the CSV, so tests may edit it."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(penguins.path, data / "penguins.csv")
    return dataclasses.replace(penguins, path=str(data / "penguins.csv"))


@pytest.fixture
def store_path(tmp_path, dataset):
    """A store with one run recorded for `dataset` with options {'train_steps': 200}."""
    path = str(tmp_path / "metadata.sqlite")
    run_cache.remember(path, "ledger-penguins", _key(dataset), {**SUMMARY, "pushed_model": None})
    return path


def _key(dataset, **options):
    return run_cache.run_key(dataset, recorded_properties(dataset.data_dir),
                             {"train_steps": 200, **options})


def test_the_same_inputs_in_an_untouched_store_are_reused(store_path, dataset):
    found = run_cache.reusable(store_path, "ledger-penguins", _key(dataset))
    assert found.summary == {**SUMMARY, "pushed_model": None}
    assert found.recorded_at.endswith("Z") and found.reason == ""


def test_each_changed_input_is_named(store_path, dataset, tmp_path):
    changed = run_cache.reusable(store_path, "ledger-penguins", _key(dataset, train_steps=250))
    assert (changed.summary, changed.reason) == (None, "changed since the last run: options")
    with open(dataset.path, "a") as handle:
        handle.write("Adelie,Dream,40.0,18.0,190,3800,male,2009\n")
    edited = run_cache.reusable(store_path, "ledger-penguins", _key(dataset))
    assert edited.reason == "changed since the last run: data"
    relabelled = dataclasses.replace(dataset, slice_by=[])
    assert "dataset_config" in run_cache.reusable(
        store_path, "ledger-penguins", _key(relabelled)).reason


def test_any_write_to_the_store_after_the_run_prevents_reuse(store_path, dataset):
    store = open_store(sqlite_spec(store_path))
    type_id = store.put_artifact_type(pb.ArtifactType(name="SomethingElse"))
    store.put_artifacts([pb.Artifact(type_id=type_id, uri="/x")])
    found = run_cache.reusable(store_path, "ledger-penguins", _key(dataset))
    assert (found.summary, found.reason) == (None, "the MLMD store changed since the last run")


def test_an_update_to_an_existing_execution_moves_the_mark(store_path):
    store = open_store(sqlite_spec(store_path))
    type_id = store.put_execution_type(pb.ExecutionType(name="Step"))
    [execution_id] = store.put_executions([pb.Execution(type_id=type_id)])
    before = run_cache.store_mark(store)
    [execution] = store.get_executions_by_id([execution_id])
    execution.last_known_state = pb.Execution.COMPLETE
    store.put_executions([execution])
    assert run_cache.store_mark(store) != before


def test_a_missing_pushed_model_prevents_reuse(tmp_path, dataset):
    path = str(tmp_path / "metadata.sqlite")
    gone = str(tmp_path / "serving" / "penguins" / "1")
    run_cache.remember(path, "ledger-penguins", _key(dataset), {**SUMMARY, "pushed_model": gone})
    found = run_cache.reusable(path, "ledger-penguins", _key(dataset))
    assert found.reason == f"the pushed model {gone} is missing"


def test_nothing_recorded_and_no_store_are_not_reused(tmp_path, store_path, dataset):
    assert run_cache.reusable(str(tmp_path / "none.sqlite"), "ledger-penguins",
                              _key(dataset)).reason == "no MLMD store yet"
    assert run_cache.reusable(store_path, "ledger-loans", _key(dataset)).reason == (
        "no completed run recorded for this pipeline")


def test_a_second_record_updates_the_first(store_path, dataset):
    run_cache.remember(store_path, "ledger-penguins", _key(dataset, train_steps=250),
                       {**SUMMARY, "pushed_model": None, "decision": "rejected"})
    found = run_cache.reusable(store_path, "ledger-penguins", _key(dataset, train_steps=250))
    assert found.summary["decision"] == "rejected"
    store = open_store(sqlite_spec(store_path))
    assert len(store.get_contexts_by_type(run_cache.RUN_KEY_TYPE)) == 1


def test_the_code_digest_covers_pipeline_sources(tmp_path):
    for entry in run_cache.CODE_ROOTS:
        target = tmp_path / entry
        if entry.endswith(".py"):
            target.write_text("x = 1\n")
        else:
            target.mkdir()
            (target / "module.py").write_text("x = 1\n")
    before = run_cache.code_digest(str(tmp_path))
    (tmp_path / "models" / "module.py").write_text("x = 2\n")
    assert run_cache.code_digest(str(tmp_path)) != before


def test_reading_the_cache_does_not_import_tfx_or_tensorflow(store_path, dataset):
    probe = ("import sys; from pipeline import run_cache, local_runner; "
             "assert not {'tfx', 'tensorflow'} & set(sys.modules), sorted(sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0, done.stderr[-2000:]
