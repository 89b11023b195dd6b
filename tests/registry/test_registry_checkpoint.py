"""Incremental verify from a checkpoint: what was appended since, and the checkpoint record."""

from __future__ import annotations

import json
import sqlite3

import pytest

from pipeline.registry import GovernanceLogError, checkpoint, heads

MODEL = "penguins"


@pytest.fixture
def checkpointed(registry, add_version, tmp_path):
    add_version("deployed")
    add_version("deployed")
    path = checkpoint.write(str(tmp_path / "cp.json"), registry.checkpoint())
    return checkpoint.read(path)


def test_incremental_verify_checks_only_what_is_new(registry, add_version, checkpointed):
    assert (checkpointed.seq, checkpointed.heads) == (8, {MODEL: 8})
    add_version("deployed")
    registry.rollback(MODEL, actor="alice", reason="latency")  # retires @3: needs a replay
    report = registry.verify(checkpointed)
    assert report.ok, report.problems
    assert (report.records_checked, report.since_seq) == (6, 8)
    assert registry.verify(checkpointed, full=True).records_checked == 14
    again = registry.checkpoint(since=checkpointed)
    assert (again.seq, again.heads) == (14, {MODEL: 14})


def _db(spec):
    return sqlite3.connect(json.loads(spec)["sqlite"], isolation_level=None)


def test_a_rewritten_record_below_the_checkpoint_fails(registry, checkpointed, spec):
    last = registry.history(MODEL)[-1]
    with _db(spec) as db:
        db.execute("UPDATE ExecutionProperty SET string_value = ? WHERE execution_id = ? "
                   "AND name = 'record_hash'", ("f" * 64, last.execution_id))
    problems = registry.verify(checkpointed).problems
    assert any("seq 8 has hash ffffffffffff" in p and "rewritten" in p for p in problems)


def test_a_truncated_log_fails_against_the_checkpoint(registry, checkpointed, spec):
    with _db(spec) as db:
        db.execute("UPDATE ContextProperty SET int_value = 6 WHERE name = 'head_seq' "
                   "AND context_id = (SELECT id FROM Context WHERE name = 'governance-log')")
    problems = registry.verify(checkpointed).problems
    assert "the log ends at seq 6, before the checkpoint's seq 8 (records deleted)" in problems


def test_a_head_edited_after_the_checkpoint_fails_incremental_verify(registry, add_version,
                                                                      checkpointed, spec):
    add_version("approved")
    head = heads.read(registry.store, MODEL)
    with _db(spec) as db:
        db.execute("UPDATE ContextProperty SET int_value = 1 WHERE context_id = ? "
                   "AND name = 'production'", (head.context_id,))
    problems = registry.verify(checkpointed).problems
    assert any(p.startswith("head of penguins says production 1,") for p in problems), problems


def test_no_checkpoint_of_a_log_that_fails(registry, checkpointed, spec):
    head = heads.read(registry.store, MODEL)
    with _db(spec) as db:
        db.execute("UPDATE ContextProperty SET int_value = 1 WHERE context_id = ? "
                   "AND name = 'production'", (head.context_id,))
    with pytest.raises(GovernanceLogError, match="not checkpointing"):
        registry.checkpoint()


def test_an_unreadable_checkpoint_is_one_error_naming_the_file(tmp_path):
    path = tmp_path / "cp.json"
    path.write_text('{"format": "tfx-ledger-checkpoint/1", "seq": "x"}')
    with pytest.raises(Exception, match=f"checkpoint {path}: missing or malformed field"):
        checkpoint.read(str(path))


def test_checkpoint_and_verify_commands(registry, add_version, home, tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import cli

    add_version("deployed")
    out = str(tmp_path / "head.json")
    written = CliRunner().invoke(cli, ["--home", home, "checkpoint", "--out", out])
    assert written.exit_code == 0 and "checkpoint at seq 4 (1 models)" in written.output
    add_version("approved")
    result = CliRunner().invoke(cli, ["--home", home, "verify", "--checkpoint", out])
    assert result.exit_code == 3, result.output  # this fixture's records predate signatures
    assert result.output.startswith("LEGACY: 3 records checked since checkpoint seq 4")
