"""KubeflowV2DagRunner compiles a pipeline containing LedgerInfraValidator (stock one cannot)."""
from __future__ import annotations

import json

import pytest
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from tfx.components import InfraValidator
from tfx.dsl.components.common import importer
from tfx.orchestration import pipeline
from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner as runner
from tfx.proto import infra_validator_pb2
from tfx.types import standard_artifacts

from components.infra_validator.component import LedgerInfraValidator

EXECUTOR_PATH = "components.infra_validator.executor.Executor"


def _pipeline(tmp_path, validator_class=LedgerInfraValidator, **kwargs) -> pipeline.Pipeline:
    model = importer.Importer(
        source_uri="gs://bucket/model", artifact_type=standard_artifacts.Model
    ).with_id("model_importer")
    examples = importer.Importer(
        source_uri="gs://bucket/examples", artifact_type=standard_artifacts.Examples,
        properties={"split_names": '["train", "eval"]'},
    ).with_id("examples_importer")
    validator = validator_class(
        model=model.outputs["result"], examples=examples.outputs["result"], **kwargs)
    return pipeline.Pipeline(
        pipeline_name="iv-compile", pipeline_root=str(tmp_path / "root"),
        components=[model, examples, validator])


def _compile(tiny: pipeline.Pipeline, tmp_path) -> dict:
    config = runner.KubeflowV2DagRunnerConfig(default_image="ledger:test")
    runner.KubeflowV2DagRunner(
        config=config, output_dir=str(tmp_path), output_filename="pipeline.json").run(tiny)
    return json.loads((tmp_path / "pipeline.json").read_text())


def test_compiled_spec_runs_our_executor_with_recorded_parameters(tmp_path):
    job = _compile(_pipeline(tmp_path, timeout_s=120), tmp_path)
    spec = json_format.ParseDict(job["pipelineSpec"], pipeline_spec_pb2.PipelineSpec())
    task = spec.root.dag.tasks["LedgerInfraValidator"]
    executor = spec.deployment_spec["executors"][
        spec.components[task.component_ref.name].executor_label]
    args = list(executor["container"]["args"])
    assert args[args.index("--executor_class_path") + 1] == EXECUTOR_PATH
    assert executor["container"]["image"] == "ledger:test"
    # Pipeline spec schema 2.0 (the runner's default) stores constants in constant_value.
    params = {k: v.runtime_value.constant_value for k, v in task.inputs.parameters.items()}
    assert (params["timeout_s"].int_value, params["num_requests"].int_value) == (120, 20)
    assert params["float_tolerance"].double_value == 1e-4
    assert "infra-validation-model" in params["serving_spec"].string_value
    outputs = spec.components[task.component_ref.name].output_definitions.artifacts
    assert "title: tfx.InfraBlessing" in outputs["blessing"].artifact_type.instance_schema
    assert set(task.dependent_tasks) == {"model_importer", "examples_importer"}


def test_stock_infra_validator_does_not_compile(tmp_path):
    """Why LedgerInfraValidator is not a subclass: the compiler rejects InfraValidator by type."""
    stock = _pipeline(tmp_path, InfraValidator, serving_spec=infra_validator_pb2.ServingSpec())
    with pytest.raises(NotImplementedError):
        _compile(stock, tmp_path)
