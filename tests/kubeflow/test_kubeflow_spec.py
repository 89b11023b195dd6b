"""The compiled spec is a valid KFP PipelineSpec/PipelineJob and carries our cluster settings."""
from __future__ import annotations

import json
import os

import yaml
from google.protobuf import json_format
from kfp import components
from kfp.pipeline_spec import pipeline_spec_pb2

from kubeflow.validate import validate_spec_file

APPROVAL_AND_PUSH = ("ModelApproval", "VersionedPusher")


def _task_parameter(spec: dict, task: str, name: str) -> dict:
    return spec["root"]["dag"]["tasks"][task]["inputs"]["parameters"][name]


def test_yaml_parses_strictly_as_pipeline_spec_and_loads_as_component(compiled):
    with open(compiled.spec_path) as handle:
        raw = yaml.safe_load(handle)
    spec = json_format.ParseDict(raw, pipeline_spec_pb2.PipelineSpec(),
                                 ignore_unknown_fields=False)
    assert spec.pipeline_info.name == "ledger-penguins"
    assert spec.schema_version == "2.1.0"
    component = components.load_component_from_file(compiled.spec_path)
    assert set(component.component_spec.inputs) == {"data_root", "train_args"}
    assert validate_spec_file(compiled.spec_path) == []


def test_json_is_a_pipeline_job_with_the_same_spec(compiled):
    job = json_format.ParseDict(compiled.job, pipeline_spec_pb2.PipelineJob(),
                                ignore_unknown_fields=False)
    assert compiled.job["pipelineSpec"] == compiled.spec
    assert job.runtime_config.gcs_output_directory == compiled.pipeline_root
    assert dict(compiled.job["runtimeConfig"]["parameterValues"]) == {
        "data_root": "/opt/tfx-ledger/data/penguins", "train_args": '{"num_steps": 200}'}


def test_runtime_parameters_have_defaults_and_reach_their_components(compiled):
    spec = compiled.spec
    declared = spec["root"]["inputDefinitions"]["parameters"]
    assert declared["data_root"] == {"parameterType": "STRING", "isOptional": True,
                                     "defaultValue": "/opt/tfx-ledger/data/penguins"}
    assert json.loads(declared["train_args"]["defaultValue"]) == {"num_steps": 200}
    assert _task_parameter(spec, "TypedCsvExampleGen", "input_base") == {
        "componentInputParameter": "data_root"}
    assert _task_parameter(spec, "RawDataImporter", "artifact_uri") == {
        "componentInputParameter": "data_root"}
    importer = spec["deploymentSpec"]["executors"]["RawDataImporter_executor"]["importer"]
    assert importer["artifactUri"] == {"runtimeParameter": "artifact_uri"}
    assert _task_parameter(spec, "LedgerTrainer", "train_args") == {
        "componentInputParameter": "train_args"}


def test_registry_components_get_the_cluster_mlmd_connection_never_sqlite(compiled):
    for task in APPROVAL_AND_PUSH:
        value = _task_parameter(compiled.spec, task, "metadata_connection")["runtimeValue"]
        assert json.loads(value["constant"]) == {"grpc": "metadata-grpc.mlmd.svc:8080"}
    for path in (compiled.spec_path, compiled.job_path):
        with open(path) as handle:
            assert "sqlite" not in handle.read().lower()


def test_the_pusher_signs_with_the_mounted_key_it_is_given(compiled):
    value = _task_parameter(compiled.spec, "VersionedPusher", "model_signing_key")
    # conftest's compile_command passes this path (a mounted secret in the pusher's pod)
    assert value["runtimeValue"]["constant"] == "/var/run/secrets/ledger/model-signing-key"


def test_every_container_runs_the_requested_image(compiled):
    containers = [e["container"] for e in compiled.spec["deploymentSpec"]["executors"].values()
                  if "container" in e]
    assert len(containers) == 11
    assert {c["image"] for c in containers} == {"registry.example.com/ml/tfx-ledger:test"}


def test_custom_artifact_types_are_named_for_the_image(compiled):
    titles = {yaml.safe_load(a["artifactType"]["instanceSchema"])["title"]
              for c in compiled.spec["components"].values()
              for kind in ("inputDefinitions", "outputDefinitions")
              for a in c.get(kind, {}).get("artifacts", {}).values()}
    assert {t for t in titles if not t.startswith("tfx.")} == {
        "ledger_types.RawData", "ledger_types.DatasetVersion"}


def test_no_module_wheel_was_built_under_the_pipeline_root(compiled):
    root = compiled.pipeline_root
    assert not os.path.exists(root) or os.listdir(root) == []
    with open(compiled.spec_path) as handle:
        text = handle.read()
    assert ".whl" not in text and "--extra-pip-package" not in text
