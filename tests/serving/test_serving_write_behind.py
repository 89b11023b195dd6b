"""Write-behind queue: batching by size and time, flush, a full queue blocking, errors, exit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from pipeline.paths import PROJECT_ROOT
from pipeline.serving.write_behind import WriteBehindQueue

WAIT_S = 10.0  # generous: the machine may be loaded; each test waits only as long as it must


class RecordingSink:
    """A sink that records each batch and its thread; `gate` can hold it inside a call."""

    def __init__(self):
        self.batches: list[list] = []
        self.threads: set[str] = set()
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def __call__(self, batch: list) -> None:
        self.entered.set()
        self.gate.wait(WAIT_S)
        self.batches.append(list(batch))
        self.threads.add(threading.current_thread().name)

    @property
    def items(self) -> list:
        return [item for batch in self.batches for item in batch]


def _queue(sink, **options) -> WriteBehindQueue:
    settings = {"batch_items": 4, "flush_seconds": 60.0, "max_pending": 8, "name": "test-wb"}
    return WriteBehindQueue(sink, **{**settings, **options})


def _until(condition) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_full_batch_goes_to_the_sink_on_the_thread_without_a_flush():
    sink = RecordingSink()
    queue = _queue(sink)
    queue.put([1, 2, 3])
    time.sleep(0.05)
    assert sink.items == []  # 3 < batch_items and flush_seconds is a minute away
    queue.put([4])
    assert _until(lambda: sink.items == [1, 2, 3, 4])
    assert sink.threads == {"test-wb"}
    queue.close()


def test_a_partial_batch_goes_after_flush_seconds():
    sink = RecordingSink()
    queue = _queue(sink, flush_seconds=0.05)
    queue.put(["a"])
    assert _until(lambda: sink.items == ["a"])
    queue.close()


def test_flush_puts_everything_through_in_order_and_close_stops_the_thread():
    sink = RecordingSink()
    queue = _queue(sink, batch_items=3)
    for n in range(0, 20, 2):
        queue.put([n, n + 1])
    queue.flush()
    assert sink.items == list(range(20))
    thread = queue._thread
    queue.close()
    assert not thread.is_alive() and queue._thread is None
    queue.put(["after close"])  # starts a new thread
    queue.close()
    assert sink.items[-1] == "after close"


def test_a_put_into_a_full_queue_writes_the_backlog_on_the_putting_thread():
    sink = RecordingSink()
    queue = _queue(sink, batch_items=4, max_pending=4)  # the thread would wait a minute
    queue.put([0, 1, 2])
    assert sink.batches == []
    queue.put([3, 4])  # 5 would wait: the backlog goes through the sink first, right here
    assert sink.batches == [[0, 1, 2]] and sink.threads == {threading.current_thread().name}
    queue.close()
    assert sink.items == [0, 1, 2, 3, 4]


def test_a_full_queue_waits_for_a_busy_sink_and_drops_nothing():
    sink = RecordingSink()
    sink.gate.clear()
    queue = _queue(sink, batch_items=3, max_pending=4)
    for n in range(3):
        queue.put([n])  # the third makes a full batch: the thread takes it, held in the sink
    assert sink.entered.wait(WAIT_S)
    queue.put([3])  # 4 not yet through the sink: the bound, still only queued
    putter = threading.Thread(target=queue.put, args=([4],))
    putter.start()
    putter.join(0.2)
    assert putter.is_alive()  # a fifth would exceed max_pending and the sink is busy
    sink.gate.set()
    putter.join(WAIT_S)
    assert not putter.is_alive()
    queue.close()
    assert sink.batches[0] == [0, 1, 2] and sink.items == [0, 1, 2, 3, 4]


def test_a_put_of_a_full_batch_goes_through_on_the_calling_thread_after_the_backlog():
    sink = RecordingSink()
    queue = _queue(sink)  # batch_items=4, flush_seconds: a minute
    queue.put(["queued"])
    queue.put([1, 2, 3, 4])
    assert sink.batches == [["queued", 1, 2, 3, 4]]
    assert sink.threads == {threading.current_thread().name}
    queue.close()


def test_a_put_larger_than_max_pending_waits_for_an_empty_queue_then_goes_through():
    sink = RecordingSink()
    queue = _queue(sink, batch_items=2, max_pending=4)  # flush_seconds: a minute
    queue.put([0])
    started = time.monotonic()
    queue.put(list(range(1, 11)))
    assert time.monotonic() - started < WAIT_S  # it wrote the backlog: no wait for the timer
    queue.close()
    assert sink.items == list(range(11))


def test_a_sink_error_is_raised_once_by_the_next_call_and_later_items_still_go_through():
    calls = []

    def failing_once(batch):
        calls.append(list(batch))
        if len(calls) == 1:
            raise OSError("disk full")

    queue = _queue(failing_once)
    queue.put([1])
    with pytest.raises(OSError, match="disk full"):
        queue.flush()
    queue.put([2])
    queue.close()
    assert calls == [[1], [2]]


def test_interpreter_exit_flushes_what_was_never_closed(tmp_path):
    out = tmp_path / "items.txt"
    script = f"""
from pipeline.serving.write_behind import WriteBehindQueue
def sink(batch):
    with open({str(out)!r}, "a") as handle:
        handle.writelines(f"{{item}}\\n" for item in batch)
queue = WriteBehindQueue(sink, batch_items=1000, flush_seconds=3600, max_pending=1000)
for n in range(250):
    queue.put([n])
"""  # no flush(), no close(): only the atexit hook can write these
    env = dict(os.environ, PYTHONPATH=PROJECT_ROOT)
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=120)
    assert out.read_text().split() == [str(n) for n in range(250)]
