"""Captured predictions: sampled JSON lines per model version, each file registered in MLMD."""

from __future__ import annotations

import glob
import json
import os
import random
import socket
import time

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry import schema
from pipeline.registry.log import retry_transient, utc_now

from .write_behind import WriteBehindQueue

PREDICTION_CAPTURE = "PredictionCapture"
SERVING = "Serving"
# Bounded files keep a drift check's read and a receipt lookup cheap; a new day starts a new file.
MAX_LINES_PER_FILE = 100_000
MLMD_ATTEMPTS = 50
# Queued lines reach the file about FLUSH_SECONDS later, at once when BATCH_LINES wait; at most
# MAX_PENDING wait, which bounds memory and what a crash can lose. Each write() covers at most
# CHUNK_LINES lines and releases the GIL, so the capture thread never holds a prediction up long.
BATCH_LINES = 256
FLUSH_SECONDS = 0.1
MAX_PENDING = 2048
CHUNK_LINES = 32
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def version_dir(captures_root: str, model: str, version: int) -> str:
    """<captures_root>/<model>/<version>: every capture file of one model version."""
    return os.path.join(captures_root, model, str(int(version)))


def capture_files(captures_root: str, model: str, version: int) -> list[str]:
    """The capture files of one version, oldest name first."""
    return sorted(glob.glob(os.path.join(version_dir(captures_root, model, version), "*.jsonl")))


def read_lines(path: str):
    """Each captured prediction in a file as a dict; a torn last line (crash) is skipped."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.endswith("\n"):
                yield json.loads(line)


def lines_with(captures_root: str, model: str, version: int, needle: str):
    """Captured predictions of one version whose line contains `needle` (cheap pre-filter)."""
    for path in capture_files(captures_root, model, version):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if needle in line and line.endswith("\n"):
                    yield json.loads(line)


def ensure_types(store) -> dict[str, int]:
    """Register (or find) the PredictionCapture artifact type and the Serving execution type."""
    return {
        PREDICTION_CAPTURE: store.put_artifact_type(pb.ArtifactType(name=PREDICTION_CAPTURE)),
        SERVING: store.put_execution_type(pb.ExecutionType(name=SERVING)),
    }


def _line(record) -> str:
    """A record's JSON line; a callable record is built here, on the capture thread."""
    return _encode(record if type(record) is dict else record()) + "\n"


def _retry(write):
    return retry_transient(write, MLMD_ATTEMPTS)


class CaptureWriter:
    """Writes sampled predictions of one model version; thread-safe, one MLMD write per file.

    write() only queues the records: a background thread encodes and appends them, opening and
    registering files as needed. A write of `batch_lines` or more, or one that finds
    `max_pending` lines waiting, is written on the calling thread instead: nothing is dropped
    (see WriteBehindQueue). flush() returns once every queued line is in the file; close() and
    interpreter exit flush. A crash (kill -9, power loss) loses the lines not yet written: at
    most `max_pending`, in practice the last `flush_seconds`; a torn last line is skipped by
    readers. A failed append (disk full, MLMD down) loses the rest of its batch, counted in
    `lost` and on the Serving execution, starts a new file next time, and is raised by the
    next write(), flush() or close().
    """

    def __init__(self, store, version, captures_root: str, rate: float = 1.0, *,
                 max_lines: int = MAX_LINES_PER_FILE, rng: random.Random | None = None,
                 batch_lines: int = BATCH_LINES, flush_seconds: float = FLUSH_SECONDS,
                 max_pending: int = MAX_PENDING):
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"capture rate must be between 0 and 1, got {rate}")
        self.store, self.version, self.rate = store, version, float(rate)
        self.directory = version_dir(captures_root, version.model_name, version.version)
        self.max_lines = max_lines
        self.files: list[str] = []
        self.execution_id: int | None = None
        self.lost = 0
        self._rng = rng or random.Random()
        self._queue = WriteBehindQueue(
            self._append, batch_items=batch_lines, flush_seconds=flush_seconds,
            max_pending=max_pending, name=f"capture-{version.model_name}@{version.version}")
        self._handle = None  # only the queue's sink (one batch at a time) and close() use it
        self._day = self._lines = self._captured = 0

    def sample(self) -> bool:
        """Whether to capture the next prediction, drawn at the capture rate."""
        return self.rate >= 1.0 or (self.rate > 0.0 and self._rng.random() < self.rate)

    def write(self, records: list) -> None:
        """Queue one JSON line per record: a dict, or a callable returning one (called on the
        capture thread). Records must not change afterwards."""
        self._queue.put(records)

    def flush(self) -> None:
        """Wait until every record written so far is a line in the file."""
        self._queue.flush()

    def _append(self, records: list[dict]) -> None:
        """The queue's sink: encode and append CHUNK_LINES lines per write()."""
        captured = self._captured
        try:
            for start in range(0, len(records), CHUNK_LINES):
                self._append_lines([_line(r) for r in records[start:start + CHUNK_LINES]])
        except BaseException:
            self.lost += len(records) - (self._captured - captured)
            self._close_file()  # a torn line stays the last of its file, where readers skip it
            raise

    def _append_lines(self, lines: list[str]) -> None:
        while lines:
            handle = self._current()
            room = self.max_lines - self._lines
            part, lines = lines[:room], lines[room:]
            data = memoryview("".join(part).encode("utf-8"))
            while data:
                data = data[handle.write(data):]  # unbuffered: one write() unless it falls short
            self._lines += len(part)
            self._captured += len(part)

    def _current(self):
        day = int(time.time() // 86400)
        if self._handle is None or self._lines >= self.max_lines or day != self._day:
            self._close_file()
            self._handle, self._day, self._lines = self._open_file(), day, 0
        return self._handle

    def _open_file(self):
        os.makedirs(self.directory, exist_ok=True)
        started_at = utc_now()
        stem = f"{started_at[:10]}-{os.getpid()}"
        for n in range(1, 1_000_000):
            path = os.path.join(self.directory, f"{stem}-{n}.jsonl")
            try:
                handle = open(path, "xb", buffering=0)  # "x": never append to another's file
            except FileExistsError:
                continue
            try:
                self._register(path, started_at)
            except BaseException:
                handle.close()
                os.remove(path)  # an unregistered capture would be invisible to lineage
                raise
            self.files.append(path)
            return handle
        raise OSError(f"no free capture file name under {self.directory}")

    def _register(self, path: str, started_at: str) -> None:
        """PredictionCapture artifact, output of this process's Serving execution (made once)."""
        types = _retry(lambda: ensure_types(self.store))
        artifact = pb.Artifact(type_id=types[PREDICTION_CAPTURE], uri=path, state=pb.Artifact.LIVE)
        info = self.version
        schema.set_props(
            artifact.custom_properties,
            {"model_name": info.model_name, "version": info.version, "started_at": started_at},
        )
        if self.execution_id is not None:
            edge = (None, 0, pb.Event(type=pb.Event.OUTPUT, execution_id=self.execution_id))
            _retry(lambda: self.store.put_lineage_subgraph([], [artifact], [], [edge]))
            return
        edges = [
            (0, None, pb.Event(type=pb.Event.INPUT, artifact_id=info.artifact_id)),
            (0, 0, pb.Event(type=pb.Event.OUTPUT)),
        ]
        execution = self._execution(types[SERVING], started_at)
        ids = _retry(lambda: self.store.put_lineage_subgraph([execution], [artifact], [], edges))
        self.execution_id = ids[0][0]

    def _execution(self, type_id: int, started_at: str) -> pb.Execution:
        execution = pb.Execution(type_id=type_id, last_known_state=pb.Execution.RUNNING)
        schema.set_props(
            execution.custom_properties,
            {
                "model_name": self.version.model_name,
                "version": self.version.version,
                "model_digest": self.version.model_digest,
                "started_at": started_at,
                "capture_rate": str(self.rate),
                "host": socket.gethostname(),
                "pid": os.getpid(),
            },
        )
        return execution

    def _close_file(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def close(self) -> None:
        """Write out queued lines, close the file, mark the Serving execution complete."""
        try:
            self._queue.close()
        finally:
            self._close_file()
            self._complete()

    def _complete(self) -> None:
        if self.execution_id is None:
            return
        [execution] = self.store.get_executions_by_id([self.execution_id])
        execution.last_known_state = pb.Execution.COMPLETE
        schema.set_props(
            execution.custom_properties,
            {"ended_at": utc_now(), "captured": self._captured, "files": len(self.files),
             "lost": self.lost},
        )
        _retry(lambda: self.store.put_executions([execution]))
        self.execution_id = None
