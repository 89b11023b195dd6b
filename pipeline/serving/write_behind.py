"""Write-behind queue: items handed to a sink in batches by a daemon thread, bounded, flushable."""

from __future__ import annotations

import atexit
import threading
import time


class WriteBehindQueue:
    """Queues items for `sink(batch)`, which a daemon thread calls off the caller's clock.

    The thread takes what is queued once `batch_items` wait or `flush_seconds` after the first
    one arrived. A put() that finds `max_pending` items waiting puts them through the sink
    itself first: nothing is dropped, memory stays bounded, and a caller that outpaces the
    thread pays for its items as if there were no queue. flush() puts everything queued so far
    through the sink before it returns; close() and interpreter exit flush. An exception from
    the sink is kept and raised by the next put(), flush() or close().
    """

    def __init__(self, sink, *, batch_items: int, flush_seconds: float, max_pending: int,
                 name: str = "write-behind"):
        if not 0 < batch_items <= max_pending:
            raise ValueError(f"need 0 < batch_items <= max_pending: {batch_items}, {max_pending}")
        self.sink, self.name = sink, name
        self.batch_items, self.flush_seconds, self.max_pending = (
            batch_items, flush_seconds, max_pending)
        self._lock = threading.Lock()
        self._sink_lock = threading.Lock()  # held while a batch goes through the sink
        self._arrived = threading.Condition(self._lock)  # the thread waits here for items
        self._done = threading.Condition(self._lock)  # flush() waits here for other sinks
        self._pending: list = []
        self._queued = self._finished = 0  # items ever queued / ever handed to the sink
        self._closing = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def put(self, items: list) -> None:
        """Queue items. When that would make more than `max_pending` wait, first put the backlog
        through the sink on this thread (a put larger than max_pending then goes in alone).
        A put of `batch_items` or more goes through the sink here and now, after the backlog:
        a batch that size gains nothing from the thread but contention for the GIL."""
        if not items:
            return
        while True:
            with self._lock:
                if self._error is not None:
                    self._raise_error()
                backlog = self._queued - self._finished
                if not backlog or backlog + len(items) <= self.max_pending:
                    large = len(items) >= self.batch_items
                    self._append(items, wake=not large)
                    break
            self._drain()  # full: do the thread's work here rather than wait for it
        if large:
            self._drain()
            with self._lock:
                self._raise_error()

    def _append(self, items: list, wake: bool) -> None:
        """Queue items and wake the thread when it has something to do; holding the lock."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
            atexit.register(self.flush)  # a daemon thread dies at exit: drain it first
        before = len(self._pending)
        self._pending.extend(items)
        self._queued += len(items)
        # A first item starts the thread's flush timer; a full batch goes at once.
        if wake and (before == 0 or before < self.batch_items <= len(self._pending)):
            self._arrived.notify()

    def flush(self) -> None:
        """Put everything queued so far through the sink, on this thread if the thread has not."""
        with self._lock:
            target = self._queued
        self._drain()
        with self._lock:
            while self._finished < target:  # a batch another flush() took is still going through
                self._done.wait()
            self._raise_error()

    def close(self) -> None:
        """Flush and stop the thread (a later put() starts a new one)."""
        with self._lock:
            thread, self._closing = self._thread, True
            self._arrived.notify()
        if thread is not None:
            thread.join()
            atexit.unregister(self.flush)
        with self._lock:
            self._closing, self._thread = False, None
        self._drain()  # what a put() queued after the thread's last look
        with self._lock:
            self._raise_error()

    def _raise_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wait_for_batch():
                    return
            self._drain()

    def _wait_for_batch(self) -> bool:
        """Wait for an item, then up to flush_seconds for a full batch; False: closed, empty."""
        while not self._pending and not self._closing:
            self._arrived.wait()
        deadline = time.monotonic() + self.flush_seconds
        while len(self._pending) < self.batch_items and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._arrived.wait(remaining)
        return bool(self._pending) or not self._closing  # a flush() may have taken the batch

    def _drain(self) -> None:
        """Hand what is queued to the sink. Whoever holds the sink lock takes the batch, so
        batches go through one at a time and in queue order, whichever thread runs them."""
        with self._sink_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                self.sink(batch)
            except Exception as exc:  # noqa: BLE001 - the caller's next call raises it
                with self._lock:
                    self._error = self._error or exc
            finally:  # counted even if the sink raised: put() and flush() must not wait forever
                with self._lock:
                    self._finished += len(batch)
                    self._done.notify_all()
