"""Component lines from TFX's absl records, and the descriptor-level capture of library output."""
from __future__ import annotations

import io
import logging
import subprocess
import sys
import textwrap

from pipeline.paths import PROJECT_ROOT
from pipeline.run_log import new_log_path
from pipeline.run_progress import RunProgress, following


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _tfx_says(clock: Clock, *events: tuple[float, str]) -> None:
    absl = logging.getLogger("absl")
    for at, message in events:
        clock.now = at
        absl.info(message)


def test_each_component_gets_one_line_ran_or_cached_with_seconds():
    out, clock = io.StringIO(), Clock()
    progress = RunProgress(out, log_path="home/logs/run.log", clock=clock)
    with following(progress):
        progress.note("running ledger-penguins: no MLMD store yet")
        _tfx_says(clock, (0.0, "Component ExampleGen is running."),
                  (0.5, "Going to run a new execution 3"),
                  (2.2, "Component ExampleGen is finished."),
                  (3.0, "Component Trainer is running."), (3.1, "A cached execution 9 is used."),
                  (3.4, "Component Trainer is finished."))
    assert out.getvalue().splitlines() == [
        "running ledger-penguins: no MLMD store yet",
        "log: home/logs/run.log",
        "  ExampleGen                    ran        2.2 s",
        "  Trainer                       cached     0.4 s",
    ]
    assert logging.getLogger("absl").level == logging.NOTSET  # restored after the run


def test_a_failure_ends_the_running_components_line_and_verbose_gives_starts_their_own():
    out, clock = io.StringIO(), Clock()
    progress = RunProgress(out, interleaved=True, clock=clock)
    with following(progress):
        _tfx_says(clock, (1.0, "Component Evaluator is running."))
        clock.now = 4.0
        progress.end("failed")
    assert out.getvalue().splitlines() == ["  Evaluator                     started",
                                           "  Evaluator                     failed     3.0 s"]
    assert progress.current is None and progress.outcomes == [("Evaluator", "failed", 3.0)]


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
