"""trace() on the shared pipeline store, checked against ids looked up with plain MLMD calls."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.pipeline


def _artifact_ids(trace, type_name: str) -> set[int]:
    return {n.id for n in trace.graph.nodes if n.kind == "artifact" and n.type == type_name}


def _execution_ids(trace) -> set[int]:
    return {n.id for n in trace.graph.nodes if n.kind == "execution"}


def test_trace_reaches_the_trainer_transform_dataset_and_raw_data(lineage, mlmd):
    version = mlmd.artifact("ModelVersion", "penguins@1")
    model_id = version.properties["model_artifact_id"].int_value
    trainer = mlmd.producer(model_id)
    dataset = mlmd.input_of(trainer, "dataset_version")
    raw = mlmd.input_of(mlmd.producer(dataset), "source")
    transform = mlmd.producer(mlmd.input_of(trainer, "transform_graph"))

    trace = lineage.trace("penguins@1")

    assert trace.version.artifact_id == version.id
    assert trace.training.model_artifact_id == model_id
    assert trace.training.trainer_execution_id == trainer
    assert trace.training.transform_execution_id == transform
    assert {trainer, transform, mlmd.producer(dataset)} <= _execution_ids(trace)
    assert _artifact_ids(trace, "DatasetVersion") == {dataset}
    assert _artifact_ids(trace, "RawData") == {raw}
    [dataset_artifact] = mlmd.store.get_artifacts_by_id([dataset])
    assert trace.data.dataset_version_id == dataset_artifact.properties[
        "dataset_version_id"].string_value


def test_trace_reaches_the_raw_file_digest(lineage, penguins_csv_sha256):
    trace = lineage.trace("penguins@1")
    [source] = [f for f in trace.data.raw_files if f["name"] == "penguins.csv"]
    assert source["sha256"] == penguins_csv_sha256
    assert trace.data.source_sha256 == penguins_csv_sha256


def test_trace_records_hyperparameters_and_code_revisions(lineage, mlmd):
    version = mlmd.artifact("ModelVersion", "penguins@1")
    [model] = mlmd.store.get_artifacts_by_id([version.properties["model_artifact_id"].int_value])
    trace = lineage.trace("penguins@1")
    expected = json.loads(model.custom_properties["hyperparameters"].string_value)
    assert trace.training.hyperparameters == expected and expected
    assert trace.training.code_revision == model.custom_properties["code_revision"].string_value
    assert trace.training.run_manifest["train_steps"] == 200
    assert len(trace.data.code_revision) == 40


def test_trace_reaches_evaluation_infra_and_approval(lineage, mlmd):
    model_id = mlmd.artifact("ModelVersion", "penguins@1").properties["model_artifact_id"].int_value
    evaluator = mlmd.consumers(model_id, "model", ".Evaluator")[0]
    [evaluation] = mlmd.outputs_of(evaluator, "ModelEvaluation")
    [infra] = mlmd.outputs_of(mlmd.consumers(model_id, "model", "LedgerInfraValidator")[0],
                              "InfraBlessing")
    approval = mlmd.consumers(model_id, "model", ".ModelApproval")[0]
    [decision] = mlmd.outputs_of(approval, "ModelBlessing")

    trace = lineage.trace("penguins@1")

    assert evaluation in _artifact_ids(trace, "ModelEvaluation")
    [evaluation_artifact] = mlmd.store.get_artifacts_by_id([evaluation])
    assert trace.evaluation.evaluation_uri == evaluation_artifact.uri
    assert trace.evaluation.blessed is True
    assert trace.evaluation.metrics["sparse_categorical_accuracy"] > 0.9
    assert infra in _artifact_ids(trace, "InfraBlessing") and trace.infra.blessed is True
    assert trace.infra.latency_p99_ms > 0
    assert trace.approval.blessing_artifact_id == decision
    assert trace.approval.decision == "approved" and trace.approval.decided_by


def test_trace_lists_the_versions_governance_records(lineage, mlmd):
    records = [x for x in mlmd.transitions("penguins") if x.properties["version"].int_value == 1]
    trace = lineage.trace("penguins@1")
    assert [t.seq for t in trace.history] == [x.properties["seq"].int_value for x in records]
    assert {x.id for x in records} <= _execution_ids(trace)
    assert trace.history[-1].to_stage == "deployed"
    assert trace.deployments and trace.deployments[0].endswith("/penguins/1")


def test_a_later_runs_baseline_evaluation_is_not_lineage_of_the_earlier_model(lineage, mlmd):
    model_1 = mlmd.artifact("ModelVersion", "penguins@1").properties["model_artifact_id"].int_value
    model_2 = mlmd.artifact("ModelVersion", "penguins@2").properties["model_artifact_id"].int_value
    # penguins@2's Evaluator read penguins@1 as its baseline: that is comparison, not lineage.
    [evaluator_2] = mlmd.consumers(model_2, "model", ".Evaluator")
    assert evaluator_2 in mlmd.consumers(model_1, "baseline_model", ".Evaluator")
    trace = lineage.trace("penguins@1")
    assert evaluator_2 not in _execution_ids(trace)
    assert model_2 not in _artifact_ids(trace, "Model")


def test_penguins_at_2_shares_the_data_but_not_the_trainer(lineage):
    first, second = lineage.trace("penguins@1"), lineage.trace("penguins@2")
    assert second.data.dataset_version_id == first.data.dataset_version_id
    assert second.training.trainer_execution_id != first.training.trainer_execution_id
    assert lineage.trace("penguins@production").version.version == 2


def test_the_loans_trace_never_touches_penguin_data(lineage, mlmd):
    penguin_raw = lineage.trace("penguins@1").data.raw_data_uri
    trace = lineage.trace("loans@1")
    assert trace.data.raw_data_uri != penguin_raw
    assert not [n for n in trace.graph.nodes if "ledger-penguins" in n.uri]
