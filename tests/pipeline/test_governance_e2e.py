"""Approval, refusals, policy rejection, a restart between approval and push, and rollback, on real
pipeline runs in their own ledger home (the shared home's registry is never changed)."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.paths import LedgerPaths
from pipeline.registry import Registry
from pipeline.settings import resolve
from pipeline.signing.keys import ensure_key

pytestmark = pytest.mark.pipeline

ACCURACY = "sparse_categorical_accuracy"
STRICT_POLICY = {"name": "strict", "metric_floors": {ACCURACY: 1.01}}


def _ledger(paths: LedgerPaths, *args, key: str | None = None):
    signing = ["--key", key] if key else []
    return CliRunner().invoke(cli, ["--home", paths.home, *signing, *args])


def _registry(paths: LedgerPaths) -> Registry:
    return Registry.open({"sqlite": paths.metadata_path})


def _version_dirs(paths: LedgerPaths) -> list[str]:
    root = os.path.join(paths.serving_root, "penguins")
    return sorted(d for d in os.listdir(root) if d.isdigit()) if os.path.isdir(root) else []


@pytest.fixture(scope="module")
def home(governed_home):
    return governed_home


@pytest.fixture(scope="module")
def keys(home, tmp_path_factory) -> dict[str, str]:
    """alice, bob and carol's own keys, listed in the home's allowed signers beside the
    pipeline's service key that the run created there."""
    root = tmp_path_factory.mktemp("people")
    keys = {name: ensure_key(str(root / name))[0] for name in ("alice", "bob", "carol")}
    with open(resolve(home=home.home).allowed_signers_path, "a") as handle:
        handle.writelines(f"{name} {key.public_line}\n" for name, key in keys.items())
    return {name: key.path for name, key in keys.items()}


def test_the_run_signed_every_record_with_its_service_key(home):
    settings = resolve(home=home.home)
    assert stat.S_IMODE(os.stat(settings.service_key_path).st_mode) == 0o600
    registry = Registry.from_settings(settings)
    history = registry.history("penguins")
    assert history and {t.signer for t in history} == {"pipeline"}
    assert {registry.record_status(t).state for t in history} == {"verified"}
    info = registry.version("penguins", 1)
    assert info.serving_root == home.serving_root  # where approval will push it
    assert info.approval_policy["allowed_signers"] == settings.allowed_signers_path


def test_manual_run_leaves_version_pending_and_pushes_nothing(home):
    info = _registry(home).version("penguins", 1)
    assert info.stage == "validated"
    assert _version_dirs(home) == []


def test_unlisted_and_self_approval_are_refused_and_log_unchanged(home, keys):
    before = _registry(home).history("penguins")
    mallory = _ledger(home, "approve", "penguins@1", "--by", "mallory", "--reason", "ok")
    assert mallory.exit_code == 1 and "mallory" in mallory.output
    impostor = _ledger(home, "approve", "penguins@1", "--by", "alice", "--reason", "ok",
                       key=keys["bob"])
    assert impostor.exit_code == 1 and "alice may not sign with key" in impostor.output
    carol = _ledger(home, "approve", "penguins@1", "--by", "carol", "--reason", "mine",
                    key=keys["carol"])
    assert carol.exit_code == 1 and "carol" in carol.output
    assert _registry(home).history("penguins") == before
    assert _version_dirs(home) == []


def test_allowed_approver_deploys_and_is_named(home, keys):
    result = _ledger(home, "approve", "penguins@1", "--by", "alice", "--reason", "reviewed",
                     key=keys["alice"])
    assert result.exit_code == 0, result.output
    history = _registry(home).history("penguins", 1)
    approved = [t for t in history if t.to_stage == "approved"]
    assert [t.actor for t in approved] == ["alice"]
    assert history[-1].to_stage == "deployed"
    assert _version_dirs(home) == ["1"]
    assert _registry(home).resolve("penguins@production").version == 1


def test_illegal_transition_is_refused_naming_the_stage(home, keys):
    before = _registry(home).history("penguins")
    again = _ledger(home, "approve", "penguins@1", "--by", "bob", "--reason", "twice",
                    key=keys["bob"])
    assert again.exit_code == 1 and "deployed" in again.output
    assert _registry(home).history("penguins") == before


@pytest.fixture(scope="module")
def strict_run(home, penguins):
    from pipeline.local_runner import run_local
    return run_local(penguins, home, train_steps=210, approval_policy=STRICT_POLICY)


def test_policy_rejection_lists_each_failed_rule_and_creates_no_directory(strict_run, home):
    info = _registry(home).version("penguins", 2)
    assert info.stage == "rejected"
    rejected = _registry(home).history("penguins", 2)[-1]
    assert rejected.actor.startswith("policy:strict@sha256:")
    assert re.search(rf"metric_floor\[{ACCURACY}\]: measured 0?\.?[0-9.]+, required >= 1.01",
                     rejected.reason), rejected.reason
    assert _version_dirs(home) == ["1"]
    assert strict_run.pushed_model is None or strict_run.pushed_model.endswith("/1")


APPROVE_ONLY = """
import sys
from pipeline.digest import model_digest
from pipeline.registry import Registry
from pipeline.settings import resolve
from pipeline.signing.keys import ensure_key
from pipeline.registry.deploy import source_dir_of
from pipeline.settings import resolve
from pipeline.signing.identity import person_signer
settings = resolve(home=sys.argv[1], key=sys.argv[2])
registry = Registry.from_settings(settings, signer=person_signer(settings, "bob"))
info = registry.version("penguins", 3)
registry.approve("penguins", 3, by="bob", reason="reviewed", current_digest=model_digest(
    source_dir_of(info)))
"""


@pytest.fixture(scope="module")
def third_version(strict_run, home, penguins, governed_policy, keys):
    from pipeline.local_runner import run_local
    run_local(penguins, home, train_steps=220, approval_mode="manual",
              approval_policy=governed_policy, launched_by="carol")
    # The approver's process ends right after the decision, before any push.
    subprocess.run([sys.executable, "-c", APPROVE_ONLY, home.home, keys["bob"]], check=True,
                   timeout=120)
    return home


def test_restart_between_approval_and_push_loses_nothing(third_version):
    home = third_version
    assert _registry(home).version("penguins", 3).stage == "approved"
    assert _version_dirs(home) == ["1"]
    result = _ledger(home, "push", "penguins@3")
    assert result.exit_code == 0, result.output
    assert _version_dirs(home) == ["1", "3"]
    assert _registry(home).resolve("penguins@production").version == 3


def test_rollback_redeploys_previous_and_then_has_nothing_earlier(third_version, keys):
    home = third_version
    result = _ledger(home, "rollback", "penguins", "--by", "alice", key=keys["alice"])
    assert result.exit_code == 0, result.output
    registry = _registry(home)
    assert registry.resolve("penguins@production").version == 1
    assert registry.version("penguins", 3).stage == "rolled_back"
    moves = [(t.version, t.from_stage, t.to_stage) for t in registry.history("penguins")[-2:]]
    assert sorted(moves) == [(1, "deployed", "deployed"), (3, "deployed", "rolled_back")]
    again = _ledger(home, "rollback", "penguins", "--by", "alice", key=keys["alice"])
    assert again.exit_code == 1 and "nothing to roll back to" in again.output
    verify = _ledger(home, "verify")
    assert verify.exit_code == 0, verify.output  # every record signed by an allowed signer
    records = len(_registry(home).history("penguins"))
    assert verify.output.startswith(f"OK: {records} records checked: {records} signed by")
