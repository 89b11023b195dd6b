"""ModelApproval: approve or reject a model by policy (auto), or leave it for a person (manual).
In: model, the Evaluator's blessing and evaluation, optionally the InfraBlessing and the
DatasetVersion. Out: a standard ModelBlessing (blessed=1 only when approved) carrying decision,
decided_by, decided_at, reasons, the model digest, the registry version and the evidence ids;
every decision is also a StageTransition record in the governance log. Example:
    ModelApproval(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                  evaluation=evaluator.outputs["evaluation"], model_name="penguins",
                  mode="auto", policy={"metric_floors": {"sparse_categorical_accuracy": 0.9}},
                  metadata_connection='{"sqlite": "/path/metadata.sqlite"}')
"""
from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from components.data_lineage.artifacts import DatasetVersion
from components.model_approval import executor
from components.model_approval.policy import MODES, ApprovalPolicy, PolicyError


class ModelApprovalSpec(ComponentSpec):
    """Inputs, outputs and parameters of ModelApproval."""

    PARAMETERS = {
        "model_name": ExecutionParameter(type=str),
        "mode": ExecutionParameter(type=str),
        "policy": ExecutionParameter(type=str),
        "metadata_connection": ExecutionParameter(type=str),
        "launched_by": ExecutionParameter(type=str, optional=True),
        "signing_key_env": ExecutionParameter(type=str, optional=True),
        # The pipeline run the version comes from. Local runs leave it empty (the executor
        # reads the run id from its context); a Kubeflow spec carries the placeholder
        # `{{$.pipeline_job_uuid}}`, which the backend's driver fills per run.
        "pipeline_run": ExecutionParameter(type=str, optional=True),
        # pipeline/settings.py as JSON (paths only, no secret): the service key signs records.
        "settings": ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
        "evaluation": ChannelParameter(type=standard_artifacts.ModelEvaluation, optional=True),
        "infra_blessing": ChannelParameter(type=standard_artifacts.InfraBlessing, optional=True),
        "dataset_version": ChannelParameter(type=DatasetVersion, optional=True),
    }
    OUTPUTS = {"blessing": ChannelParameter(type=standard_artifacts.ModelBlessing)}

class ModelApproval(base_component.BaseComponent):
    """Records an approval decision for each new model and blesses only approved ones."""
    SPEC_CLASS = ModelApprovalSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, model, model_blessing, model_name: str, metadata_connection: str,
                 mode: str = "auto", policy: dict | None = None, evaluation=None,
                 infra_blessing=None, dataset_version=None, launched_by: str = "",
                 signing_key_env: str = "", pipeline_run: str = "",
                 settings: str | None = None):
        if mode not in MODES:
            raise PolicyError(f"approval mode must be one of {', '.join(MODES)}, not {mode!r}")
        policy_json = ApprovalPolicy.from_dict(policy or {}).canonical_json()
        super().__init__(spec=ModelApprovalSpec(
            model=model, model_blessing=model_blessing, evaluation=evaluation,
            infra_blessing=infra_blessing, dataset_version=dataset_version,
            model_name=model_name, mode=mode, policy=policy_json,
            metadata_connection=metadata_connection, launched_by=launched_by,
            signing_key_env=signing_key_env, pipeline_run=pipeline_run, settings=settings,
            blessing=types.Channel(type=standard_artifacts.ModelBlessing)))
