"""Takes the approval decision for one candidate and records it in the registry (no TFX imports)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from components.model_approval.policy import ApprovalPolicy, Evidence, evaluate

PIPELINE_ACTOR = "pipeline"


@dataclass(frozen=True)
class Candidate:
    """A trained model as the registry needs to see it."""

    model_name: str
    model_artifact_id: int
    model_uri: str
    model_digest: str
    trained_digest: str  # what the trainer recorded; must equal model_digest
    push_source_uri: str = ""
    dataset_version_id: str = ""
    pipeline_run: str = ""
    launched_by: str = ""
    metrics: dict = field(default_factory=dict)
    serving_root: str = ""  # where approval pushes it; recorded on the version


@dataclass(frozen=True)
class Decision:
    decision: str  # approved | rejected | pending | unchanged
    decided_by: str
    version: int
    reasons: list = field(default_factory=list)
    record_hash: str = ""

    @property
    def blessed(self) -> bool:
        return self.decision == "approved"


def decide(registry, policy: ApprovalPolicy, mode: str, candidate: Candidate,
           evidence: Evidence) -> Decision:
    """Registers the candidate as a version, then approves, rejects or leaves it pending."""
    version = registry.register_version(
        candidate.model_name, candidate.model_artifact_id, candidate.model_uri,
        candidate.model_digest, push_source_uri=candidate.push_source_uri,
        dataset_version_id=candidate.dataset_version_id, pipeline_run=candidate.pipeline_run,
        approval_policy=policy.decider_rules(), launched_by=candidate.launched_by,
        actor=PIPELINE_ACTOR, metrics=candidate.metrics, serving_root=candidate.serving_root)
    # A run that died after validating resumes from there, one that died after approving resumes
    # its push; deployed, rejected and later stages are already decided.
    if version.stage == "approved":
        return _resume_approved(registry, version)
    if version.stage not in ("candidate", "validated"):
        return Decision("unchanged", PIPELINE_ACTOR, version.version, [
            f"model already registered as {candidate.model_name}@{version.version} "
            f"(stage {version.stage}); nothing to decide"])
    failures = [str(f) for f in evaluate(policy, _with_deployed_baseline(
        registry, candidate.model_name, evidence))]
    if candidate.trained_digest and candidate.trained_digest != candidate.model_digest:
        failures.insert(0, f"model_digest: measured {candidate.model_digest[:16]}, "
                           f"required {candidate.trained_digest[:16]} (changed since training)")
    validation_failed = [f for f in failures if f.split(":")[0] in VALIDATION_RULES]
    if not validation_failed and version.stage == "candidate":
        registry.transition(candidate.model_name, version.version, "validated",
                            actor=PIPELINE_ACTOR, reason=_validated_reason(evidence))
    if failures:
        record = registry.transition(candidate.model_name, version.version, "rejected",
                                     actor=policy.approver_id, reason="; ".join(failures))
        return Decision("rejected", policy.approver_id, version.version, failures,
                        record.record_hash)
    if mode == "manual":
        return Decision("pending", "", version.version,
                        ["awaiting a person: ledger approve "
                         f"{candidate.model_name} {version.version} --by NAME --reason TEXT"])
    # The policy is the approver here: it was configured for this pipeline, so the approver
    # list for people does not apply; the digest is checked as for a person's approval.
    record, _ = registry.move(candidate.model_name, version.version, "approved",
                              actor=policy.approver_id, reason=f"policy {policy.name} passed",
                              model_digest=candidate.model_digest)
    return Decision("approved", policy.approver_id, version.version,
                    [f"policy {policy.name} passed"], record.record_hash)


VALIDATION_RULES = ("evaluator_blessing", "infra_blessing", "model_digest")


def _resume_approved(registry, version) -> Decision:
    """Approved but never deployed: a run died before its push. Bless it again (no new record)
    so this run's pusher finishes the push instead of leaving the version stranded."""
    approval = [t for t in registry.history(version.model_name, version.version)
                if t.to_stage == "approved"][-1]
    return Decision("approved", approval.actor, version.version, [
        f"{version.identifier} was approved by {approval.actor} at {approval.decided_at} "
        "but not deployed; resuming the push"], approval.record_hash)


def _with_deployed_baseline(registry, model_name: str, evidence: Evidence) -> Evidence:
    """Without a TFMA baseline (none resolved, or a pipeline compiled without the resolver),
    compare with the metrics recorded for the deployed version."""
    if evidence.baseline_diffs:
        return evidence
    deployed = registry.production(model_name)
    if deployed is None or not deployed.metrics:
        return evidence
    diffs = {name: value - deployed.metrics[name] for name, value in evidence.metrics.items()
             if isinstance(deployed.metrics.get(name), (int, float))}
    return dataclasses.replace(evidence, baseline_diffs=diffs)


def _validated_reason(evidence: Evidence) -> str:
    infra = {None: "infra validation not run", True: "infra blessed", False: "infra not blessed"}
    return f"evaluator blessed; {infra[evidence.infra_blessed]}"
