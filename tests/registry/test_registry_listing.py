"""`versions MODEL` a page at a time, newest first; `history MODEL@N`; both from the heads."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

MODEL = "penguins"


def _ledger(home, *args):
    return CliRunner().invoke(cli, ["--home", home, *args], catch_exceptions=False)


@pytest.fixture
def five(add_version, registry):
    for stage in ("deployed", "rejected", "approved", "validated", "candidate"):
        if stage == "rejected":
            info, _ = add_version("validated")
            registry.reject(MODEL, info.version, by="alice", reason="worse")
        else:
            add_version(stage)
    return registry


def test_versions_page_newest_first_and_the_next_page(five):
    first = five.versions_page(MODEL, limit=2)
    assert [(v.version, v.stage) for v in first] == [(5, "candidate"), (4, "validated")]
    rest = five.versions_page(MODEL, limit=10, before=first[-1].version)
    assert [(v.version, v.stage) for v in rest] == [(3, "approved"), (2, "rejected"),
                                                     (1, "deployed")]
    assert rest[-1].approved_by == "alice" and rest[-1].deployed_at.endswith("Z")
    assert five.versions_page(MODEL, before=1) == []


def test_versions_command_pages_and_points_at_the_next(five, home):
    result = _ledger(home, "versions", MODEL, "--limit", "2")
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["5", "4"]
    assert "ledger versions penguins --before 4" in result.stderr
    older = json.loads(_ledger(home, "versions", MODEL, "--before", "2", "--json").stdout)
    assert [(v["version"], v["stage"]) for v in older] == [(1, "deployed")]
    marked = _ledger(home, "versions", MODEL, "--before", "2").stdout
    assert "deployed (production)" in marked


def test_history_of_one_version_by_identifier(five, home):
    records = json.loads(_ledger(home, "history", f"{MODEL}@2", "--json").stdout)
    assert [(r["version"], r["to_stage"]) for r in records] == [
        (2, "candidate"), (2, "validated"), (2, "rejected")]
    unknown = _ledger(home, "history", f"{MODEL}@9")
    assert unknown.exit_code == 1 and "penguins has no version 9" in unknown.stderr
