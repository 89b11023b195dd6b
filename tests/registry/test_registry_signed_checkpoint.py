"""Signed checkpoints outside the store: a rewritten or truncated chain, and a checkpoint by an
unknown key or edited after signing, fail `ledger verify --checkpoint`."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from click.testing import CliRunner
from signed_store import MODEL, as_person, as_pipeline, candidate, reader, tamper

from pipeline.cli import cli as ledger
from pipeline.registry import checkpoint
from pipeline.signing.identity import Signer
from pipeline.signing.keys import ensure_key


@pytest.fixture
def cli():
    """cli(home, *args): `ledger --home HOME ARGS` in this process."""
    runner = CliRunner()
    return lambda home, *args: runner.invoke(ledger, ["--home", home, *args],
                                             catch_exceptions=False)


@pytest.fixture
def signed(home, people, tmp_path, cli):
    """penguins@1 approved by alice and deployed; a checkpoint of it in a directory."""
    pipeline = as_pipeline(home)
    candidate(pipeline, tmp_path, "m1")
    alice = as_person(home, people["alice"])
    alice.approve(MODEL, 1, by="alice", reason="ok",
                  current_digest=alice.version(MODEL, 1).model_digest)
    alice.push(MODEL, 1, str(tmp_path / "served"), actor="alice")
    os.makedirs(tmp_path / "checkpoints")
    made = cli(home, "checkpoint", "--out", str(tmp_path / "checkpoints"))
    assert made.exit_code == 0, made.output
    assert "checkpoint at seq 4 (1 models) signed by pipeline" in made.stdout
    path = str(tmp_path / "checkpoints" / "checkpoint-0000000004.json")
    assert checkpoint.read(path).signer == "pipeline"
    return path


def test_a_signed_checkpoint_verifies_what_follows(signed, home, cli, tmp_path):
    as_pipeline(home).deprecate(MODEL, 1, actor="pipeline", reason="superseded")
    result = cli(home, "verify", "--checkpoint", signed)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 1 records checked since checkpoint seq 4: 1 signed")


def test_a_rewritten_chain_fails_against_the_checkpoint(signed, home, spec, cli):
    tamper(spec, reader(home), 1, {"reason": "rewritten"}, strip=True)  # every signature gone
    assert reader(home).verify().status == "legacy"  # alone, it only looks old...
    result = cli(home, "verify", "--checkpoint", signed)
    assert result.exit_code == 2  # ...the checkpoint proves it changed
    assert "seq 4 has hash" in result.stdout and "the chain was rewritten" in result.stdout


def test_a_truncated_chain_fails_against_the_checkpoint(signed, home, spec, cli):
    last = reader(home).history(MODEL)[-1]
    with sqlite3.connect(json.loads(spec)["sqlite"], isolation_level=None) as db:
        for table, column in (("ExecutionProperty", "execution_id"), ("Event", "execution_id"),
                              ("Association", "execution_id"), ("Execution", "id")):
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (last.execution_id,))
        db.execute("UPDATE ContextProperty SET int_value = 3 WHERE name = 'head_seq'")
    result = cli(home, "verify", "--checkpoint", signed)
    assert result.exit_code == 2
    assert "seq 4 of the checkpoint is gone (records deleted)" in result.stdout


def test_a_checkpoint_by_an_unknown_key_fails(signed, home, cli, tmp_path):
    mallory = Signer("pipeline", ensure_key(str(tmp_path / "mallory"))[0])
    forged = checkpoint.read(signed).signed_by(mallory)
    path = checkpoint.write(str(tmp_path / "forged.json"), forged)
    result = cli(home, "verify", "--checkpoint", path)
    assert result.exit_code == 2
    assert f"signed by an unknown key (pipeline, {mallory.key.fingerprint})" in result.stdout


def test_a_checkpoint_edited_after_signing_or_unsigned_fails(signed, home, cli, tmp_path):
    body = json.loads(open(signed).read())
    body["seq"] = 3
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(body))
    result = cli(home, "verify", "--checkpoint", str(edited))
    assert result.exit_code == 2 and "allowed signers do not confirm" in result.stdout
    body.update(seq=4, signature="")
    edited.write_text(json.dumps(body))
    result = cli(home, "verify", "--checkpoint", str(edited))
    assert result.exit_code == 2 and "is unsigned: anyone could have written it" in result.stdout
