"""Captured predictions: sampled JSON lines per model version, each file registered in MLMD."""

from __future__ import annotations

import glob
import json
import os
import random
import socket
import threading
import time

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry import schema
from pipeline.registry.log import retry_transient, utc_now

PREDICTION_CAPTURE = "PredictionCapture"
SERVING = "Serving"
# Bounded files keep a drift check's read and a receipt lookup cheap; a new day starts a new file.
MAX_LINES_PER_FILE = 100_000
MLMD_ATTEMPTS = 50


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


def _retry(write):
    return retry_transient(write, MLMD_ATTEMPTS)


class CaptureWriter:
    """Writes sampled predictions of one model version; thread-safe, one MLMD write per file."""

    def __init__(self, store, version, captures_root: str, rate: float = 1.0, *,
                 max_lines: int = MAX_LINES_PER_FILE, rng: random.Random | None = None):
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"capture rate must be between 0 and 1, got {rate}")
        self.store, self.version, self.rate = store, version, float(rate)
        self.directory = version_dir(captures_root, version.model_name, version.version)
        self.max_lines = max_lines
        self.files: list[str] = []
        self.execution_id: int | None = None
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._handle = None
        self._day = self._lines = self._captured = 0

    def sample(self) -> bool:
        """Whether to capture the next prediction, drawn at the capture rate."""
        return self.rate >= 1.0 or (self.rate > 0.0 and self._rng.random() < self.rate)

    def write(self, records: list[dict]) -> None:
        """Append one JSON line per record, each written through, so a crash loses at most one."""
        with self._lock:
            for record in records:
                line = json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"
                self._current().write(line.encode("utf-8"))  # unbuffered: one write() per line
                self._lines += 1
                self._captured += 1

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
        """Close the open file and mark the Serving execution complete with its capture count."""
        with self._lock:
            self._close_file()
            if self.execution_id is None:
                return
            [execution] = self.store.get_executions_by_id([self.execution_id])
            execution.last_known_state = pb.Execution.COMPLETE
            schema.set_props(
                execution.custom_properties,
                {"ended_at": utc_now(), "captured": self._captured, "files": len(self.files)},
            )
            _retry(lambda: self.store.put_executions([execution]))
            self.execution_id = None
