"""From a pushed model, MLMD's own lineage query reaches the DatasetVersion and the raw CSV; the
dataset version id follows the bytes of the data, not the run."""
from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest
from ml_metadata.proto import metadata_store_pb2

from pipeline.config import load_dataset_config
from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import PROJECT_ROOT, LedgerPaths

pytestmark = pytest.mark.pipeline
CSV = os.path.join(PROJECT_ROOT, "data", "penguins", "penguins.csv")


def _upstream_of_pushed_model(paths: LedgerPaths):
    store = open_store(sqlite_spec(paths.metadata_path))
    pushed = [a for a in store.get_artifacts_by_type("PushedModel")
              if a.custom_properties["pushed"].int_value == 1
              and a.custom_properties["model_name"].string_value == "penguins"]
    options = metadata_store_pb2.LineageSubgraphQueryOptions(
        starting_artifacts=metadata_store_pb2.LineageSubgraphQueryOptions.StartingNodes(
            filter_query=f"id = {pushed[0].id}"),
        max_num_hops=20,
        direction=metadata_store_pb2.LineageSubgraphQueryOptions.UPSTREAM)
    graph = store.get_lineage_subgraph(options)
    types = {t.id: t.name for t in store.get_artifact_types()}
    by_type = {}
    for artifact in graph.artifacts:
        by_type.setdefault(types[artifact.type_id], []).append(artifact)
    return by_type


def _dataset_version(paths: LedgerPaths):
    """The penguins pipeline's first DatasetVersion (the shared store also holds other datasets)."""
    store = open_store(sqlite_spec(paths.metadata_path))
    return min((v for v in store.get_artifacts_by_type("DatasetVersion")
                if "/ledger-penguins/" in v.properties["examples_uri"].string_value),
               key=lambda v: v.id)


def _dataset_version_id(paths: LedgerPaths) -> str:
    """The penguins pipeline's dataset version id: one, however many runs the store holds."""
    store = open_store(sqlite_spec(paths.metadata_path))
    ids = {v.properties["dataset_version_id"].string_value
           for v in store.get_artifacts_by_type("DatasetVersion")
           if "/ledger-penguins/" in v.properties["examples_uri"].string_value}
    [found] = ids
    return found


def test_pushed_model_traces_up_to_dataset_version_and_raw_csv(first_run, penguin_home):
    found = _upstream_of_pushed_model(penguin_home)
    [raw] = found["RawData"]
    [version] = found["DatasetVersion"]
    expected = hashlib.sha256(open(CSV, "rb").read()).hexdigest()
    assert raw.properties["sha256"].string_value == expected
    assert version.properties["source_sha256"].string_value == expected
    assert os.path.samefile(raw.uri, os.path.dirname(CSV))
    steps = json.loads(version.properties["processing_steps"].string_value)
    assert [s.get("step") for s in steps][:2] == ["ingest_csv", "impute_mean"]
    assert "Model" in found and "Examples" in found


def test_model_manifest_names_the_dataset_version(first_run, penguin_home):
    store = open_store(sqlite_spec(penguin_home.metadata_path))
    model = min((a for a in store.get_artifacts_by_type("Model") if "/ledger-penguins/" in a.uri),
                key=lambda a: a.id)
    manifest_path = os.path.join(model.uri, "Format-Serving", "manifest.json")
    manifest = json.load(open(manifest_path))
    assert manifest["dataset_version_id"] == _dataset_version_id(penguin_home)
    assert manifest["hyperparameters"]["hidden_units"] == [16, 8]
    assert manifest["hyperparameters"]["seed"] == 7  # the seed that fixed weights and batches
    assert manifest["module"]["module"] == "models.model"
    assert model.custom_properties["dataset_version_id"].string_value == \
        manifest["dataset_version_id"]


def test_same_bytes_in_another_store_give_the_same_id(first_run, penguin_home, governed_home):
    assert _dataset_version_id(governed_home) == _dataset_version_id(penguin_home)


def test_one_changed_value_gives_a_new_id(first_run, penguin_home, tmp_path):
    """The pipeline's ingestion nodes alone (the id is made before training) on the CSV with
    one value changed: same schema as the shared run, so only the bytes can change the id."""
    from tests.support.ingestion import run_ingestion

    os.makedirs(tmp_path / "data" / "penguins")
    lines = open(CSV).read().splitlines()
    lines[1] = lines[1].replace("39.1", "39.2")
    (tmp_path / "data" / "penguins" / "penguins.csv").write_text("\n".join(lines) + "\n")
    shutil.copy(os.path.join(PROJECT_ROOT, "data", "penguins.yaml"), tmp_path / "data")
    paths = LedgerPaths(str(tmp_path / "home"))
    changed = run_ingestion(load_dataset_config(str(tmp_path / "data" / "penguins.yaml")),
                            "ledger-penguins", os.path.join(paths.pipeline_root, "ledger-penguins"),
                            paths.metadata_path)
    shared = _dataset_version(penguin_home)
    assert changed["schema_digest"] == shared.properties["schema_digest"].string_value
    assert changed["source_sha256"] != shared.properties["source_sha256"].string_value
    assert changed["dataset_version_id"] != _dataset_version_id(penguin_home)
