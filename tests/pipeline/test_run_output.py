"""What `make run` / `ledger run` print: a line per component and the summary; the libraries'
output (TF's C++ runtime, absl, Beam) in the run's log file, streamed only with --verbose."""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys

import pytest

from pipeline.paths import PROJECT_ROOT

pytestmark = pytest.mark.pipeline

MAKE_RUN = "make run"  # exactly what README.md tells a newcomer to type
MAX_LINES = 25
RUN_TIMEOUT_S = 1800
COMPONENT = re.compile(r"  (\S+) +(ran|cached) +\d+\.\d s")
SUMMARY = ("pipeline root:  ", "MLMD store:     ", "approval:       ", "pushed model:   ",
           "eval accuracy:  ", "wall time:      ")
TF_CPP_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+: [IWE] external/", re.MULTILINE)


NOT_INHERITED = {"TF_CPP_MIN_LOG_LEVEL", "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}


def _env(home: str) -> dict:
    # As a newcomer's shell has it: no ledger settings, and not inside another make (`make test`
    # would otherwise make the inner make print "Entering directory" lines).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LEDGER_") and k not in NOT_INHERITED}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return dict(env, LEDGER_HOME=home)


def _run(command: list[str], home: str) -> subprocess.CompletedProcess:
    """The command in its own session, so a timeout stops make and the run it started."""
    with subprocess.Popen(command, cwd=PROJECT_ROOT, env=_env(home), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                          start_new_session=True) as process:
        try:
            out, err = process.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("make-run") / "home")
    return home, _run(shlex.split(MAKE_RUN), home)


def test_make_run_prints_components_and_summary_and_nothing_else(made):
    home, done = made
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) <= MAX_LINES, done.stdout
    assert done.stderr == ""
    assert lines[0] == "running ledger-penguins: no MLMD store yet"
    log_path = os.path.join(home, "logs", os.listdir(os.path.join(home, "logs"))[0])
    assert lines[1] == f"log: {log_path}"
    components = [COMPONENT.fullmatch(line) for line in lines[2:-len(SUMMARY)]]
    assert all(components), lines  # no other line: no library warning, no C++ log line
    names = [c[1] for c in components]
    assert names[0] == "RawDataImporter" and names[-1] == "VersionedPusher"
    assert {"Transform", "LedgerTrainer", "Evaluator", "ModelApproval"} <= set(names)
    assert [line[:16] for line in lines[-len(SUMMARY):]] == list(SUMMARY)
    assert lines[-3] == f"pushed model:   {home}/serving/penguins/1"


def test_the_log_holds_the_libraries_output_down_to_tfs_cpp_lines(made):
    home, _ = made
    [name] = os.listdir(os.path.join(home, "logs"))
    with open(os.path.join(home, "logs", name), encoding="utf-8", errors="replace") as handle:
        log = handle.read()
    assert TF_CPP_LINE.search(log), "TF's C++ runtime writes to fd 2; the log must hold it"
    assert "WARNING:absl:ArtifactQuery.property_predicate is not supported." in log


def test_quiet_prints_the_summary_only_and_an_unchanged_run_logs_nothing(made):
    home, _ = made
    done = _run([os.path.join(os.path.dirname(sys.executable), "ledger"), "run", "--quiet"], home)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("unchanged since the run completed at ")
    assert [line[:16] for line in lines[1:]] == list(SUMMARY)
    assert len(os.listdir(os.path.join(home, "logs"))) == 1  # no empty log for a reused run


def test_a_failing_run_names_the_component_and_the_log_and_verbose_streams_it(tmp_path):
    home = str(tmp_path / "home")
    done = _run(["ledger", "run", "--verbose", "--beam-arg=--runner=NoSuchRunner"], home)
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
