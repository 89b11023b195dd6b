"""ModelApproval executor: gathers the evidence, takes the decision, writes the ModelBlessing."""
from __future__ import annotations

import dataclasses
import datetime
import json
import os

from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import path_utils

from components.data_lineage.artifacts import fact
from components.model_approval.decision import Candidate, decide
from components.model_approval.policy import ApprovalPolicy, Evidence
from pipeline.digest import model_digest
from pipeline.signing.service import pipeline_registry, settings_of

# The Model type as LocalDagRunner records it, and as the KFP launcher does (its schema title).
MODEL_TYPE_NAMES = ("Model", "tfx.Model")


def _optional(input_dict, key):
    artifacts = input_dict.get(key) or []
    return artifacts[0] if artifacts else None


def _overall_metrics(evaluation) -> tuple[dict, dict]:
    """Candidate metric values and their diffs against the baseline, on the overall slice."""
    if evaluation is None:
        return {}, {}
    import tensorflow_model_analysis as tfma

    values, diffs = {}, {}
    for slice_metrics in tfma.load_metrics(evaluation.uri):
        if slice_metrics.slice_key.single_slice_keys:
            continue
        for keyed in slice_metrics.metric_keys_and_values:
            if keyed.key.model_name not in ("", "candidate") or not keyed.value.HasField(
                    "double_value"):
                continue
            target = diffs if keyed.key.is_diff else values
            target[keyed.key.name] = keyed.value.double_value.value
    return values, diffs


def gather_evidence(input_dict) -> Evidence:
    blessing = artifact_utils.get_single_instance(input_dict["model_blessing"])
    metrics, diffs = _overall_metrics(_optional(input_dict, "evaluation"))
    infra = _optional(input_dict, "infra_blessing")
    dataset = _optional(input_dict, "dataset_version")
    return Evidence(
        evaluator_blessed=blessing.get_int_custom_property("blessed") == 1,
        metrics=metrics,
        baseline_diffs=diffs,
        infra_blessed=None if infra is None else infra.get_int_custom_property("blessed") == 1,
        infra_reason="" if infra is None else infra.get_string_custom_property("reason"),
        anomaly_count=None if dataset is None else fact(dataset, "anomaly_count"),
        anomaly_names=[] if dataset is None else json.loads(fact(dataset, "anomaly_names", "[]")),
    )


def registered_model_id(store, model) -> int:
    """The Model's id in the registry's store.

    Under LocalDagRunner that is `model.id`. On Kubeflow the executor only sees a hash of the
    KFP artifact name, so the artifact is found by its URI instead.
    """
    found = store.get_artifacts_by_id([model.id]) if model.id else []
    if found and found[0].uri == model.uri:
        return model.id
    # Only Model artifacts: a ModelVersion of this model has the same URI, and registering it
    # as the model would allocate another version when the task is retried.
    model_types = {t.id for t in store.get_artifact_types() if t.name in MODEL_TYPE_NAMES}
    by_uri = [a for a in store.get_artifacts_by_uri(model.uri) if a.type_id in model_types]
    if not by_uri:
        raise RuntimeError(f"the Model at {model.uri} is not in the registry's MLMD store; "
                           "point metadata_connection at the store the pipeline records into")
    return max(a.id for a in by_uri)


def push_source(model, infra) -> str:
    """The directory to deploy: the infra validator's warmed-up copy when it made one."""
    if infra is not None and infra.get_int_custom_property("has_model") == 1:
        return path_utils.stamped_model_path(infra.uri)
    return path_utils.serving_model_path(model.uri)


class Executor(base_executor.BaseExecutor):
    """Registers the candidate version and records an approval decision for it."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:  # noqa: N802 (TFX API)
        model = artifact_utils.get_single_instance(input_dict["model"])
        dataset = _optional(input_dict, "dataset_version")
        evidence = gather_evidence(input_dict)
        registry = pipeline_registry(exec_properties, must_exist=False)
        settings = settings_of(exec_properties)
        policy = ApprovalPolicy.from_dict(json.loads(exec_properties["policy"]))
        if settings is not None and not policy.allowed_signers:
            policy = dataclasses.replace(policy, allowed_signers=settings.allowed_signers_path)
        candidate = Candidate(
            model_name=exec_properties["model_name"],
            model_artifact_id=registered_model_id(registry.store, model),
            model_uri=model.uri,
            model_digest=model_digest(path_utils.serving_model_path(model.uri)),
            trained_digest=model.get_string_custom_property("model_digest"),
            push_source_uri=push_source(model, _optional(input_dict, "infra_blessing")),
            dataset_version_id=fact(dataset, "dataset_version_id", "") if dataset else "",
            pipeline_run=self._pipeline_run(exec_properties),
            launched_by=exec_properties.get("launched_by") or "",
            metrics=evidence.metrics,
            serving_root=settings.serving_root if settings is not None else "",
        )
        decision = decide(registry, policy, exec_properties["mode"], candidate, evidence)
        self._write_blessing(output_dict, decision, candidate, input_dict, evidence)

    def _pipeline_run(self, exec_properties) -> str:
        """The run id: from the spec on Kubeflow (filled by the backend), else the context's."""
        if exec_properties.get("pipeline_run"):
            return exec_properties["pipeline_run"]
        return (self._context.pipeline_run_id if self._context else None) or ""

    @staticmethod
    def _write_blessing(output_dict, decision, candidate, input_dict, evidence) -> None:
        blessing = artifact_utils.get_single_instance(output_dict["blessing"])
        evidence_ids = {key: [a.id for a in input_dict.get(key) or []] for key in (
            "model", "model_blessing", "evaluation", "infra_blessing", "dataset_version")}
        facts = {
            "decision": decision.decision, "decided_by": decision.decided_by,
            "decided_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "reasons": json.dumps(decision.reasons), "model_digest": candidate.model_digest,
            "evidence_ids": json.dumps(evidence_ids, sort_keys=True),
            "model_name": candidate.model_name, "approval_record_hash": decision.record_hash,
            "metrics": json.dumps(evidence.metrics, sort_keys=True),
            "current_model": candidate.model_uri,
        }
        for key, value in facts.items():
            blessing.set_string_custom_property(key, value)
        blessing.set_int_custom_property("blessed", int(decision.blessed))
        blessing.set_int_custom_property("version", decision.version)
        blessing.set_int_custom_property("current_model_id", candidate.model_artifact_id)
        marker = "BLESSED" if decision.blessed else "NOT_BLESSED"
        # KFP's launcher creates only the task's folder, not each output artifact's (on GCS no
        # folder is needed; on a local or mounted pipeline root it is).
        fileio.makedirs(blessing.uri)
        with fileio.open(os.path.join(blessing.uri, marker), "w") as handle:
            handle.write(json.dumps(decision.reasons))
