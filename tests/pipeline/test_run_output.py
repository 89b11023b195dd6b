"""What `make run` / `ledger run` print: a line per component and the summary; the libraries'
output (TF's C++ runtime, absl, Beam) in the run's log file, streamed only with --verbose."""
from __future__ import annotations

import os
import re

import pytest

from tests.support.newcomer import run_as_newcomer

pytestmark = pytest.mark.pipeline

MAKE_RUN = "make run"  # exactly what README.md tells a newcomer to type
MAX_LINES = 25
COMPONENT = re.compile(r"  (\S+) +(ran|cached) +\d+\.\d s")
SUMMARY = ("pipeline root:  ", "MLMD store:     ", "approval:       ", "pushed model:   ",
           "eval accuracy:  ", "wall time:      ")
TF_CPP_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+: [IWE] external/", re.MULTILINE)


@pytest.fixture(scope="module")
def made(newcomer_run, penguin_home):
    """The session's first run was `make run` into the shared home (tests/conftest.py)."""
    return penguin_home.home, newcomer_run.make_run


def test_make_run_prints_components_and_summary_and_nothing_else(made, newcomer_run):
    home, done = made
    assert done.args == MAKE_RUN.split()  # what the session's first run really was
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) <= MAX_LINES, done.stdout
    assert done.stderr == ""
    assert lines[0] == "running ledger-penguins: no MLMD store yet"
    [name] = newcomer_run.logs_after_make_run
    assert lines[1] == f"log: {os.path.join(home, 'logs', name)}"
    components = [COMPONENT.fullmatch(line) for line in lines[2:-len(SUMMARY)]]
    assert all(components), lines  # no other line: no library warning, no C++ log line
    names = [c[1] for c in components]
    assert names[0] == "RawDataImporter" and names[-1] == "VersionedPusher"
    assert {"Transform", "LedgerTrainer", "Evaluator", "ModelApproval"} <= set(names)
    assert [line[:16] for line in lines[-len(SUMMARY):]] == list(SUMMARY)
    assert lines[-3] == f"pushed model:   {home}/serving/penguins/1"


def test_the_log_holds_the_libraries_output_down_to_tfs_cpp_lines(made, newcomer_run):
    home, _ = made
    [name] = newcomer_run.logs_after_make_run
    with open(os.path.join(home, "logs", name), encoding="utf-8", errors="replace") as handle:
        log = handle.read()
    assert TF_CPP_LINE.search(log), "TF's C++ runtime writes to fd 2; the log must hold it"
    assert "WARNING:absl:ArtifactQuery.property_predicate is not supported." in log


def test_quiet_prints_the_summary_only_and_an_unchanged_run_logs_nothing(newcomer_run):
    done = newcomer_run.quiet_rerun
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("unchanged since the run completed at ")
    assert [line[:16] for line in lines[1:]] == list(SUMMARY)
    # no empty log for a reused run
    assert newcomer_run.logs_after_quiet_rerun == newcomer_run.logs_after_make_run


def test_a_failing_run_names_the_component_and_the_log_and_verbose_streams_it(tmp_path):
    home = str(tmp_path / "home")
    done = run_as_newcomer(["ledger", "run", "--verbose", "--beam-arg=--runner=NoSuchRunner"],
                           home)
    assert done.returncode == 1, done.stdout[-3000:]
    [name] = os.listdir(os.path.join(home, "logs"))
    log_path = os.path.join(home, "logs", name)
    error = done.stderr.strip().splitlines()
    assert error[0].startswith("Error: TypedCsvExampleGen failed: ValueError: "), error
    assert "NoSuchRunner" in error[0] and error[1] == f"  log: {log_path}"
    assert re.search(r"^  TypedCsvExampleGen +failed +\d+\.\d s$", done.stdout, re.MULTILINE)
    assert TF_CPP_LINE.search(done.stdout) and "ERROR:absl:Execution" in done.stdout
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        assert "NoSuchRunner" in handle.read()
