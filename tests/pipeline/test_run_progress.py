"""Component lines from TFX's absl records, and the descriptor-level capture of library output."""
from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

from pipeline.paths import PROJECT_ROOT
from pipeline.run_log import new_log_path
from pipeline.run_progress import RunProgress, following


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Launcher:
    """Stands in for TFX's Launcher: launch() runs the executor unless the node is cached."""

    def __init__(self, node: str, clock: Clock, seconds: float, cached=False, fails=False,
                 system=False):
        self._pipeline_node = SimpleNamespace(node_info=SimpleNamespace(id=node))
        self._system_node_handler = object() if system else None
        self.clock, self.seconds, self.cached, self.fails = clock, seconds, cached, fails

    def launch(self):
        self.clock.now += self.seconds
        if self.fails:
            raise ValueError("bad input")
        if not (self.cached or self._system_node_handler):
            self._run_executor("execution info")

    def _run_executor(self, execution_info):
        return execution_info


def test_each_component_gets_one_line_ran_or_cached_with_seconds():
    out, clock = io.StringIO(), Clock()
    progress = RunProgress(out, log_path="home/logs/run.log", clock=clock)
    with following(progress, Launcher):
        progress.note("running ledger-penguins: no MLMD store yet")
        Launcher("RawDataImporter", clock, 0.1, system=True).launch()
        Launcher("ExampleGen", clock, 2.2).launch()
        Launcher("Trainer", clock, 0.4, cached=True).launch()
    assert out.getvalue().splitlines() == [
        "running ledger-penguins: no MLMD store yet",
        "log: home/logs/run.log",
        "  RawDataImporter               ran        0.1 s",
        "  ExampleGen                    ran        2.2 s",
        "  Trainer                       cached     0.4 s",
    ]
    assert Launcher.launch.__name__ == "launch"  # TFX's class is restored after the run


def test_a_failure_ends_the_components_line_and_verbose_gives_starts_their_own():
    out, clock = io.StringIO(), Clock()
    progress = RunProgress(out, interleaved=True, clock=clock)
    with following(progress, Launcher), pytest.raises(ValueError, match="bad input"):
        Launcher("Evaluator", clock, 3.0, fails=True).launch()
    assert out.getvalue().splitlines() == ["  Evaluator                     started",
                                           "  Evaluator                     failed     3.0 s"]
    assert progress.failed == "Evaluator" and progress.current is None


def test_capture_sends_cpp_python_and_logging_output_to_the_log_only(tmp_path):
    log_path = new_log_path(str(tmp_path / "logs"))
    script = textwrap.dedent(f"""
        import logging, os, sys, warnings
        from pipeline.run_log import captured
        with captured({log_path!r}) as terminal:
            os.write(2, b"2026-11-30 07:55:42.9: E external/cuda_fft.cc:479] from C++\\n")
            print("python print")
            warnings.warn("a library warning")
            logging.getLogger("absl").warning("absl warning")
            terminal.write("for the operator\\n")
        print("after the run")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "for the operator\nafter the run\n", "")
    log = open(log_path, encoding="utf-8").read()
    for line in ("E external/cuda_fft.cc:479] from C++", "python print", "a library warning",
                 "absl warning"):
        assert line in log, log
    assert "for the operator" not in log


def test_verbose_capture_streams_what_it_logs(tmp_path):
    log_path = str(tmp_path / "run.log")
    script = ("import os\nfrom pipeline.run_log import captured\n"
              f"with captured({log_path!r}, stream=True):\n    os.write(2, b'from C++\\n')\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert (done.stdout, done.stderr) == ("from C++\n", "")
    assert open(log_path, encoding="utf-8").read() == "from C++\n"
