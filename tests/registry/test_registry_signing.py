"""Signed decisions: alice's key proves alice; a rewrite of the chain fails verify in every
configuration (signed, re-signed by an outsider, by an insider, stripped, legacy, HMAC)."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from click.testing import CliRunner
from signed_store import (
    MODEL,
    as_person,
    as_pipeline,
    candidate,
    reader,
    settings_for,
    tamper,
)

from pipeline.cli import cli as ledger
from pipeline.registry import Registry, UnauthorisedApproverError
from pipeline.signing.identity import Signer
from pipeline.signing.keys import ensure_key


@pytest.fixture
def cli():
    """cli(home, *args): `ledger --home HOME ARGS` in this process."""
    runner = CliRunner()
    return lambda home, *args: runner.invoke(ledger, ["--home", home, *args],
                                             catch_exceptions=False)


@pytest.fixture
def store(home, people, tmp_path):
    """The pipeline registered penguins@1 (validated); alice approved it with her key via the
    CLI, which pushed it into the serving root recorded on the version."""
    pipeline = as_pipeline(home)
    candidate(pipeline, tmp_path, "m1")
    return pipeline


def records(home):
    raw = Registry.open(settings_for(home).metadata_spec)  # no allowed signers needed to list
    return [(t.seq, t.record_hash) for t in raw.history(MODEL)]


def test_alice_approves_with_her_key_it_verifies_and_pushes(cli, store, home, people, tmp_path):
    result = cli(home, "approve", f"{MODEL}@1", "--reason", "metrics ok",
                 "--key", people["alice"].path)
    assert result.exit_code == 0, result.output
    assert f"approved penguins@1 by alice (record 3, signed {people['alice'].fingerprint})" \
        in result.stdout
    assert os.path.isfile(tmp_path / "served" / MODEL / "1" / "manifest.json")  # recorded root
    verified = cli(home, "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith("OK: 4 records checked: 4 signed by allowed signers")
    signers = [(t.actor, t.signer) for t in reader(home).history(MODEL)]
    assert signers == [("pipeline", "pipeline"), ("pipeline", "pipeline"), ("alice", "alice"),
                       ("alice", "alice")]


@pytest.mark.parametrize("how", ["bob's key", "no key", "unlisted key"])
def test_a_decision_claiming_alice_without_her_key_is_refused_and_writes_nothing(
        cli, store, home, people, tmp_path, how):
    key = {"bob's key": ["--key", people["bob"].path], "no key": [],
           "unlisted key": ["--key", ensure_key(str(tmp_path / "stranger"))[0].path]}[how]
    before = records(home)
    result = cli(home, "approve", f"{MODEL}@1", "--by", "alice", "--reason", "x", *key)
    assert result.exit_code == 1
    message = {"bob's key": "alice may not sign with key SHA256:",
               "no key": "a decision by alice must be signed with their private key",
               "unlisted key": "alice may not sign with key SHA256:"}[how]
    assert result.stderr.startswith(f"error: {message}")
    assert records(home) == before and reader(home).version(MODEL, 1).stage == "validated"
    assert not os.path.exists(tmp_path / "served" / MODEL)


def test_the_service_key_cannot_sign_a_persons_decision(store, home):
    with pytest.raises(UnauthorisedApproverError, match="alice's decision must be signed with"):
        store.approve(MODEL, 1, by="alice", reason="x",
                      current_digest=store.version(MODEL, 1).model_digest)
    with pytest.raises(UnauthorisedApproverError, match="a record naming alice must be signed"):
        store.move(MODEL, 1, "approved", actor="alice", reason="x")
    assert len(records(home)) == 2


@pytest.fixture
def approved(store, home, people):
    alice = as_person(home, people["alice"])
    alice.approve(MODEL, 1, by="alice", reason="ok",
                  current_digest=alice.version(MODEL, 1).model_digest)
    store.deprecate(MODEL, 1, actor="pipeline", reason="superseded")
    assert reader(home).verify().status == "verified"
    return alice


ATTACK = {"actor": "alice", "reason": "approved by the board"}


def _fails(home, *expected, **trust):
    report = reader(home, **trust).verify()
    text = "\n".join(report.problems)
    assert report.status == "failed", text
    for phrase in expected:
        assert phrase in text, text
    return text


def test_rewrite_keeping_the_old_signatures_fails(approved, home, spec):
    tamper(spec, reader(home), 2, ATTACK)
    _fails(home, "seq 2 (execution", "signature by pipeline", "does not match (record forged)")


def test_rewrite_resigned_by_an_outsiders_key_fails(approved, home, spec, tmp_path):
    mallory = Signer("alice", ensure_key(str(tmp_path / "mallory"))[0])
    tamper(spec, reader(home), 2, ATTACK, resign=mallory)
    _fails(home, "unknown signer", "anchor head seq 4: signature by alice")


def test_rewrite_resigned_by_an_insiders_own_key_fails(approved, home, spec, people):
    tamper(spec, reader(home), 2, ATTACK, resign=Signer("bob", people["bob"]))
    _fails(home, "seq 2 (execution", "claims alice decided, but bob signed")


def test_rewrite_resigned_with_the_service_key_fails(approved, home, spec):
    tamper(spec, reader(home), 2, ATTACK, resign=as_pipeline(home).signer)
    _fails(home, "claims alice decided, but pipeline signed")


def test_rewrite_with_signatures_stripped_from_there_on_fails(approved, home, spec):
    tamper(spec, reader(home), 3, ATTACK, strip=True)
    _fails(home, "seq 3 (execution", "unsigned, although the log is signed since seq 1")


def test_rewrite_with_every_signature_stripped_is_not_reported_as_verified(
        approved, home, spec, cli):
    tamper(spec, reader(home), 1, ATTACK, strip=True)
    report = reader(home).verify()
    assert report.status == "legacy" and report.legacy_unsigned == 4 and report.verified == 0
    result = cli(home, "verify")
    assert result.exit_code == 3 and result.stdout.startswith("LEGACY: 4 records checked")


def test_rewrite_of_a_legacy_unsigned_store_is_reported_legacy_not_ok(registry_legacy, spec, cli,
                                                                      home):
    tamper(spec, registry_legacy, 2, ATTACK)
    result = cli(home, "--signing-key-env", "", "verify")
    assert result.exit_code == 3 and result.stdout.startswith("LEGACY: 3 records checked: 0 "
                                                              "signed by allowed signers")
    assert "not proven" in result.stdout and "OK" not in result.stdout.splitlines()[0]


def test_rewrite_of_a_legacy_hmac_store_fails_with_the_key(registry_hmac, spec, home):
    tamper(spec, registry_hmac, 2, ATTACK)
    _fails(home, "HMAC does not match", hmac_key=b"old-shared-secret")
    assert reader(home).verify().status == "legacy"  # without the key: intact, never proven


@pytest.fixture
def registry_legacy(spec, tmp_path):
    """A store written before signatures: no key of any kind."""
    registry = Registry.open(spec, must_exist=False)
    candidate(registry, tmp_path, "old")
    registry.approve(MODEL, 1, by="alice", reason="ok",
                     current_digest=registry.version(MODEL, 1).model_digest)
    return registry


@pytest.fixture
def registry_hmac(spec, tmp_path):
    registry = Registry.open(spec, must_exist=False, hmac_key=b"old-shared-secret")
    candidate(registry, tmp_path, "old")
    registry.approve(MODEL, 1, by="alice", reason="ok",
                     current_digest=registry.version(MODEL, 1).model_digest)
    return registry


def test_read_commands_mark_failed_records_and_never_print_them_as_facts(approved, home, spec,
                                                                         cli):
    tamper(spec, reader(home), 2, {"actor": "mallory"})
    history = cli(home, "history", MODEL).stdout.splitlines()
    assert "UNVERIFIED(mallory)" in history[2] and "FAILED: signature by pipeline" in history[2]
    assert " mallory " not in history[2]
    assert "UNVERIFIED(alice)" in history[3]  # later records: their hashes were recomputed
    versions = cli(home, "versions", MODEL).stdout
    assert "UNVERIFIED(deprecated)" in versions and "FAILED" in versions
    assert "UNVERIFIED(alice)" in versions
    shown = cli(home, "show", f"{MODEL}@1").stdout
    assert "stage: UNVERIFIED(deprecated)" in shown and "status: FAILED" in shown
    as_json = json.loads(cli(home, "history", MODEL, "--json").stdout)
    assert [r["status"] for r in as_json] == ["verified", "failed", "failed", "failed"]


def test_an_expired_approver_keeps_old_records_but_decides_no_more(approved, home, people, cli,
                                                                   tmp_path):
    pipeline = as_pipeline(home)
    candidate(pipeline, tmp_path, "m2")
    path = settings_for(home).allowed_signers_path
    lines = open(path).read().replace("alice ssh-", 'alice valid-before="20200101" ssh-')
    open(path, "w").write(lines)  # alice left: her window ends in the past
    before = records(home)
    result = cli(home, "approve", f"{MODEL}@2", "--reason", "ok", "--by", "alice",
                 "--key", people["alice"].path)
    assert result.exit_code == 1 and "is not valid at" in result.stderr
    assert records(home) == before
    # Her earlier approval was signed inside a window that then still ran: judged by its date.
    open(path, "w").write(lines.replace('valid-before="20200101"', 'valid-before="20990101"'))
    assert reader(home).verify().status == "verified"


def test_a_malformed_allowed_signers_line_is_named_and_nothing_written(store, home, people, cli):
    path = settings_for(home).allowed_signers_path
    with open(path, "a") as handle:
        handle.write("carol ssh-ed25519 not-base64!\n")
    line = len(open(path).read().splitlines())
    before = records(home)
    result = cli(home, "approve", f"{MODEL}@1", "--reason", "ok", "--key", people["alice"].path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}:{line}: not an OpenSSH public key")
    assert records(home) == before


def test_a_wrong_key_type_is_named(store, home, cli, tmp_path):
    import subprocess
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-N", "", "-f", str(tmp_path / "rsa")],
                   check=True)
    result = cli(home, "approve", f"{MODEL}@1", "--reason", "ok", "--key", str(tmp_path / "rsa"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {tmp_path}/rsa: unsupported key type")


def test_a_backdated_record_fails(approved, home, spec):
    db = sqlite3.connect(json.loads(spec)["sqlite"], isolation_level=None)
    history = reader(home).history(MODEL)
    tamper(spec, reader(home), 4, {"decided_at": "2020-01-01T00:00:00.000000Z"},
           resign=Signer("alice", approved.signer.key))
    db.close()
    _fails(home, f"seq 4 (execution {history[3].execution_id}): decided at 2020-01-01")


def test_a_record_reattributed_inside_a_run_of_one_signer_fails(approved, home, spec):
    """One signature covers a run of records by the same key; changing who signed a record
    inside such a run breaks the run, and that record is then checked (and fails) on its own."""
    first = reader(home).history(MODEL)[0]
    with sqlite3.connect(json.loads(spec)["sqlite"], isolation_level=None) as db:
        db.execute("UPDATE ExecutionProperty SET string_value = 'alice' WHERE execution_id = ? "
                   "AND name = 'signer'", (first.execution_id,))
    _fails(home, f"seq 1 (execution {first.execution_id}): signed by alice", "unknown signer")


def test_trace_marks_a_failed_record_and_the_stage_it_implies(approved, home, spec):
    from pipeline.cli import _register_command_modules
    from pipeline.cli import cli as ledger

    _register_command_modules()
    tamper(spec, reader(home), 4, {"actor": "mallory"})
    result = CliRunner().invoke(ledger, ["--home", home, "trace", f"{MODEL}@1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "stage UNVERIFIED(deprecated)" in lines[0]
    [last] = [line for line in lines if line.startswith("  #4 ")]
    assert "by UNVERIFIED(mallory)" in last and "[FAILED: signature by pipeline" in last
    assert any(line.startswith("  #3 ") and "by alice" in line and "[verified]" in line
               for line in lines)


def test_a_store_from_before_signatures_reads_as_legacy_and_takes_signed_records(
        registry_legacy, spec, home, people, tmp_path, cli):
    """Its StageTransition type has no signer, key or signature properties at all."""
    with sqlite3.connect(json.loads(spec)["sqlite"], isolation_level=None) as db:
        for table, column in (("ExecutionProperty", "name"), ("TypeProperty", "name")):
            db.execute(f"DELETE FROM {table} WHERE {column} IN "
                       "('signer', 'key_fingerprint', 'signature')")
    old = reader(home)
    assert [old.record_status(t).state for t in old.history(MODEL)] == ["legacy-unsigned"] * 3
    shown = cli(home, "history", MODEL).stdout
    assert shown.count("legacy-unsigned") == 3 and "UNVERIFIED" not in shown
    pipeline = as_pipeline(home)  # upgraded: from now on every record is signed
    pipeline.deprecate(MODEL, 1, actor="pipeline", reason="upgrade")
    report = reader(home).verify()
    assert (report.status, report.legacy_unsigned, report.verified) == ("legacy", 3, 1)
    result = cli(home, "verify")
    assert result.exit_code == 3 and "1 signed by allowed signers" in result.stdout
