"""Tampered approvals, pushed files, versions and receipts are detected and refused."""
from __future__ import annotations

import json
import os
import re
import sqlite3

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest
from pipeline.metadata import sqlite_spec
from pipeline.registry import DigestMismatchError, GovernanceLogError, Registry
from pipeline.serving.receipt_checks import ReceiptTrust, verify_receipt
from pipeline.serving.receipts import ReceiptError, ReceiptIssuer
from pipeline.settings import resolve
from pipeline.signing.identity import Signer, service_signer
from pipeline.signing.keys import ED25519, ensure_key

KEY_ENV = "LEDGER_RELIABILITY_KEY"
MODEL = "penguins"


def _model(registry, root: str, tag: str) -> tuple[int, str, str]:
    serving = os.path.join(root, tag, "Format-Serving")
    os.makedirs(os.path.join(serving, "variables"))
    for rel in ("saved_model.pb", "variables/variables.index",
                "variables/variables.data-00000-of-00001"):
        with open(os.path.join(serving, rel), "w") as handle:
            handle.write(f"{rel} of {tag} " * 50)
    type_id = registry.store.put_artifact_type(
        pb.ArtifactType(name="Model", base_type=pb.ArtifactType.MODEL))
    [model_id] = registry.store.put_artifacts([pb.Artifact(type_id=type_id, uri=serving[:-15])])
    return model_id, serving[:-15], digest.model_digest(serving)


@pytest.fixture
def ledger(tmp_path, monkeypatch):
    """Signed log: v1 (approved by policy) and v2 (by alice) deployed, v3 rejected."""
    monkeypatch.setenv(KEY_ENV, "reliability-key")
    home = tmp_path / "home"
    home.mkdir()
    registry = Registry.open(sqlite_spec(str(home / "metadata.sqlite")), must_exist=False,
                             signing_key_env=KEY_ENV)
    for number, approver in ((1, "policy:default"), (2, "alice"), (3, None)):
        registry.register_version(MODEL, *_model(registry, str(tmp_path / "models"), f"m{number}"))
        registry.transition(MODEL, number, "validated", actor="pipeline", reason="blessed")
        if approver is None:
            registry.reject(MODEL, number, by="bob", reason="accuracy below floor")
            continue
        registry.approve(MODEL, number, by=approver, reason="ok",
                         current_digest=registry.version(MODEL, number).model_digest)
        registry.push(MODEL, number, str(home / "serving"), actor="pipeline")
    assert registry.verify().ok
    db = sqlite3.connect(str(home / "metadata.sqlite"), isolation_level=None)
    yield registry, db, str(home / "serving")
    db.close()


def _record(registry, version: int, to_stage: str):
    return next(t for t in registry.history(MODEL, version) if t.to_stage == to_stage)


def _set(db, execution_id: int, name: str, column: str, value) -> None:
    db.execute(f"UPDATE ExecutionProperty SET {column} = ? WHERE execution_id = ? AND name = ?",
               (value, execution_id, name))


def _flagged(registry, seqs: set[int], outcome) -> str:
    """verify() must fail and name every tampered seq; lost = tampered records it missed."""
    report = registry.verify()
    text = "\n".join(report.problems)
    named = {int(s) for s in re.findall(r"seq (\d+)", text)}
    outcome(lost=len(seqs - named), detail=report.problems[0][:90] if report.problems else "")
    assert not report.ok and seqs <= named, text
    return text


def test_rejection_edited_into_an_approval_is_detected_and_not_pushed(ledger, outcome):
    registry, db, serving_root = ledger
    rejected = _record(registry, 3, "rejected")
    _set(db, rejected.execution_id, "to_stage", "string_value", "approved")
    assert registry.version(MODEL, 3).stage == "approved"  # what a reader would now believe
    assert "record_hash does not match" in _flagged(registry, {rejected.seq}, outcome)
    with pytest.raises(GovernanceLogError, match=f"seq {rejected.seq} .* does not verify"):
        registry.push(MODEL, 3, serving_root, actor="mallory")
    assert not os.path.exists(os.path.join(serving_root, MODEL, "3"))


def test_deleted_approval_with_later_records_renumbered_is_detected(ledger, outcome):
    registry, db, _ = ledger
    gone = _record(registry, 1, "approved")
    later = [t for t in registry.history(MODEL) if t.seq > gone.seq]
    for table, column in (("ExecutionProperty", "execution_id"), ("Event", "execution_id"),
                          ("Association", "execution_id"), ("Execution", "id")):
        db.execute(f"DELETE FROM {table} WHERE {column} = ?", (gone.execution_id,))
    for record in later:  # close the gap the way someone hiding the deletion would
        _set(db, record.execution_id, "seq", "int_value", record.seq - 1)
        db.execute("UPDATE Execution SET name = ? WHERE id = ?",
                   (f"transition-{record.seq - 1:010d}", record.execution_id))
    text = _flagged(registry, {gone.seq}, outcome)
    assert "prev_hash does not link" in text and "anchor head" in text


def test_reordered_approvals_are_detected(ledger, outcome):
    registry, db, _ = ledger
    first, second = _record(registry, 1, "approved"), _record(registry, 2, "approved")
    for record, other in ((first, second), (second, first)):
        _set(db, record.execution_id, "seq", "int_value", other.seq)
        _set(db, record.execution_id, "decided_at", "string_value", other.decided_at)
    db.execute("UPDATE Execution SET name = name || '-x' WHERE id IN (?, ?)",
               (first.execution_id, second.execution_id))
    _flagged(registry, {first.seq, second.seq}, outcome)


@pytest.mark.parametrize("cover_up", [False, True], ids=["file", "file+manifest"])
def test_changed_model_file_is_refused_by_load_path(ledger, cover_up, outcome):
    registry, _, serving_root = ledger
    path = os.path.join(serving_root, MODEL, "2")
    weights = os.path.join(path, "variables", "variables.data-00000-of-00001")
    with open(weights, "r+b") as handle:
        handle.write(b"X")
    expected = f"{re.escape(weights)} changed"
    if cover_up:  # also rewrite the manifest so it lists the new file digest
        manifest = json.load(open(os.path.join(path, "manifest.json")))
        manifest["files"]["variables/variables.data-00000-of-00001"]["sha256"] = (
            digest.sha256_file(weights))
        json.dump(manifest, open(os.path.join(path, "manifest.json"), "w"))
        expected = "manifest.json changed since penguins@2 was pushed"
    with pytest.raises(DigestMismatchError, match=expected) as refused:
        registry.load_path(f"{MODEL}@production")
    outcome(lost=0, detail=str(refused.value).replace(serving_root, "<serving>")[:90])


def test_forged_receipts_are_rejected(ledger, tmp_path, outcome):
    registry, db, _ = ledger
    settings = resolve(home=str(tmp_path / "home"))
    signer = service_signer(settings)  # made on first use and listed in the allowed signers
    trust, outputs = ReceiptTrust.of(settings), {"classes": "Adelie"}
    v2 = registry.version(MODEL, 2)
    genuine = ReceiptIssuer(MODEL, 2, v2.model_digest, signer).issue(outputs)
    assert verify_receipt(registry, genuine, trust, outputs).scheme == "ed25519"
    # Without the serving key: a receipt for the rejected version 3 signed with another key.
    guessed = Signer("pipeline", ensure_key(str(tmp_path / "guess"), kind=ED25519)[0])
    v3 = registry.version(MODEL, 3)
    forged = ReceiptIssuer(MODEL, 3, v3.model_digest, guessed).issue(outputs)
    # With MLMD write access: point version 1 at another digest and move the receipt to it.
    v1 = registry.version(MODEL, 1)
    db.execute("UPDATE ArtifactProperty SET string_value = ? WHERE name = 'model_digest' AND "
               "string_value = ?", ("f" * 64, v1.model_digest))
    swapped = dict(genuine.to_dict(), version=1, model_digest="f" * 64,
                   prediction_id=genuine.prediction_id.replace("@2:", "@1:"))
    rejected = 0
    for receipt, reason in ((forged, "may not sign with key"),
                            (swapped, "signature does not verify")):
        with pytest.raises(ReceiptError, match=reason):
            verify_receipt(registry, receipt, trust, outputs)
        rejected += 1
    with pytest.raises(DigestMismatchError, match="model_digest is"):
        registry.load_path(f"{MODEL}@1")  # the pushed files still name the real digest
    outcome(lost=2 - rejected, detail="receipt by another key and swapped digest rejected")


def test_edited_model_version_digest_is_flagged_by_verify(ledger, outcome):
    registry, db, _ = ledger
    v1 = registry.version(MODEL, 1)
    db.execute("UPDATE ArtifactProperty SET string_value = ? WHERE name = 'model_digest' AND "
               "string_value = ?", ("f" * 64, v1.model_digest))
    report = registry.verify()
    assert not report.ok
    flagged = [p for p in report.problems if f"{MODEL}@1" in p and "model_digest is ffffff" in p]
    assert flagged, report.problems
    outcome(lost=0, detail="ModelVersion digest edited in SQLite: " + flagged[0][:70])
