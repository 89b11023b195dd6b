"""One line per pipeline component as it starts and ends: name; ran, cached or failed; seconds.

LocalDagRunner and TFX's launcher announce every node on the `absl` logger ("Component X is
running.", "A cached execution N is used.", "Component X is finished."); a logging handler
turns those records into the operator's lines, without touching TFX's code.
"""
from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager

RUNNING = re.compile(r"Component (\S+) is running\.")
FINISHED = re.compile(r"Component (\S+) is finished\.")
CACHED = re.compile(r"A cached execution \d+ is used\.")
NAME_WIDTH = 30


class RunProgress:
    """Writes component lines to `out`; on a terminal stream (--verbose) each start and end
    gets its own line, otherwise the start writes the name and the end completes the line."""

    def __init__(self, out, *, interleaved: bool = False, log_path: str = "",
                 clock=time.monotonic):
        self.out, self.interleaved, self.clock = out, interleaved, clock
        self.log_path = log_path  # named once, after the first note: only runs that start log
        self.current: str | None = None
        self.cached = False
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
        self.current, self.cached, self.started = name, False, self.clock()
        text = f"  {name:<{NAME_WIDTH}}"
        self.out.write(f"{text}started\n" if self.interleaved else text)
        self.out.flush()

    def end(self, outcome: str | None = None) -> None:
        """Close the current component's line: ran, cached, or the outcome given (failed)."""
        if self.current is None:
            return
        outcome = outcome or ("cached" if self.cached else "ran")
        seconds = self.clock() - self.started
        prefix = f"  {self.current:<{NAME_WIDTH}}" if self.interleaved else ""
        self.out.write(f"{prefix}{outcome:<7} {seconds:6.1f} s\n")
        self.out.flush()
        self.outcomes.append((self.current, outcome, seconds))
        self.current = None

    def on_record(self, message: str) -> None:
        if found := RUNNING.fullmatch(message):
            self.start(found[1])
        elif CACHED.fullmatch(message):
            self.cached = True
        elif FINISHED.fullmatch(message):
            self.end()


class _Handler(logging.Handler):
    def __init__(self, progress: RunProgress):
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.progress.on_record(record.getMessage())
        except Exception:  # noqa: BLE001 - progress lines must never fail the run
            self.handleError(record)


@contextmanager
def following(progress: RunProgress):
    """Feed the absl logger's records to `progress` (at INFO, which TFX's node messages use;
    they land in the run's log file too)."""
    logger = logging.getLogger("absl")
    handler, level = _Handler(progress), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield progress
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
