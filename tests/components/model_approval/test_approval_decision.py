"""ModelApproval's decision logic against a real registry on SQLite (no TFX, no TensorFlow)."""
from __future__ import annotations

import os

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from components.model_approval.decision import Candidate, decide
from components.model_approval.policy import ApprovalPolicy, Evidence, PolicyError, evaluate
from pipeline.digest import model_digest
from pipeline.registry import Registry

ACC = "sparse_categorical_accuracy"
POLICY = ApprovalPolicy(name="floor", metric_floors={ACC: 0.9}, min_improvement={ACC: 0.0})
GOOD = Evidence(evaluator_blessed=True, metrics={ACC: 0.97}, baseline_diffs={},
                infra_blessed=True, anomaly_count=0)


@pytest.fixture
def registry(tmp_path):
    return Registry.open({"sqlite": str(tmp_path / "m.sqlite")}, must_exist=False)


@pytest.fixture
def make_candidate(registry, tmp_path):
    type_id = registry.store.put_artifact_type(pb.ArtifactType(name="Model"))

    def make(tag: str, trained_digest: str | None = None) -> Candidate:
        model_dir = tmp_path / f"model-{tag}" / "Format-Serving"
        os.makedirs(model_dir)
        (model_dir / "saved_model.pb").write_bytes(f"graph {tag}".encode())
        [artifact_id] = registry.store.put_artifacts([pb.Artifact(
            type_id=type_id, uri=str(model_dir.parent))])
        digest = model_digest(str(model_dir))
        return Candidate("penguins", artifact_id, str(model_dir.parent), digest,
                         trained_digest if trained_digest is not None else digest,
                         push_source_uri=str(model_dir), metrics={ACC: 0.97})
    return make


def _stages(registry, version):
    return [(t.from_stage, t.to_stage) for t in registry.history("penguins", version)]


def test_auto_approves_a_good_model_naming_the_policy(registry, make_candidate):
    decision = decide(registry, POLICY, "auto", make_candidate("a"), GOOD)
    assert decision.decision == "approved" and decision.blessed
    assert decision.decided_by == POLICY.approver_id
    assert _stages(registry, 1) == [("none", "candidate"), ("candidate", "validated"),
                                    ("validated", "approved")]
    assert registry.history("penguins", 1)[-1].actor.startswith("policy:floor@sha256:")


def test_below_floor_is_rejected_with_the_measured_value(registry, make_candidate):
    weak = Evidence(**{**GOOD.__dict__, "metrics": {ACC: 0.85}})
    decision = decide(registry, POLICY, "auto", make_candidate("a"), weak)
    assert decision.decision == "rejected" and not decision.blessed
    assert decision.reasons == [f"metric_floor[{ACC}]: measured 0.85, required >= 0.9"]
    assert _stages(registry, 1)[-1] == ("validated", "rejected")


def test_failed_validation_rejects_from_candidate_listing_every_rule(registry, make_candidate):
    bad = Evidence(evaluator_blessed=False, metrics={ACC: 0.5}, baseline_diffs={},
                   infra_blessed=False, infra_reason="server_exited", anomaly_count=2,
                   anomaly_names=["sex", "island"])
    decision = decide(registry, POLICY, "auto", make_candidate("a"), bad)
    rules = [reason.split(":")[0] for reason in decision.reasons]
    assert rules == ["evaluator_blessing", f"metric_floor[{ACC}]", "infra_blessing",
                     "data_anomalies"]
    assert "not blessed (server_exited)" in decision.reasons[2]
    assert _stages(registry, 1)[-1] == ("candidate", "rejected")


def test_not_better_than_deployed_is_rejected(registry, make_candidate, tmp_path):
    decide(registry, POLICY, "auto", make_candidate("a"), GOOD)
    registry.push("penguins", 1, str(tmp_path / "serving"), actor="pipeline")
    worse = Evidence(**{**GOOD.__dict__, "metrics": {ACC: 0.93}})
    decision = decide(registry, POLICY, "auto", make_candidate("b"), worse)
    assert decision.decision == "rejected"
    assert decision.reasons == [f"beats_deployed[{ACC}]: measured -0.04, required >= 0.0"]
    assert not os.path.exists(tmp_path / "serving" / "penguins" / "2")


def test_manual_mode_leaves_the_version_validated_and_pending(registry, make_candidate):
    decision = decide(registry, POLICY, "manual", make_candidate("a"), GOOD)
    assert decision.decision == "pending" and not decision.blessed
    assert "ledger approve penguins 1" in decision.reasons[0]
    assert registry.version("penguins", 1).stage == "validated"


def test_a_model_changed_since_training_is_rejected(registry, make_candidate):
    decision = decide(registry, POLICY, "auto", make_candidate("a", trained_digest="0" * 64),
                      GOOD)
    assert decision.decision == "rejected"
    assert decision.reasons[0].startswith("model_digest: measured")


def test_rerun_resumes_a_validated_version_and_leaves_decided_ones_alone(registry,
                                                                       make_candidate, tmp_path):
    candidate = make_candidate("a")
    assert decide(registry, POLICY, "manual", candidate, GOOD).decision == "pending"
    assert decide(registry, POLICY, "auto", candidate, GOOD).decision == "approved"
    records = len(registry.history("penguins"))
    resumed = decide(registry, POLICY, "auto", candidate, GOOD)  # died before its push
    assert resumed.decision == "approved" and resumed.blessed and resumed.version == 1
    assert resumed.record_hash == registry.history("penguins")[-1].record_hash
    assert len(registry.history("penguins")) == records  # nothing re-decided, nothing written
    registry.push("penguins", 1, str(tmp_path / "serving"), actor="pipeline")
    again = decide(registry, POLICY, "auto", candidate, GOOD)
    assert again.decision == "unchanged" and again.version == 1
    assert len(registry.versions("penguins")) == 1


def test_policy_rules_and_identity():
    assert evaluate(POLICY, GOOD) == []
    no_infra = Evidence(**{**GOOD.__dict__, "infra_blessed": None})
    assert [str(f) for f in evaluate(POLICY, no_infra)] == [
        "infra_blessing: measured not run, required blessed"]
    assert ApprovalPolicy.from_dict(POLICY.to_dict()).digest == POLICY.digest
    assert ApprovalPolicy(name="floor", metric_floors={ACC: 0.91}).digest != POLICY.digest
    with pytest.raises(PolicyError, match="unknown approval policy key"):
        ApprovalPolicy.from_dict({"floors": {}})
