"""The lineage commands: outputs on the shared store and every refusal, through the CLI in this
process; as whole processes (one line on stderr, nothing else) one of each kind."""

from __future__ import annotations

import json

import pytest

from pipeline.metadata import open_store, sqlite_spec


def _refused(result, fragment: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines
    assert "Traceback" not in result.stderr


@pytest.mark.pipeline
def test_trace_prints_text_json_and_dot(ledger, invoke, shared_runs, penguins_csv_sha256, mlmd):
    home = ("--home", shared_runs.home)
    text = ledger(*home, "trace", "penguins@1")  # the installed console script, start to end
    assert text.returncode == 0, text.stderr
    assert penguins_csv_sha256 in text.stdout and "approved by" in text.stdout
    data = json.loads(invoke(*home, "trace", "penguins@1", "--json").stdout)
    assert data["version"]["artifact_id"] == mlmd.artifact("ModelVersion", "penguins@1").id
    dot = invoke(*home, "trace", "penguins@1", "--dot").stdout
    assert dot.startswith("digraph") and f'"artifact:{data["version"]["artifact_id"]}"' in dot


@pytest.mark.pipeline
def test_impact_as_of_and_diff_print_json(invoke, shared_runs, penguins_csv_sha256):
    home = ("--home", shared_runs.home)
    impact = json.loads(invoke(*home, "impact", penguins_csv_sha256, "--json").stdout)
    assert [v["identifier"] for v in impact["versions"]] == ["penguins@1", "penguins@2"]
    as_of = json.loads(
        invoke(*home, "as-of", "penguins", "2999-01-01T00:00:00Z", "--json").stdout)
    assert as_of["version"]["version"] == 2
    diff = json.loads(invoke(*home, "diff", "penguins@1", "penguins@2", "--json").stdout)
    assert {r["field"] for r in diff["rows"]} >= {"digest.model", "dataset_version_id"}


@pytest.mark.pipeline
@pytest.mark.parametrize("args, fragment", [
    (("trace", "nosuch@1"), "no model named 'nosuch'"),
    (("trace", "penguins@99"), "penguins has no version 99"),
    (("impact", "dsv-00000000deadbeef"), "no dataset version dsv-00000000deadbeef"),
    (("impact", "ab" * 32), "no raw data or dataset version with digest"),
    (("impact", "not-a-digest"), "expected a dataset version id"),
    (("as-of", "penguins", "last tuesday"), "cannot read time"),
    (("as-of", "nosuch", "2026-01-01T00:00:00Z"), "no model named 'nosuch'"),
    (("diff", "penguins@1", "penguins@7"), "penguins has no version 7"),
])
def test_unknown_targets_are_refused_in_one_line(invoke, shared_runs, args, fragment):
    _refused(invoke("--home", shared_runs.home, *args), fragment)


@pytest.mark.parametrize("command", [("trace", "penguins@1"), ("impact", "dsv-0123456789abcdef"),
                                     ("as-of", "penguins", "2026-01-01"),
                                     ("report", "penguins@1", "--out", "OUT")])
def test_a_missing_store_is_refused_and_not_created(ledger, tmp_path, command):
    home, out = tmp_path / "no-home", tmp_path / "report.html"
    command = [str(out) if part == "OUT" else part for part in command]
    _refused(ledger("--home", str(home), *command), "no MLMD store at")
    assert not home.exists() and not out.exists()


def test_an_empty_store_is_refused(ledger, invoke, tmp_path):
    path = tmp_path / "metadata.sqlite"
    open_store(sqlite_spec(str(path)))  # a store with MLMD's tables and nothing in them
    _refused(ledger("--home", str(tmp_path), "trace", "penguins@1"), "MLMD store is empty")
    _refused(invoke("--metadata", sqlite_spec(str(path)), "impact", "ab" * 32), "is empty")


def _usage_error(result, fragment: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_a_malformed_connection_spec_is_refused(ledger):
    _usage_error(ledger("--metadata", "{sqlite", "trace", "penguins@1"),
                 "Invalid value for '--metadata': not a JSON connection spec")


@pytest.mark.parametrize("args, fragment", [
    (("trace", "penguins"), "'penguins': expected MODEL@VERSION or MODEL@ALIAS"),
    (("trace", "penguins@newest"), "'penguins@newest' is not MODEL, MODEL@VERSION, MODEL@ALIAS"),
    (("diff", "penguins@1", "penguins"), "expected MODEL@VERSION or MODEL@ALIAS"),
    (("as-of", "penguins@1", "2026-01-01"), "'penguins@1': expected MODEL"),
])
def test_identifiers_outside_a_commands_forms_are_usage_errors(invoke, tmp_path, args, fragment):
    _usage_error(invoke("--home", str(tmp_path), *args), fragment)
