"""Capture: JSON lines under the version, sampling, rotation, MLMD registration, receipt lookup."""

from __future__ import annotations

import os
import random
import re
import threading
import time

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.serving import capture
from pipeline.serving.capture import CaptureWriter
from pipeline.serving.receipts import ReceiptError, ReceiptIssuer, find_receipt


def _records(info, count: int) -> list[dict]:
    issuer = ReceiptIssuer(info.model_name, info.version, info.model_digest)
    records = []
    for i in range(count):
        receipt = issuer.issue({"classes": "Adelie"})
        records.append({
            "prediction_id": receipt.prediction_id,
            "issued_at": receipt.issued_at,
            "features": {"bill_length_mm": 40.0 + i, "sex": None},
            "outputs": {"classes": "Adelie"},
            "receipt": receipt.to_dict(),
        })
    return records


def _writer(fake_version, **options) -> CaptureWriter:
    registry, home, info = fake_version
    return CaptureWriter(registry.store, info, home.captures_root, **options)


def _events(store, artifact_id: int) -> list:
    return list(store.get_events_by_artifact_ids([artifact_id]))


def test_lines_go_under_the_version_one_per_prediction(fake_version):
    _, home, info = fake_version
    writer = _writer(fake_version)
    records = _records(info, 3)
    writer.write(records)
    writer.flush()
    [path] = writer.files
    assert os.path.dirname(path) == os.path.join(home.captures_root, "penguins", "1")
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d-{os.getpid()}-1\.jsonl", os.path.basename(path))
    # Read while the writer is still open: flush() put every queued line in the file.
    assert list(capture.read_lines(path)) == records
    assert list(capture.read_lines(path))[1]["features"] == {"bill_length_mm": 41.0, "sex": None}


def test_each_file_is_a_prediction_capture_output_of_one_serving_execution(fake_version):
    registry, _, info = fake_version
    writer = _writer(fake_version, max_lines=2)
    writer.write(_records(info, 5))
    writer.flush()
    store = registry.store
    captures = store.get_artifacts_by_type(capture.PREDICTION_CAPTURE)
    assert sorted(a.uri for a in captures) == sorted(writer.files) and len(captures) == 3
    assert {a.custom_properties["model_name"].string_value for a in captures} == {"penguins"}
    assert {a.custom_properties["version"].int_value for a in captures} == {1}
    assert all(a.custom_properties["started_at"].string_value for a in captures)
    [serving] = store.get_executions_by_type(capture.SERVING)
    producers = {e.execution_id for a in captures for e in _events(store, a.id)}
    assert producers == {serving.id}
    inputs = [e for e in store.get_events_by_execution_ids([serving.id])
              if e.type == pb.Event.INPUT]
    assert [e.artifact_id for e in inputs] == [info.artifact_id]
    assert sum(1 for _ in capture.read_lines(writer.files[-1])) == 1


def test_close_marks_the_serving_execution_complete(fake_version):
    registry, _, info = fake_version
    writer = _writer(fake_version)
    writer.write(_records(info, 2))
    writer.flush()
    [running] = registry.store.get_executions_by_type(capture.SERVING)
    assert running.last_known_state == pb.Execution.RUNNING
    writer.close()
    [done] = registry.store.get_executions_by_type(capture.SERVING)
    assert done.last_known_state == pb.Execution.COMPLETE
    assert done.custom_properties["captured"].int_value == 2
    assert done.custom_properties["lost"].int_value == 0


def test_rate_zero_writes_nothing_and_rate_samples(fake_version):
    registry, _, _ = fake_version
    none = _writer(fake_version, rate=0.0)
    assert not any(none.sample() for _ in range(1000))
    some = _writer(fake_version, rate=0.3, rng=random.Random(5))
    assert 230 <= sum(some.sample() for _ in range(1000)) <= 370
    assert registry.store.get_artifacts_by_type(capture.PREDICTION_CAPTURE) == []
    with pytest.raises(ValueError, match="between 0 and 1"):
        _writer(fake_version, rate=1.5)


def test_an_existing_file_name_is_never_appended_to(fake_version):
    _, home, info = fake_version
    writer = _writer(fake_version)
    directory = capture.version_dir(home.captures_root, "penguins", 1)
    os.makedirs(directory)
    today = capture.utc_now()[:10]
    taken = os.path.join(directory, f"{today}-{os.getpid()}-1.jsonl")
    open(taken, "w").close()
    writer.write(_records(info, 1))
    writer.flush()
    assert writer.files == [taken.replace("-1.jsonl", "-2.jsonl")]
    assert os.path.getsize(taken) == 0


def test_a_file_that_cannot_be_registered_is_removed(fake_version, monkeypatch):
    _, home, info = fake_version
    writer = _writer(fake_version)

    def refuse(path, started_at):
        raise OSError("store unavailable")

    monkeypatch.setattr(writer, "_register", refuse)
    writer.write(_records(info, 1))  # only queued: the capture thread opens the file
    with pytest.raises(OSError, match="store unavailable"):
        writer.flush()
    assert capture.capture_files(home.captures_root, "penguins", 1) == []
    assert writer.lost == 1


def test_find_receipt_by_prediction_id_skipping_a_torn_line(fake_version):
    _, home, info = fake_version
    writer = _writer(fake_version)
    records = _records(info, 4)
    writer.write(records)
    writer.close()
    with open(writer.files[0], "a") as handle:
        handle.write('{"prediction_id": "' + records[2]["prediction_id"])  # crash mid-line
    found, outputs = find_receipt(home, records[2]["prediction_id"])
    assert found.to_dict() == records[2]["receipt"] and outputs == {"classes": "Adelie"}
    with pytest.raises(ReceiptError, match="no captured prediction penguins@1:beef"):
        find_receipt(home, "penguins@1:beef")
    with pytest.raises(ReceiptError, match="is not a prediction id"):
        find_receipt(home, "../../etc@1:x")


def test_a_new_utc_day_starts_a_new_registered_file(fake_version, monkeypatch):
    registry, _, info = fake_version
    writer = _writer(fake_version)
    writer.write(_records(info, 1))
    writer.flush()
    tomorrow = capture.time.time() + 86400
    monkeypatch.setattr(capture.time, "time", lambda: tomorrow)
    writer.write(_records(info, 1))
    writer.flush()
    assert len(writer.files) == 2
    assert len(registry.store.get_artifacts_by_type(capture.PREDICTION_CAPTURE)) == 2


def test_concurrent_writers_leave_only_whole_lines(fake_version):
    _, _, info = fake_version
    writer = _writer(fake_version, max_lines=120)
    batches = [_records(info, 25) for _ in range(8)]
    threads = [threading.Thread(target=writer.write, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.flush()
    lines = [line for path in writer.files for line in capture.read_lines(path)]
    assert len(lines) == 200 and len(writer.files) == 2
    assert {x["prediction_id"] for x in lines} == {r["prediction_id"] for b in batches for r in b}


def test_every_queued_line_is_in_the_file_after_close_in_write_order(fake_version):
    registry, _, info = fake_version
    writer = _writer(fake_version, batch_lines=16, flush_seconds=0.01, max_pending=64)
    batches = [_records(info, n % 7 + 1) for n in range(40)]
    for batch in batches:
        writer.write(batch)
    writer.close()
    lines = [line for path in writer.files for line in capture.read_lines(path)]
    assert lines == [record for batch in batches for record in batch]
    [done] = registry.store.get_executions_by_type(capture.SERVING)
    assert done.custom_properties["captured"].int_value == len(lines) == 155


def test_lines_reach_the_file_without_a_flush(fake_version):
    _, _, info = fake_version
    writer = _writer(fake_version, flush_seconds=0.02)
    [record] = _records(info, 1)
    writer.write([record])
    deadline = time.monotonic() + 30
    while not writer.files or not list(capture.read_lines(writer.files[0])):
        assert time.monotonic() < deadline, "the capture thread never wrote the line"
        time.sleep(0.01)
    assert list(capture.read_lines(writer.files[0])) == [record]


def test_a_callable_record_is_built_when_its_line_is_written_not_when_queued(fake_version):
    _, _, info = fake_version
    writer = _writer(fake_version, flush_seconds=60)
    [record] = _records(info, 1)
    built = []

    def build():
        built.append(record)
        return record

    writer.write([build])
    assert built == []  # queued only: the caller paid nothing for the line
    writer.flush()
    assert list(capture.read_lines(writer.files[0])) == [record] and len(built) == 1


def test_a_failed_append_is_counted_lost_raised_once_and_capture_goes_on(fake_version,
                                                                         monkeypatch):
    registry, _, info = fake_version
    writer = _writer(fake_version)
    register = writer._register
    monkeypatch.setattr(writer, "_register", lambda path, started_at: 1 / 0)
    writer.write(_records(info, 3))
    with pytest.raises(ZeroDivisionError):
        writer.flush()
    monkeypatch.setattr(writer, "_register", register)
    kept = _records(info, 2)
    writer.write(kept)
    writer.close()
    assert [line for line in capture.read_lines(writer.files[0])] == kept
    [done] = registry.store.get_executions_by_type(capture.SERVING)
    assert done.custom_properties["captured"].int_value == 2
    assert done.custom_properties["lost"].int_value == 3
