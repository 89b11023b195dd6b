"""A run's library output (TF, absl, Beam, TF's C++ runtime) goes to a per-run log file.

TensorFlow's C++ code writes to file descriptor 2 directly, past Python's sys.stderr and
logging, so the capture happens at the descriptor level: fds 1 and 2 point at the log while
the run lasts, and what the operator should see is written to a duplicate of the original
stdout taken before. With `stream`, a thread copies everything to the terminal as well.
"""
from __future__ import annotations

import io
import os
import sys
import threading
import time
from contextlib import contextmanager


def new_log_path(logs_root: str) -> str:
    """<logs_root>/run-<UTC time>.log, unique within the directory."""
    os.makedirs(logs_root, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path, n = os.path.join(logs_root, f"run-{stamp}.log"), 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(logs_root, f"run-{stamp}-{n}.log")
    return path


def _terminal():
    """A text handle on the operator's stdout that survives fd 1 being pointed elsewhere; in
    tests whose sys.stdout is in memory, sys.stdout itself."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return sys.stdout
    return os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace")


def _copy(source_fd: int, log, terminal) -> None:
    """Everything written to the pipe goes to the log and to the terminal (--verbose)."""
    with os.fdopen(source_fd, "rb", buffering=0) as source:
        for chunk in iter(lambda: source.read(65536), b""):
            log.write(chunk)
            log.flush()
            terminal.write(chunk.decode("utf-8", errors="replace"))
            terminal.flush()


@contextmanager
def captured(log_path: str, *, stream: bool = False):
    """Point fds 1 and 2 at `log_path` (and, with `stream`, at the terminal too) for the
    duration; yields the terminal handle for the lines the operator should see."""
    terminal = _terminal()
    for handle in (sys.stdout, sys.stderr):
        handle.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    log = open(log_path, "ab", buffering=0)
    copier = None
    if stream:
        read_end, write_end = os.pipe()
        copier = threading.Thread(target=_copy, args=(read_end, log, terminal), daemon=True)
        copier.start()
        target = write_end
    else:
        target = log.fileno()
    try:
        for fd in (1, 2):
            os.dup2(target, fd)
        yield terminal
    finally:
        for handle in (sys.stdout, sys.stderr):
            try:
                handle.flush()
            except (OSError, ValueError):
                pass
        for fd, original in saved.items():
            os.dup2(original, fd)
            os.close(original)
        if copier is not None:
            os.close(write_end)  # the copier sees end-of-file once no fd refers to the pipe
            copier.join(timeout=10)
        log.close()
        if terminal is not sys.stdout:
            terminal.flush()
            terminal.close()
