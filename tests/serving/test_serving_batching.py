"""Concurrent callers share model calls: each gets its own rows, errors stay with their caller."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from pipeline.serving.batching import Batcher


class Model:
    """A stand-in signature call: doubles each row. The first call blocks until released, so
    the test decides which callers are queued behind it."""

    def __init__(self, outputs=None):
        self.calls: list[tuple[str, list]] = []
        self.release = threading.Event()
        self.outputs = outputs

    def __call__(self, signature, rows):
        self.calls.append((signature, list(rows)))
        if len(self.calls) == 1:
            assert self.release.wait(30)
        if any(row < 0 for row in rows):
            raise ValueError(f"negative row in {rows}")
        if self.outputs is not None:
            return self.outputs(rows)
        return {"doubled": np.array(rows) * 2, "ids": np.array([f"r{r}" for r in rows])}


def _callers(batcher, requests: list[tuple[str, list]]) -> tuple[list, list[threading.Thread]]:
    results = [None] * len(requests)

    def call(index, signature, rows):
        try:
            results[index] = batcher(signature, rows)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[index] = exc

    threads = [threading.Thread(target=call, args=(i, *request))
               for i, request in enumerate(requests)]
    return results, threads


def _queue_behind_first(batcher, model, requests):
    """Start the first request, wait until it runs, queue the rest behind it, then release."""
    results, threads = _callers(batcher, requests)
    threads[0].start()
    _wait(lambda: len(model.calls) == 1)
    for queued, thread in enumerate(threads[1:], 1):
        thread.start()  # one at a time, so the queue holds them in request order
        _wait(lambda: len(batcher._queue) == queued)  # noqa: B023 - called before next loop
    model.release.set()
    for thread in threads:
        thread.join(30)
    return results


def _wait(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_callers_queued_behind_a_call_share_the_next_one_and_get_their_own_rows():
    model = Model()
    batcher = Batcher(model)
    requests = [("default", [i * 10 + j for j in range(1 + i % 3)]) for i in range(8)]
    results = _queue_behind_first(batcher, model, requests)
    assert len(model.calls) == 2  # the first alone, then the seven queued behind it
    assert model.calls[1][1] == [row for _, rows in requests[1:] for row in rows]
    for (_, rows), result in zip(requests, results, strict=True):
        assert result["doubled"].tolist() == [2 * r for r in rows]
        assert result["ids"].tolist() == [f"r{r}" for r in rows]
    assert (batcher.calls, batcher.rows) == (1, sum(len(r) for _, r in requests[1:]))


def test_a_lone_caller_runs_at_once_without_waiting_for_anyone():
    model = Model()
    model.release.set()
    batcher = Batcher(model)
    assert batcher("default", [3])["doubled"].tolist() == [6]
    assert batcher("default", [4])["doubled"].tolist() == [8]
    assert len(model.calls) == 2 and batcher.calls == 0 and not batcher._busy


def test_a_bad_request_in_a_shared_call_fails_alone_with_its_own_error():
    model = Model()
    batcher = Batcher(model)
    requests = [("default", [1]), ("default", [2]), ("default", [-3]), ("default", [4])]
    results = _queue_behind_first(batcher, model, requests)
    assert isinstance(results[2], ValueError) and "[-3]" in str(results[2])
    assert [r["doubled"].tolist() for i, r in enumerate(results) if i != 2] == [[2], [4], [8]]
    assert not batcher._busy and not batcher._queue


def test_signatures_are_never_mixed_and_max_rows_bounds_a_shared_call():
    model = Model()
    batcher = Batcher(model, max_rows=4)
    requests = [("default", [0]), ("default", [1, 2]), ("other", [3]), ("default", [4, 5]),
                ("default", [6]), ("other", [7])]
    results = _queue_behind_first(batcher, model, requests)
    assert model.calls[1:] == [
        ("default", [1, 2, 4, 5]), ("other", [3, 7]), ("default", [6])]
    assert [r["doubled"].tolist() for r in results] == [[0], [2, 4], [6], [8, 10], [12], [14]]


def test_outputs_not_one_row_per_example_are_computed_per_caller():
    model = Model(outputs=lambda rows: {"total": np.array(sum(rows))})
    batcher = Batcher(model)
    results = _queue_behind_first(batcher, model, [("d", [1]), ("d", [2]), ("d", [3, 4])])
    assert [r["total"].tolist() for r in results] == [1, 2, 7]
    assert batcher.calls == 0  # the shared call's output could not be split


@pytest.mark.parametrize("max_rows", [0])
def test_sharing_off_runs_every_caller_on_its_own(max_rows):
    model = Model()
    batcher = Batcher(model, max_rows=max_rows)
    results, threads = _callers(batcher, [("d", [1]), ("d", [2])])
    threads[0].start()
    _wait(lambda: len(model.calls) == 1)
    threads[1].start()
    threads[1].join(30)  # not queued behind the blocked first call
    assert results[1]["doubled"].tolist() == [4]
    model.release.set()
    threads[0].join(30)
    assert results[0]["doubled"].tolist() == [2]
