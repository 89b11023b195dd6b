"""The model a server answers with: a version, or a stage it follows as the registry moves it.

A server started on `MODEL@production` (or another alias) polls the registry; when the alias
names another version, that version is loaded and verified in the background, then swapped in
at once. Requests hold the predictor they started with, so none is dropped or answered by a
half-loaded model; the old version is closed (its captures flushed) once its last request ends.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from pipeline.registry import RegistryError

CONFIG = "models.config"


class Loading(Exception):
    """No version has finished loading yet."""


class ServedModel:
    """The current Predictor of `identifier`, counted in and out by every request."""

    def __init__(self, identifier: str, loader, registry_opener, *, metrics=None,
                 interval: float = 2.0, log=None):
        self.identifier = identifier
        self.model_name, _, self.alias = identifier.partition("@")
        self.following = not self.alias.isdigit()
        self._loader, self._open_registry, self._metrics = loader, registry_opener, metrics
        self._interval = interval
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._lock = threading.Lock()
        self._drained = threading.Condition(self._lock)
        self._inflight: dict[int, int] = {}  # id(predictor) -> requests using it
        self.current = None
        self.loading: int | None = None
        self.failed: dict[int, str] = {}  # version -> why it was not served
        self.capture_files: list[str] = []  # of every version closed so far
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._registry = None  # the poller's own connection, also used for label look-ups
        self._registry_lock = threading.Lock()
        self._last_note = ""  # never held with _lock: requests never wait on it

    # -- requests ---------------------------------------------------------------------------
    def acquire(self):
        """The predictor to answer one request with; release() it when the response is out."""
        with self._lock:
            predictor = self.current
            if predictor is None:
                raise Loading(f"{self.identifier} is still loading")
            self._inflight[id(predictor)] = self._inflight.get(id(predictor), 0) + 1
            return predictor

    def release(self, predictor) -> None:
        with self._lock:
            left = self._inflight[id(predictor)] = self._inflight.get(id(predictor), 1) - 1
            if left == 0 and predictor is not self.current:
                self._drained.notify_all()

    def label_version(self, label: str) -> int:
        """The version a TF Serving label names: a registry alias (production, latest, ...)."""
        current = self.current
        if self.following and label == self.alias and current is not None:
            return current.version.version  # the stage as this server has applied it
        return self._resolve(f"{self.model_name}@{label}").version

    def _resolve(self, identifier: str):
        with self._registry_lock:
            self._registry = self._registry or self._open_registry()
            return self._registry.resolve(identifier)

    def versions(self) -> list[tuple[int, str, str]]:
        """(version, TF Serving state, error) for the status API."""
        rows = []
        if self.current is not None:
            rows.append((self.current.version.version, "AVAILABLE", ""))
        if self.loading is not None:
            rows.append((self.loading, "LOADING", ""))
        rows.extend((version, "END", error) for version, error in sorted(self.failed.items()))
        return rows

    # -- loading and following ----------------------------------------------------------------
    def prepare(self) -> int:
        """The version `identifier` names now, which the status API reports LOADING."""
        self.loading = (int(self.alias) if not self.following
                        else self._resolve(self.identifier).version)
        return self.loading

    def start(self) -> None:
        """Load the version prepare() found; if `identifier` is an alias, follow it from here."""
        version = self.loading if self.loading is not None else self.prepare()
        try:
            predictor = self._loader(f"{self.model_name}@{version}")
        finally:
            self.loading = None
        with self._lock:
            self.current = predictor
        if self._metrics:
            self._metrics.serving(predictor.version.version, switched=False)
        if self.following:
            self._thread = threading.Thread(target=self._follow, name="stage-follower",
                                            daemon=True)
            self._thread.start()

    def _follow(self) -> None:
        stamp, checked = self._config_stamp(), time.monotonic()
        while not self._stop.wait(min(self._interval, 0.25)):
            now_stamp = self._config_stamp()
            if now_stamp == stamp and time.monotonic() - checked < self._interval:
                continue
            stamp, checked = now_stamp, time.monotonic()
            try:
                self.check()
            except Exception as exc:  # noqa: BLE001 - the server keeps answering; say why once
                self._note(f"stage check of {self.identifier} failed: {type(exc).__name__}: "
                           f"{exc}")

    def _note(self, line: str) -> None:
        """Log a problem of the follower once, not at every poll while it lasts."""
        if line != self._last_note:
            self._last_note = line
            self._log(line)

    def _config_stamp(self):
        """models.config beside the served version: the registry rewrites it on every move."""
        destination = self.current.loaded.path if self.current else ""
        try:
            stat = os.stat(os.path.join(os.path.dirname(os.path.dirname(destination)), CONFIG))
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_ino, stat.st_size

    def check(self) -> bool:
        """Resolve the alias; load, verify and switch to another version. True if switched."""
        try:
            target = self._resolve(self.identifier).version
        except RegistryError as exc:
            self._note(f"{self.identifier} resolves to nothing ({exc}); still serving "
                       f"{self.current.version.identifier}")
            return False
        if target == self.current.version.version or target in self.failed:
            return False
        return self._switch(target)

    def _switch(self, version: int) -> bool:
        label = f"{self.model_name}@{version}"
        self.loading = version
        try:
            predictor = self._loader(label)
        except Exception as exc:  # noqa: BLE001 - a bad version must not take the server down
            self.failed[version] = f"{type(exc).__name__}: {exc}"
            if self._metrics:
                self._metrics.failed_load()
            self._log(f"{self.identifier} moved to {label}, which failed to load; still "
                      f"serving {self.current.version.identifier}: {self.failed[version]}")
            return False
        finally:
            self.loading = None
        with self._lock:
            old, self.current = self.current, predictor
        if self._metrics:
            self._metrics.serving(version, switched=True)
        self._log(f"{self.identifier} moved: now serving {label} "
                  f"({predictor.loaded.files_checked} files verified); was "
                  f"{old.version.identifier}")
        self._retire(old)
        return True

    def _retire(self, predictor, timeout: float = 60.0) -> None:
        """Close a replaced predictor once its last request is answered (flushes its captures)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._inflight.get(id(predictor), 0) > 0 and time.monotonic() < deadline:
                self._drained.wait(deadline - time.monotonic())
            self._inflight.pop(id(predictor), None)
        predictor.close()
        self.capture_files.extend(predictor.capture.files)

    def close(self, timeout: float = 30.0) -> None:
        """Stop following, wait for requests in flight, flush and close the current version."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            current, self.current = self.current, None
        if current is not None:
            self._retire(current, timeout)
