"""Resolver queries as TFX compiles LatestBlessedModelStrategy, answered from launcher records."""
import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd_pb

from kubeflow.local_backend import resolver
from kubeflow.local_backend.records import RunRecords
from pipeline.metadata import open_store, sqlite_spec

BLESSING_QUERY = ('schema_title="tfx.ModelBlessing" AND state=LIVE AND '
                  'metadata.blessed.number_value=1')
MODEL_QUERY = ('schema_title="tfx.Model" AND state=LIVE AND '
               'name="{{$.inputs.artifacts[\'input\'].metadata[\'current_model_id\']}}"')


@pytest.fixture()
def records(tmp_path):
    return RunRecords(open_store(sqlite_spec(str(tmp_path / "m.sqlite"))), "p", "run-1")


def _publish(records, task, key, type_name, metadata):
    execution = records.start(task, "container", {}, {})
    runtime = {"name": key, "uri": f"/root/{task}/{key}", "metadata": metadata}
    return records.publish(execution, {key: [runtime]}, {key: type_name}).outputs[key][0]


def test_latest_blessed_model_is_found_through_the_blessing(records):
    old = _publish(records, "Trainer", "model", "tfx.Model", {})
    new = _publish(records, "Trainer", "model", "tfx.Model", {})
    _publish(records, "Approval", "blessing", "tfx.ModelBlessing",
             {"blessed": 1, "current_model_id": int(old["name"])})
    _publish(records, "Approval", "blessing", "tfx.ModelBlessing",
             {"blessed": 0, "current_model_id": int(new["name"])})
    [blessing] = resolver.resolve(records.store, BLESSING_QUERY)
    assert blessing["metadata"]["current_model_id"] == float(old["name"])
    query = resolver.fill_query(MODEL_QUERY, {"input": {"artifacts": [blessing]}})
    assert query.endswith(f'name="{old["name"]}"')  # 5.0 is written as 5, as the driver does
    [model] = resolver.resolve(records.store, query)
    assert model["name"] == old["name"] and model["uri"] == old["uri"]


def test_nothing_blessed_resolves_to_nothing(records):
    assert resolver.resolve(records.store, BLESSING_QUERY) == []
    assert resolver.fill_query(MODEL_QUERY, {"input": {"artifacts": []}}) is None


def test_unsupported_filter_is_named(records):
    with pytest.raises(resolver.ResolverError, match="OR"):
        resolver.resolve(records.store, 'schema_title="tfx.Model" OR state=LIVE')


def test_outputs_are_recorded_with_the_launchers_value_kinds(records):
    out = _publish(records, "Gen", "examples", "tfx.Examples",
                   {"span": 0, "split_names": '["train"]', "flag": True, "list": [1, 2]})
    [artifact] = records.store.get_artifacts_by_id([int(out["name"])])
    props = artifact.custom_properties
    assert props["span"].WhichOneof("value") == "double_value"
    assert props["flag"].int_value == 1
    assert props["list"].struct_value.fields["list"].list_value.values[1].number_value == 2
    assert out["metadata"]["span"] == 0.0 and out["metadata"]["split_names"] == '["train"]'
    [execution] = records.store.get_executions_by_context(records.run_context.id)
    assert execution.last_known_state == mlmd_pb.Execution.COMPLETE
    assert execution.name == "run-1/Gen/0"
