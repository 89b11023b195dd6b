"""Per-model heads: aliases follow every transition; a head that disagrees with the log fails."""

from __future__ import annotations

import json
import sqlite3

import pytest

from pipeline.registry import GovernanceLogError, Registry, heads, queries

MODEL = "penguins"


def _aliases(registry) -> tuple:
    return tuple(
        registry.resolve(f"{MODEL}@{alias}").version
        for alias in ("production", "latest-approved", "latest")
    )


def _replayed(registry) -> tuple:
    """The same aliases derived the old way: every version and every record of the model."""
    versions = registry.versions(MODEL)
    prod = queries.production(versions, queries.transitions(registry.store, MODEL))
    live = [v.version for v in versions if v.stage in ("approved", "deployed")]
    return prod.version, max(live), versions[-1].version


def test_heads_follow_push_rollback_and_deprecation(registry, add_version):
    for stage in ("deployed", "deployed", "deployed", "approved", "validated"):
        add_version(stage)
    assert _aliases(registry) == _replayed(registry) == (3, 4, 5)
    registry.rollback(MODEL, actor="alice", reason="latency")  # @3 out, @2 back
    assert _aliases(registry) == _replayed(registry) == (2, 4, 5)
    registry.deprecate(MODEL, 4, actor="alice")  # latest approved leaves: @3 is rolled back
    assert _aliases(registry) == _replayed(registry) == (2, 2, 5)
    registry.deprecate(MODEL, 2, actor="alice")  # production leaves: @1, still deployed
    assert _aliases(registry) == _replayed(registry) == (1, 1, 5)
    head = heads.read(registry.store, MODEL)
    last = registry.history(MODEL)[-1]
    assert (head.seq, head.record_hash) == (last.seq, last.record_hash)
    first_deploy = next(t.seq for t in registry.history(MODEL) if t.to_stage == "deployed")
    assert json.loads(last.model_head) == {
        "latest": 5, "latest_approved": 1, "production": 1, "prev": last.seq - 1,
        "records": len(registry.history(MODEL)), "first_deploy": first_deploy}
    found = heads.records_by_index(registry.store, MODEL, [head.records])
    assert found[head.records].name == f"transition-{last.seq:010d}"
    assert registry.verify().ok


def _sql(spec: str) -> sqlite3.Connection:
    return sqlite3.connect(json.loads(spec)["sqlite"], isolation_level=None)


def test_a_head_edited_in_sql_fails_verify_and_resolution(registry, add_version, spec):
    add_version("deployed")
    add_version("deployed")
    assert registry.resolve(f"{MODEL}@production").version == 2
    head = heads.read(registry.store, MODEL)
    with _sql(spec) as db:  # point @production back at version 1, as an attacker would
        db.execute("UPDATE ContextProperty SET int_value = 1 WHERE context_id = ? "
                   "AND name = 'production'", (head.context_id,))
    report = registry.verify()
    assert not report.ok
    assert any(p.startswith("head of penguins says production 1,") and "seq 8" in p
               for p in report.problems), report.problems
    with pytest.raises(GovernanceLogError, match="head of penguins disagrees with .* seq 8"):
        registry.resolve(f"{MODEL}@production")


def test_a_record_whose_embedded_head_was_rewritten_fails_verify(registry, add_version, spec):
    add_version("deployed")
    record = registry.history(MODEL)[-1]
    forged = json.dumps(dict(json.loads(record.model_head), production=7))
    with _sql(spec) as db:
        db.execute("UPDATE ExecutionProperty SET string_value = ? WHERE execution_id = ? "
                   "AND name = 'model_head'", (forged, record.execution_id))
    problems = "\n".join(registry.verify().problems)
    assert "record modified" in problems and "records head production 7" in problems


def test_a_deleted_head_fails_verify(registry, add_version, spec):
    add_version("approved")
    head = heads.read(registry.store, MODEL)
    with _sql(spec) as db:
        db.execute("DELETE FROM Context WHERE id = ?", (head.context_id,))
    assert "model penguins has records but no head (head deleted)" in registry.verify().problems


def test_a_store_from_before_heads_reads_and_upgrades_on_its_first_append(synthetic, tmp_path):
    path = str(tmp_path / "legacy.sqlite")
    spec = json.dumps({"sqlite": path})
    registry = Registry.open(spec, must_exist=False)
    synthetic.build(registry.store, 12, 2, 5, "/synthetic", with_heads=False)
    assert heads.read_all(registry.store) == []
    before = [registry.resolve(f"model-000@{a}").version for a in ("production", "latest")]
    assert before == [6, 6] and registry.verify().ok
    newest = registry.versions_page("model-000", limit=3)  # a filter query ordered by id
    assert [v.version for v in newest] == [6, 5, 4]
    registry.deprecate("model-000", 6, actor="auditor", reason="withdrawn")
    found = {h.model_name: h for h in heads.read_all(registry.store)}
    assert sorted(found) == ["model-000", "model-001"], "every model got its head at once"
    assert (found["model-000"].production, found["model-001"].production) == (5, 6)
    assert registry.verify().ok
