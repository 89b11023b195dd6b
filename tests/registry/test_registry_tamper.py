"""Tampering with the governance log directly in SQLite is caught by verify(), naming the record."""

from __future__ import annotations

import json
import sqlite3

import pytest

from pipeline.registry import GovernanceLogError, Registry, chain

MODEL = "penguins"


@pytest.fixture
def db(registry, add_version, spec):
    """A signed log of 8 records (two versions pushed) and a raw SQLite connection to it."""
    add_version("deployed")
    add_version("deployed")
    assert registry.verify().ok and registry.verify().records_checked == 8
    connection = sqlite3.connect(json.loads(spec)["sqlite"], isolation_level=None)
    yield connection
    connection.close()


def _exec_id(registry, seq: int) -> int:
    return next(t.execution_id for t in registry.history(MODEL) if t.seq == seq)


def _set(db, execution_id: int, name: str, column: str, value) -> None:
    db.execute(
        f"UPDATE ExecutionProperty SET {column} = ? WHERE execution_id = ? AND name = ?",
        (value, execution_id, name),
    )


def _delete(db, execution_id: int) -> None:
    for table, column in (
        ("ExecutionProperty", "execution_id"),
        ("Event", "execution_id"),
        ("Association", "execution_id"),
        ("Execution", "id"),
    ):
        db.execute(f"DELETE FROM {table} WHERE {column} = ?", (execution_id,))


def _problems(registry) -> str:
    report = registry.verify()
    assert not report.ok
    return "\n".join(report.problems)


def test_edited_field_is_detected(registry, db):
    target = _exec_id(registry, 3)
    _set(db, target, "actor", "string_value", "mallory")
    assert f"seq 3 (execution {target}): record_hash does not match" in _problems(registry)


def test_deleted_record_is_detected(registry, db):
    _delete(db, _exec_id(registry, 4))
    problems = _problems(registry)
    assert "seq 4 missing before seq 5" in problems
    assert "seq 5" in problems and "prev_hash does not link" in problems


def test_swapped_records_are_detected(registry, db):
    first, second = _exec_id(registry, 2), _exec_id(registry, 6)
    db.execute("UPDATE ExecutionProperty SET execution_id = -1 WHERE execution_id = ?", (first,))
    db.execute(
        "UPDATE ExecutionProperty SET execution_id = ? WHERE execution_id = ?", (first, second)
    )
    db.execute("UPDATE ExecutionProperty SET execution_id = ? WHERE execution_id = -1", (second,))
    problems = _problems(registry)
    assert f"seq 2 (execution {second})" in problems
    assert f"seq 6 (execution {first})" in problems
    assert "does not match its seq" in problems


def test_forged_record_with_recomputed_chain_fails_only_the_hmac(registry, db, spec):
    """Without the key, an attacker rewrites a reason and re-chains later hashes and the anchor."""
    history = registry.history(MODEL)
    prev = history[4].prev_hash
    for record in history[4:]:
        fields = chain._fields(record)
        fields["prev_hash"] = prev
        if record.seq == 5:
            fields["reason"] = "approved by the board"
        prev = chain.record_hash(fields)
        for name in ("reason", "prev_hash", "record_hash", "hmac"):
            value = {**fields, "record_hash": prev, "hmac": chain.sign(b"guess", prev)}[name]
            _set(db, record.execution_id, name, "string_value", value)
    db.execute("UPDATE ContextProperty SET string_value = ? WHERE name = 'head_hash'", (prev,))
    unsigned = Registry.open(spec)  # without the key the rewritten chain looks consistent
    assert unsigned.verify().ok
    problems = _problems(registry)
    assert f"seq 5 (execution {history[4].execution_id}): HMAC does not match" in problems
    assert "anchor HMAC" in problems


def test_record_appended_without_the_key_is_flagged(registry, db, spec):
    Registry.open(spec).deprecate(MODEL, 1, actor="mallory", reason="no key")
    assert "seq 9 (execution" in _problems(registry)
    assert "no HMAC although the log is signed" in _problems(registry)


def test_deleting_the_last_record_is_detected_by_the_anchor(registry, db):
    _delete(db, _exec_id(registry, 8))
    problems = _problems(registry)
    assert "anchor head is seq 8 but the last record is seq 7" in problems


def test_append_refuses_when_the_anchor_is_gone(registry, db):
    db.execute("DELETE FROM ContextProperty")
    db.execute("DELETE FROM Association")
    db.execute("DELETE FROM Context")
    assert "anchor is missing" in _problems(registry)
    with pytest.raises(GovernanceLogError, match="anchor is missing"):
        registry.deprecate(MODEL, 1, actor="ops")
