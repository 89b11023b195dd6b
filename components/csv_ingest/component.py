"""TypedCsvExampleGen: FileBasedExampleGen with the typed CSV executor.

In: a directory of CSV files and the column types. Out: Examples (train/eval, gzipped
tf.Example TFRecords). Example:
    TypedCsvExampleGen(input_base="data/penguins", file_pattern="penguins.csv",
                       column_types=ColumnTypes(numeric=("body_mass_g",), strings=("species",)))
"""
from __future__ import annotations

import json

from google.protobuf import json_format, struct_pb2
from tfx.components import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.proto import example_gen_pb2

from components.csv_ingest import executor
from components.csv_ingest.parsing import ColumnTypes
from components.csv_ingest.sufficiency import Sufficiency

DEFAULT_SUFFICIENCY = Sufficiency()


def _custom_config(types: ColumnTypes, rules: Sufficiency = DEFAULT_SUFFICIENCY
                   ) -> example_gen_pb2.CustomConfig:
    raw = {executor.COLUMN_TYPES_KEY: types.to_dict()}
    if rules.to_dict():  # absent means the defaults: compiled specs of default configs unchanged
        raw[executor.SUFFICIENCY_KEY] = rules.to_dict()
    struct = json_format.Parse(json.dumps(raw), struct_pb2.Struct())
    config = example_gen_pb2.CustomConfig()
    config.custom_config.Pack(struct)
    return config


def TypedCsvExampleGen(input_base, file_pattern: str, column_types: ColumnTypes,  # noqa: N802
                       hash_buckets=(2, 1), sufficiency: Sufficiency = DEFAULT_SUFFICIENCY
                       ) -> FileBasedExampleGen:
    """ExampleGen over `input_base/file_pattern` splitting train:eval by hash buckets.

    Before Beam starts, every row is parsed and each split and label class is checked against
    `sufficiency` (components/csv_ingest/sufficiency.py).
    """
    output_config = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(splits=[
        example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=hash_buckets[0]),
        example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=hash_buckets[1]),
    ]))
    input_config = example_gen_pb2.Input(splits=[
        example_gen_pb2.Input.Split(name="single_split", pattern=file_pattern)])
    return FileBasedExampleGen(
        input_base=input_base,
        input_config=input_config,
        output_config=output_config,
        custom_config=_custom_config(column_types, sufficiency),
        custom_executor_spec=executor_spec.BeamExecutorSpec(executor.Executor),
    ).with_id("TypedCsvExampleGen")
