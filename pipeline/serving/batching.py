"""Concurrent requests to one model share a model call, as TF Serving's batching does.

No timer: a caller that finds the model idle runs at once, alone, so a lone client waits for
nothing. Callers that arrive while a call runs queue; when it ends, the caller at the head of
the queue runs the next call for every queued caller of the same signature (up to `max_rows`
rows) and the others read their rows from it. The call runs on a caller's own thread: no
batching thread, no extra hand-off per request.
"""

from __future__ import annotations

import threading
from collections import deque

MAX_ROWS = 64  # rows per shared call; one larger request still runs, alone


class _Job:
    __slots__ = ("signature", "serialized", "ready", "lead", "arrays", "error")

    def __init__(self, signature, serialized: list[bytes]):
        self.signature, self.serialized = signature, serialized
        self.ready, self.lead = threading.Event(), False
        self.arrays, self.error = None, None

    def result(self) -> dict:
        if self.error is not None:
            raise self.error
        if self.arrays is None:  # the caller running the shared call was interrupted
            raise RuntimeError("the shared model call was interrupted; retry the request")
        return self.arrays


class Batcher:
    """`batcher(signature, serialized)` -> output arrays, as `run(signature, serialized)` gives
    them, with concurrent callers' rows run together. max_rows=0 turns sharing off: each
    caller runs its own call, concurrently with the others."""

    def __init__(self, run, max_rows: int = MAX_ROWS):
        self._run, self.max_rows = run, max_rows
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._busy = False
        self.calls = self.rows = 0  # shared calls made and rows they ran
        self.observe = None  # called with the rows of every model call (a metrics histogram)

    def __call__(self, signature, serialized: list[bytes]) -> dict:
        if not self.max_rows or not serialized:
            return self._call(signature, serialized)
        job = _Job(signature, serialized)
        with self._lock:
            queued = self._busy
            if queued:
                self._queue.append(job)
            self._busy = True
        if queued:
            job.ready.wait()
            if not job.lead:
                return job.result()
        try:
            self._execute([job, *self._take(signature, len(serialized))])
        finally:
            self._hand_over()
        return job.result()

    def together(self, signature, parts: list[list[bytes]]) -> list:
        """Output arrays (or the exception) for each part, the parts run in shared calls of up to
        max_rows rows, on this thread: for a caller that gathers requests itself (the server's
        event loop). It does not queue behind other callers."""
        jobs = [_Job(signature, part) for part in parts]
        start = 0
        while start < len(jobs):
            end, rows = start + 1, len(jobs[start].serialized)
            while (end < len(jobs) and self.max_rows
                   and rows + len(jobs[end].serialized) <= self.max_rows):
                rows += len(jobs[end].serialized)
                end += 1
            self._execute(jobs[start:end])
            start = end
        return [job.error if job.error is not None else job.arrays for job in jobs]

    def _call(self, signature, serialized: list[bytes]) -> dict:
        arrays = self._run(signature, serialized)
        if self.observe is not None:
            self.observe(len(serialized))
        return arrays

    def _take(self, signature, rows: int) -> list[_Job]:
        """Queued jobs for `signature` that fit beside `rows`, in arrival order."""
        taken, kept = [], deque()
        with self._lock:
            while self._queue:
                job = self._queue.popleft()
                if job.signature is signature and rows + len(job.serialized) <= self.max_rows:
                    taken.append(job)
                    rows += len(job.serialized)
                else:
                    kept.append(job)
            self._queue = kept
        return taken

    def _hand_over(self) -> None:
        """The next queued caller runs the next call; with none queued the model is idle."""
        with self._lock:
            if not self._queue:
                self._busy = False
                return
            head = self._queue.popleft()
        head.lead = True
        head.ready.set()

    def _execute(self, batch: list[_Job]) -> None:
        """One call for the batch, each job's rows sliced from it; every job but the first (the
        caller's own) is woken. If the shared call fails, each job runs alone, so one bad
        request fails alone with its own error."""
        try:
            if len(batch) == 1:
                batch[0].arrays = self._call(batch[0].signature, batch[0].serialized)
                return
            self._shared(batch)
        except Exception as exc:  # noqa: BLE001 - handed to the caller whose job it was
            if len(batch) == 1:
                batch[0].error = exc
            else:
                self._alone(batch)
        finally:
            for job in batch[1:]:
                job.ready.set()

    def _shared(self, batch: list[_Job]) -> None:
        serialized = [row for job in batch for row in job.serialized]
        arrays = self._call(batch[0].signature, serialized)
        if any(getattr(a, "shape", ())[:1] != (len(serialized),) for a in arrays.values()):
            self._alone(batch)  # an output that is not one row per example cannot be split
            return
        self.calls, self.rows = self.calls + 1, self.rows + len(serialized)
        start = 0
        for job in batch:
            end = start + len(job.serialized)
            job.arrays = {name: array[start:end] for name, array in arrays.items()}
            start = end

    def _alone(self, batch: list[_Job]) -> None:
        for job in batch:
            try:
                job.arrays = self._call(job.signature, job.serialized)
            except Exception as exc:  # noqa: BLE001 - handed to the caller whose job it was
                job.error = exc
