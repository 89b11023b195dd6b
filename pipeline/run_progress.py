"""One line per pipeline component as it starts and ends: name; ran, cached or failed; seconds.

LocalDagRunner launches each node through TFX's `Launcher.launch`, which calls
`_run_executor` only when the node really executes (not when TFX reuses a cached execution,
nor for resolver and importer nodes, which run in the launcher itself). For the length of a run
both are wrapped to report to a RunProgress. TFX's own log records are no basis for this:
libraries loaded during the run (Keras among them) reset the absl logger's level.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

NAME_WIDTH = 30


class RunProgress:
    """Writes component lines to `out`; on a terminal stream (--verbose) each start and end
    gets its own line, otherwise the start writes the name and the end completes the line."""

    def __init__(self, out, *, interleaved: bool = False, log_path: str = "",
                 clock=time.monotonic):
        self.out, self.interleaved, self.clock = out, interleaved, clock
        self.log_path = log_path  # named once, after the first note: only runs that start log
        self.current: str | None = None
        self.failed: str | None = None
        self.executed = False
        self.started = 0.0
        self.outcomes: list[tuple[str, str, float]] = []

    def note(self, line: str) -> None:
        """A line of its own (why the last run is not reused); the first one is followed by
        where the log is."""
        self.out.write(line + "\n")
        if self.log_path:
            self.out.write(f"log: {self.log_path}\n")
            self.log_path = ""
        self.out.flush()

    def start(self, name: str) -> None:
        self.current, self.executed, self.started = name, False, self.clock()
        text = f"  {name:<{NAME_WIDTH}}"
        self.out.write(f"{text}started\n" if self.interleaved else text)
        self.out.flush()

    def end(self, outcome: str | None = None) -> None:
        """Close the current component's line: ran, cached, or the outcome given (failed)."""
        if self.current is None:
            return
        outcome = outcome or ("ran" if self.executed else "cached")
        seconds = self.clock() - self.started
        prefix = f"  {self.current:<{NAME_WIDTH}}" if self.interleaved else ""
        self.out.write(f"{prefix}{outcome:<7} {seconds:6.1f} s\n")
        self.out.flush()
        self.outcomes.append((self.current, outcome, seconds))
        if outcome == "failed":
            self.failed = self.current
        self.current = None


@contextmanager
def following(progress: RunProgress, launcher_class=None):
    """Report every node LocalDagRunner launches to `progress` while the block runs
    (`launcher_class`: TFX's Launcher unless a test gives a stand-in)."""
    if launcher_class is None:
        from tfx.orchestration.portable.launcher import Launcher as launcher_class
    launch, run_executor = launcher_class.launch, launcher_class._run_executor

    def reported_launch(self, *args, **kwargs):
        progress.start(self._pipeline_node.node_info.id)
        progress.executed = bool(getattr(self, "_system_node_handler", None))
        try:
            result = launch(self, *args, **kwargs)
        except BaseException:
            progress.end("failed")
            raise
        progress.end()
        return result

    def reported_run_executor(self, *args, **kwargs):
        progress.executed = True
        return run_executor(self, *args, **kwargs)

    launcher_class.launch, launcher_class._run_executor = reported_launch, reported_run_executor
    try:
        yield progress
    finally:
        launcher_class.launch, launcher_class._run_executor = launch, run_executor
