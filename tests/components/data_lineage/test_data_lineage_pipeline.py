"""A real LocalDagRunner run over SQLite MLMD: what MLMD stores for DataLineage, pass and fail."""
from __future__ import annotations

import hashlib
import json
import os

import pytest

pytestmark = pytest.mark.pipeline
TYPED = {"anomaly_count": "INT", "code_dirty": "INT", "span": "INT"}  # all others STRING


def _pipeline(data: dict, source: str, root: str, exec_properties: dict, recorded: dict):
    """Importers standing in for ExampleGen..Transform, feeding DataLineage."""
    from tfx.dsl.components.common.importer import Importer
    from tfx.orchestration import metadata, pipeline
    from tfx.types import standard_artifacts

    from components.data_lineage.artifacts import RawData
    from components.data_lineage.component import DataLineage

    splits = {"split_names": json.dumps(["train", "eval"])}

    def imported(node_id, uri, artifact_type, properties=None):
        return Importer(source_uri=uri, artifact_type=artifact_type, reimport=False,
                        properties=properties or {}).with_id(node_id)

    nodes = {
        "source": imported("raw_data", source, RawData, recorded),
        "examples": imported("examples", data["examples"], standard_artifacts.Examples, splits),
        "statistics": imported("statistics", data["statistics"],
                               standard_artifacts.ExampleStatistics, splits),
        "schema": imported("schema", data["schema"], standard_artifacts.Schema),
        "anomalies": imported("anomalies", data["anomalies"],
                              standard_artifacts.ExampleAnomalies, splits),
        "transform_graph": imported("transform_graph", data["transform_graph"],
                                    standard_artifacts.TransformGraph),
    }
    lineage = DataLineage(
        **{key: node.outputs["result"] for key, node in nodes.items()},
        processing_steps=exec_properties["processing_steps"],
        module_paths=exec_properties["module_paths"], span=exec_properties["span"])
    return pipeline.Pipeline(
        pipeline_name="data_lineage_test", pipeline_root=os.path.join(root, "pipeline_root"),
        components=[*nodes.values(), lineage],
        metadata_connection_config=metadata.sqlite_metadata_connection_config(
            os.path.join(root, "metadata.sqlite")))


def _run(data, source, root, exec_properties, recorded):
    """Runs the pipeline; returns (MetadataStore, the error the runner raised or None)."""
    from ml_metadata.metadata_store import metadata_store
    from tfx.orchestration import metadata
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner

    error = None
    try:
        LocalDagRunner().run(_pipeline(data, source, root, exec_properties, recorded))
    except Exception as raised:  # noqa: BLE001  the failing variant must raise; we inspect MLMD
        error = raised
    config = metadata.sqlite_metadata_connection_config(os.path.join(root, "metadata.sqlite"))
    return metadata_store.MetadataStore(config), error


def _lineage_execution(store):
    [execution] = [e for t in store.get_execution_types() if t.name.endswith("DataLineage")
                   for e in store.get_executions_by_type(t.name)]
    return execution


@pytest.fixture(scope="module")
def passing(lineage_data, exec_properties, recorded_properties, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("lineage_pipeline_ok"))
    source = lineage_data["source"]
    return _run(lineage_data, source, root, exec_properties, recorded_properties(source))


@pytest.fixture(scope="module")
def failing(lineage_data, exec_properties, recorded_properties, tmp_path_factory):
    import shutil

    root = str(tmp_path_factory.mktemp("lineage_pipeline_fail"))
    source = shutil.copytree(lineage_data["source"], os.path.join(root, "source"))
    recorded = recorded_properties(source)
    os.remove(os.path.join(source, "data.csv"))  # between run start and DataLineage
    return _run(lineage_data, source, root, exec_properties, recorded)


def test_mlmd_stores_dataset_version_with_typed_properties(passing, lineage_data):
    from ml_metadata.proto import metadata_store_pb2 as mlmd

    store, error = passing
    assert error is None
    stored_type = store.get_artifact_type("DatasetVersion")
    expected = {name: getattr(mlmd, TYPED.get(name, "STRING")) for name in (
        "dataset_version_id", "source_files", "source_sha256", "examples_uri", "split_counts",
        "split_digests", "split_record_digests", "examples_root_digest", "schema_digest",
        "missing_counts",
        "anomaly_count", "anomaly_names", "processing_steps", "code_revision", "code_dirty",
        "library_versions", "span")}
    assert dict(stored_type.properties) == expected
    [version] = store.get_artifacts_by_type("DatasetVersion")
    props = version.properties
    with open(os.path.join(lineage_data["source"], "data.csv"), "rb") as handle:
        assert props["source_sha256"].string_value == hashlib.sha256(handle.read()).hexdigest()
    assert json.loads(props["split_counts"].string_value) == {"train": 15, "eval": 5}
    assert props["anomaly_count"].int_value == 1 and props["span"].int_value == 3
    assert props["dataset_version_id"].string_value.startswith("dsv-")
    assert version.state == mlmd.Artifact.LIVE


def test_raw_data_is_an_input_event_of_the_lineage_execution(passing):
    from ml_metadata.proto import metadata_store_pb2 as mlmd

    store, _ = passing
    execution = _lineage_execution(store)
    assert execution.last_known_state == mlmd.Execution.COMPLETE
    events = store.get_events_by_execution_ids([execution.id])
    inputs = {e.artifact_id for e in events if e.type == mlmd.Event.INPUT}
    outputs = {e.artifact_id for e in events if e.type == mlmd.Event.OUTPUT}
    [raw] = store.get_artifacts_by_type("RawData")
    [version] = store.get_artifacts_by_type("DatasetVersion")
    assert raw.id in inputs and version.id in outputs
    assert raw.properties["sha256"].string_value  # recorded at run start, typed


def test_deleted_source_file_leaves_execution_failed(failing):
    from ml_metadata.proto import metadata_store_pb2 as mlmd

    store, error = failing
    assert error is not None and "data.csv" in str(error)
    assert _lineage_execution(store).last_known_state == mlmd.Execution.FAILED
    assert store.get_artifacts_by_type("DatasetVersion") == []  # nothing published
