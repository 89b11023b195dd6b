"""Stage machine moves, approval policy and digest checks; a refused command writes nothing."""

from __future__ import annotations

import os

import pytest

from pipeline.registry import (
    DigestMismatchError,
    IllegalTransitionError,
    RegistryError,
    UnauthorisedApproverError,
    stages,
)

MODEL = "penguins"


def _log_size(registry) -> int:
    return registry.verify().records_checked


def test_stage_table_allows_the_documented_moves_only():
    assert stages.is_allowed("candidate", "validated")
    assert stages.is_allowed("validated", "rejected")
    assert stages.is_allowed("rolled_back", "deployed")
    assert stages.is_allowed("deployed", "deployed")
    assert not stages.is_allowed("candidate", "approved")
    assert not stages.is_allowed("approved", "rejected")
    assert not stages.is_allowed("rejected", "validated")
    assert not stages.is_allowed("deprecated", "deprecated")


def test_legal_path_records_each_move_with_actor_and_reason(registry, add_version):
    info, _ = add_version("deployed")
    history = registry.history(MODEL, info.version)
    assert [(t.from_stage, t.to_stage) for t in history] == [
        ("none", "candidate"),
        ("candidate", "validated"),
        ("validated", "approved"),
        ("approved", "deployed"),
    ]
    assert [t.actor for t in history] == ["pipeline", "evaluator", "alice", "alice"]
    assert registry.version(MODEL, info.version).stage == "deployed"
    assert registry.version(MODEL, info.version).approved_by == "alice"


@pytest.mark.parametrize(
    "start, to_stage, current",
    [
        ("candidate", "deployed", "candidate"),
        ("validated", "validated", "validated"),
        ("rejected", "validated", "rejected"),
        ("deprecated", "deprecated", "deprecated"),
    ],
)
def test_illegal_transition_names_the_current_stage_and_writes_nothing(
    registry, add_version, serving_root, start, to_stage, current
):
    info, _ = add_version("validated" if start in ("validated", "rejected") else "candidate")
    if start == "rejected":
        registry.reject(MODEL, info.version, by="alice", reason="bad recall")
    if start == "deprecated":
        registry.deprecate(MODEL, info.version, actor="ops")
    before = _log_size(registry)
    with pytest.raises(IllegalTransitionError, match=current):
        if to_stage == "deployed":
            registry.push(MODEL, info.version, serving_root, actor="ops")
        else:
            registry.transition(MODEL, info.version, to_stage, actor="ops", reason="try")
    assert _log_size(registry) == before
    assert registry.version(MODEL, info.version).stage == current
    assert not os.path.exists(serving_root)


def test_approving_a_candidate_is_refused(registry, add_version):
    info, model = add_version("candidate")
    with pytest.raises(
        IllegalTransitionError, match="penguins@1 is candidate: cannot move to approved"
    ):
        registry.approve(MODEL, 1, by="alice", reason="ok", current_digest=model.digest)
    assert registry.version(MODEL, 1).stage == "candidate"


def test_generic_transition_applies_the_approval_policy_and_cannot_deploy(registry, add_version):
    add_version("validated", approval_policy={"allowed_approvers": ["policy:auto"]})
    with pytest.raises(UnauthorisedApproverError, match="mallory may not decide"):
        registry.transition(MODEL, 1, "approved", actor="mallory", reason="shortcut")
    with pytest.raises(DigestMismatchError):
        registry.transition(
            MODEL, 1, "approved", actor="policy:auto", reason="ok", model_digest="0"
        )
    assert registry.version(MODEL, 1).stage == "validated"
    record = registry.transition(MODEL, 1, "approved", actor="policy:auto", reason="policy passed")
    assert (record.from_stage, record.to_stage, record.actor) == (
        "validated",
        "approved",
        "policy:auto",
    )
    with pytest.raises(IllegalTransitionError, match="goes through push"):
        registry.transition(MODEL, 1, "deployed", actor="mallory", reason="shortcut")


def test_unlisted_approver_is_refused_and_the_log_is_unchanged(registry, add_version):
    _, model = add_version("validated", approval_policy={"allowed_approvers": ["alice", "bob"]})
    before = registry.history(MODEL)
    with pytest.raises(UnauthorisedApproverError, match="mallory may not decide on penguins@1"):
        registry.approve(MODEL, 1, by="mallory", reason="lgtm", current_digest=model.digest)
    assert registry.history(MODEL) == before
    assert (
        registry.approve(MODEL, 1, by="bob", reason="ok", current_digest=model.digest).actor
        == "bob"
    )


def test_self_approval_is_refused_unless_the_policy_allows_it(registry, add_version):
    _, model = add_version("validated", launched_by="carol")
    before = registry.history(MODEL)
    with pytest.raises(UnauthorisedApproverError, match="carol launched penguins@1"):
        registry.approve(MODEL, 1, by="carol", reason="mine", current_digest=model.digest)
    assert registry.history(MODEL) == before
    _, other = add_version(
        "validated", launched_by="carol", approval_policy={"allow_self_approval": True}
    )
    assert (
        registry.approve(MODEL, 2, by="carol", reason="mine", current_digest=other.digest).to_stage
        == "approved"
    )


def test_approve_refuses_a_changed_digest(registry, add_version):
    add_version("validated")
    before = _log_size(registry)
    with pytest.raises(DigestMismatchError, match="penguins@1: current digest f+ differs"):
        registry.approve(MODEL, 1, by="alice", reason="ok", current_digest="f" * 64)
    assert _log_size(registry) == before


def test_reject_and_deprecate(registry, add_version, serving_root):
    add_version("validated", approval_policy={"allowed_approvers": ["alice"]})
    with pytest.raises(UnauthorisedApproverError):
        registry.reject(MODEL, 1, by="mallory", reason="spite")
    assert (
        registry.reject(MODEL, 1, by="alice", reason="bias on island=Dream").to_stage == "rejected"
    )
    add_version("deployed")
    record = registry.deprecate(MODEL, 2, actor="ops", reason="superseded")
    assert (record.from_stage, record.to_stage) == ("deployed", "deprecated")
    assert registry.production(MODEL) is None
    config = open(os.path.join(serving_root, "models.config")).read()
    assert "penguins" not in config  # TF Serving stops serving the deprecated version


def test_approve_requires_a_reason(registry, add_version):
    _, model = add_version("validated")
    with pytest.raises(RegistryError, match="a reason is required"):
        registry.approve(MODEL, 1, by="alice", reason=" ", current_digest=model.digest)
