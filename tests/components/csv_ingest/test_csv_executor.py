"""TypedCsvExampleGen executor: sufficiency checked before Beam; rare classes dropped, recorded."""
from __future__ import annotations

import gzip
import json
import os

import pytest

from components.csv_ingest.parsing import ColumnTypes, CsvInputError
from components.csv_ingest.sufficiency import Sufficiency

TYPES = ColumnTypes(numeric=("row",), strings=("kind",), label="kind")


def _exec_properties(root, rules: Sufficiency) -> dict:
    from google.protobuf import json_format
    from tfx.proto import example_gen_pb2

    from components.csv_ingest.component import _custom_config

    output = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(splits=[
        example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
        example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1)]))
    return {
        "input_base": str(root),
        "input_config": json_format.MessageToJson(example_gen_pb2.Input(splits=[
            example_gen_pb2.Input.Split(name="single_split", pattern="data.csv")])),
        "output_config": json_format.MessageToJson(output),
        "custom_config": json_format.MessageToJson(_custom_config(TYPES, rules)),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
    }


def _run(root, rules: Sufficiency):
    from tfx.dsl.components.base import base_beam_executor
    from tfx.types import standard_artifacts

    from components.csv_ingest.executor import Executor
    from pipeline.pipeline import DEFAULT_BEAM_ARGS

    examples = standard_artifacts.Examples()
    examples.uri = str(root / "examples")
    context = base_beam_executor.BaseBeamExecutor.Context(beam_pipeline_args=DEFAULT_BEAM_ARGS)
    Executor(context).Do({}, {"examples": [examples]}, _exec_properties(root, rules))
    return examples


def _labels(examples, split: str) -> list[str]:
    from apache_beam.io import tfrecordio
    from tensorflow.core.example import example_pb2

    labels = []
    split_dir = os.path.join(examples.uri, f"Split-{split}")
    for name in os.listdir(split_dir):
        with gzip.open(os.path.join(split_dir, name), "rb") as handle:
            while record := tfrecordio._TFRecordUtil.read_record(handle):
                feature = example_pb2.Example.FromString(record).features.feature["kind"]
                labels.append(feature.bytes_list.value[0].decode())
    return labels


@pytest.fixture
def csv_with_rare_class(tmp_path):
    rows = [f"{i},{'a' if i % 2 else 'b'}" for i in range(60)] + ["60,rare"]
    (tmp_path / "data.csv").write_text("row,kind\n" + "\n".join(rows) + "\n")
    return tmp_path


def test_rare_class_is_refused_before_anything_is_written(csv_with_rare_class):
    with pytest.raises(CsvInputError, match=r"data.csv: label column 'kind': class\(es\) 'rare' "
                                            r"\(1 row\(s\): train \d, eval \d\)"):
        _run(csv_with_rare_class, Sufficiency())
    assert not os.path.exists(csv_with_rare_class / "examples")


def test_drop_policy_leaves_the_class_out_and_records_it(csv_with_rare_class):
    from components.csv_ingest.executor import DROPPED_CLASSES, check_input

    rules = Sufficiency(rare_classes="drop")
    plan = check_input(_exec_properties(csv_with_rare_class, rules), "data.csv")
    examples = _run(csv_with_rare_class, rules)
    recorded = json.loads(examples.get_string_custom_property(DROPPED_CLASSES))
    assert recorded == plan["dropped"] and list(recorded) == ["rare"]
    assert sum(recorded["rare"].values()) == 1
    train, evaluation = _labels(examples, "train"), _labels(examples, "eval")
    assert "rare" not in train + evaluation and len(train + evaluation) == 60
    assert set(train) == set(evaluation) == {"a", "b"}  # every eval label has train rows
