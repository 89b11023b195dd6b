"""The registry's click commands, and that importing the registry pulls in no TFX or TensorFlow."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.commands.registry import COMMANDS
from pipeline.paths import PROJECT_ROOT

MODEL = "penguins"
KEY_ENV = "LEDGER_TEST_SIGNING_KEY"


@pytest.fixture
def ledger(people):
    """Invoke a command; a decision `--by NAME` is signed with NAME's key unless `key` is given."""
    runner = CliRunner()

    def invoke(*args, home, key=None):
        by = args[args.index("--by") + 1] if "--by" in args else None
        key = key or (people[by].path if by in people else None)
        signing = ["--key", key] if key else []
        return runner.invoke(
            cli, ["--home", home, "--signing-key-env", KEY_ENV, *args, *signing],
            catch_exceptions=False,
        )

    return invoke


def test_commands_are_exposed():
    assert sorted(c.name for c in COMMANDS) == sorted(
        [
            "models",
            "push",
            "versions",
            "show",
            "approve",
            "reject",
            "rollback",
            "deprecate",
            "history",
            "verify",
            "checkpoint",
        ]
    )


def test_approve_pushes_and_versions_shows_the_approver(ledger, add_version, home):
    add_version("validated", metrics={"accuracy": 0.975, "auc": 0.99})
    result = ledger("approve", f"{MODEL}@1", "--by", "alice", "--reason", "metrics ok", home=home)
    assert result.exit_code == 0, result.output
    assert "pushed penguins@1" in result.stdout
    assert os.path.isfile(os.path.join(home, "serving", MODEL, "1", "manifest.json"))
    table = ledger("versions", MODEL, home=home).stdout
    assert "deployed" in table and "accuracy=0.975" in table and "alice" in table
    [row] = json.loads(ledger("versions", MODEL, "--json", home=home).stdout)
    assert (row["stage"], row["approved_by"]) == ("deployed", "alice")
    assert row["deployed_at"].endswith("Z")


def test_unauthorised_approval_is_one_line_on_stderr_and_exit_1(
    ledger, add_version, registry, home
):
    add_version("validated", approval_policy={"allowed_approvers": ["alice"]})
    result = ledger("approve", f"{MODEL}@1", "--by", "bob", "--reason", "x", home=home)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: bob may not decide on penguins@1: allowed approvers are alice"
    )
    assert "Traceback" not in result.output
    assert registry.version(MODEL, 1).stage == "validated"


def test_models_show_history_reject_deprecate(ledger, add_version, home):
    add_version("deployed")
    add_version("validated")
    assert "penguins  2" in ledger("models", home=home).stdout
    shown = ledger("show", f"{MODEL}@production", home=home).stdout
    assert "version: 1" in shown and "approved -> deployed by alice" in shown
    shown_json = json.loads(ledger("show", f"{MODEL}@2", "--json", home=home).stdout)
    assert shown_json["version"]["stage"] == "validated"
    assert [t["to_stage"] for t in shown_json["history"]] == ["candidate", "validated"]
    rejected = ledger("reject", f"{MODEL}@2", "--by", "alice", "--reason", "bias", home=home)
    assert rejected.exit_code == 0
    assert ledger("deprecate", f"{MODEL}@1", "--by", "ops", home=home).exit_code == 0
    records = json.loads(ledger("history", MODEL, "--json", home=home).stdout)
    assert [r["to_stage"] for r in records][-2:] == ["rejected", "deprecated"]
    only_two = ledger("history", f"{MODEL}@2", home=home).stdout.splitlines()
    assert len(only_two) == 1 + 3  # header + candidate, validated, rejected


def test_rollback_command(ledger, add_version, home):
    add_version("deployed")
    failed = ledger("rollback", MODEL, "--by", "bob", home=home)
    assert failed.exit_code == 1
    assert ("nothing to roll back to: no version earlier than penguins@1 was deployed"
            in failed.stderr)
    add_version("deployed")
    rows = _stages(ledger("versions", MODEL, home=home).stdout)
    assert rows == {"1": "deployed", "2": "deployed (production)"}
    result = ledger("rollback", MODEL, "--by", "bob", "--reason", "drift", home=home)
    assert result.exit_code == 0 and "penguins@2 -> penguins@1" in result.stdout
    rows = _stages(ledger("versions", MODEL, home=home).stdout)
    assert rows == {"1": "deployed (production)", "2": "rolled_back"}


def _stages(table: str) -> dict:
    """VERSION -> STAGE cell of `ledger versions` output (a stage may hold one space)."""
    lines = table.splitlines()
    start, end = lines[0].index("STAGE"), lines[0].index("STATUS")
    return {line.split()[0]: line[start:end].strip() for line in lines[1:]}


def test_verify_command_reports_tampering_with_exit_2(ledger, add_version, home):
    add_version("deployed")
    ok = ledger("verify", home=home)
    assert ok.exit_code == 3 and ok.stdout.startswith("LEGACY: 4 records checked: 0 signed by "
                                                      "allowed signers, 4 legacy HMAC")
    with sqlite3.connect(os.path.join(home, "metadata.sqlite")) as db:
        db.execute(
            "UPDATE ExecutionProperty SET string_value = 'mallory' WHERE name = 'actor' "
            "AND execution_id = (SELECT MIN(execution_id) FROM ExecutionProperty)"
        )
    bad = ledger("verify", home=home)
    assert bad.exit_code == 2 and "seq 1 (execution 1): record_hash" in bad.stdout


def test_read_command_on_a_missing_store_fails_without_creating_it(ledger, tmp_path):
    home = str(tmp_path / "empty")
    result = ledger("models", home=home)
    assert result.exit_code == 1 and result.stderr.startswith("error: no MLMD store at")
    assert not os.path.exists(os.path.join(home, "metadata.sqlite"))


def test_importing_the_registry_does_not_import_tensorflow_or_tfx():
    code = (
        "import sys, pipeline.registry, pipeline.commands.registry; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tfx')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "[]"
