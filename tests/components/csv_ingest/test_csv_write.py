"""Typed CSV ExampleGen output: one streamed file per split, hash splits, bounded gzip members."""
from __future__ import annotations

import gzip
import os
import zlib

import pytest

from components.csv_ingest import write
from components.data_lineage.lineage import scan_records

ROWS = 600


def _gzip_members(path: str) -> int:
    data, members = open(path, "rb").read(), 0
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        inflater.decompress(data)
        assert inflater.eof, f"{path} ends inside a gzip member"
        data, members = inflater.unused_data, members + 1
    return members


def _records(path: str) -> list[bytes]:
    from apache_beam.io import tfrecordio
    records = []
    with gzip.open(path, "rb") as handle:
        while record := tfrecordio._TFRecordUtil.read_record(handle):
            records.append(record)
    return records


def test_gzip_members_read_back_as_one_tfrecord_stream(tmp_path):
    from apache_beam.io import tfrecordio
    path = str(tmp_path / "records.gz")
    records = [f"record {i} ".encode() * 20 for i in range(500)]
    members = write._GzipMembers(open(path, "wb"), member_bytes=4096)
    for record in records:
        tfrecordio._TFRecordUtil.write_record(members, record)
    members.close()
    assert _gzip_members(path) > 10  # ~100 kB of records in 4 kB members
    assert _records(path) == records
    assert scan_records(path)[0] == len(records)  # DataLineage's reader


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def generated(tmp_path_factory, monkeypatch_module):
    """Runs the executor on a small CSV with 2 kB gzip members; returns (examples, csv rows)."""
    from google.protobuf import json_format
    from tfx.dsl.components.base import base_beam_executor
    from tfx.proto import example_gen_pb2
    from tfx.types import standard_artifacts

    from components.csv_ingest.component import _custom_config
    from components.csv_ingest.executor import Executor
    from components.csv_ingest.parsing import ColumnTypes
    from pipeline.pipeline import DEFAULT_BEAM_ARGS

    monkeypatch_module.setattr(write, "MEMBER_BYTES", 2048)
    root = tmp_path_factory.mktemp("typed_csv")
    rows = [(f"{i}", "a" if i % 3 else "b") for i in range(ROWS)]
    (root / "data.csv").write_text("row,kind\n" + "".join(f"{r},{k}\n" for r, k in rows))
    examples = standard_artifacts.Examples()
    examples.uri = str(root / "examples")
    output = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(splits=[
        example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
        example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1)]))
    exec_properties = {
        "input_base": str(root),
        "input_config": json_format.MessageToJson(example_gen_pb2.Input(splits=[
            example_gen_pb2.Input.Split(name="single_split", pattern="data.csv")])),
        "output_config": json_format.MessageToJson(output),
        "custom_config": json_format.MessageToJson(_custom_config(
            ColumnTypes(numeric=("row",), strings=("kind",), label="kind"))),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    }
    context = base_beam_executor.BaseBeamExecutor.Context(beam_pipeline_args=DEFAULT_BEAM_ARGS)
    Executor(context).Do({}, {"examples": [examples]}, exec_properties)
    return examples, output.split_config


def _split_rows(examples, split: str) -> list[int]:
    from tensorflow.core.example import example_pb2
    path = os.path.join(examples.uri, f"Split-{split}", "data_tfrecord-00000-of-00001.gz")
    return [int(example_pb2.Example.FromString(r).features.feature["row"].float_list.value[0])
            for r in _records(path)]


def test_each_split_is_one_file_of_bounded_gzip_members(generated):
    examples, _ = generated
    for split in ("train", "eval"):
        split_dir = os.path.join(examples.uri, f"Split-{split}")
        assert os.listdir(split_dir) == ["data_tfrecord-00000-of-00001.gz"]
        assert _gzip_members(os.path.join(split_dir, "data_tfrecord-00000-of-00001.gz")) > 1


def test_every_row_lands_once_in_csv_order_in_its_hash_split(generated):
    from tensorflow.core.example import example_pb2
    from tfx.components.example_gen.base_example_gen_executor import _PartitionFn
    examples, split_config = generated
    train, evaluation = _split_rows(examples, "train"), _split_rows(examples, "eval")
    assert sorted(train + evaluation) == list(range(ROWS))
    assert train == sorted(train) and evaluation == sorted(evaluation)  # streamed, not shuffled
    path = os.path.join(examples.uri, "Split-eval", "data_tfrecord-00000-of-00001.gz")
    for record in _records(path):  # TFX's own hash partition puts each of them in eval
        assert _PartitionFn(example_pb2.Example.FromString(record), 2, [2, 3], split_config) == 1
    assert 0.2 < len(evaluation) / ROWS < 0.45  # hash buckets 2:1


def test_artifact_records_split_names_and_formats(generated):
    from tfx.components.util import examples_utils
    from tfx.types import artifact_utils
    examples, _ = generated
    assert artifact_utils.decode_split_names(examples.split_names) == ["train", "eval"]
    assert examples_utils.get_payload_format_string(examples) == "FORMAT_TF_EXAMPLE"
    assert examples_utils.get_file_format(examples) == "tfrecords_gzip"
