"""ExampleGen executor that reads CSV files with the column types of the dataset config."""
from __future__ import annotations

import json

import apache_beam as beam
import tensorflow as tf
from google.protobuf import json_format, struct_pb2
from tfx.components.example_gen import utils as example_gen_utils
from tfx.components.example_gen import write_split
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.components.util import examples_utils
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils
from tfx.types import standard_component_specs as specs
from tfx.utils import proto_utils

from components.csv_ingest.parsing import ColumnTypes, CsvInputError, open_text, read_rows, scan
from components.csv_ingest.write import WriteExamplesSplit

COLUMN_TYPES_KEY = "column_types"


def column_types_from_exec_properties(exec_properties) -> ColumnTypes:
    config = example_gen_pb2.CustomConfig()
    json_format.Parse(exec_properties["custom_config"], config)
    struct = struct_pb2.Struct()
    config.custom_config.Unpack(struct)
    return ColumnTypes.from_dict(json.loads(json_format.MessageToJson(struct))[COLUMN_TYPES_KEY])


def _to_example(row: dict) -> tf.train.Example:
    features = {}
    for name, value in row.items():
        if value is None:
            continue  # a missing value is an absent feature, as TFX's CSV reader does it
        if isinstance(value, float):
            features[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
        else:
            features[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
    return tf.train.Example(features=tf.train.Features(feature=features))


class _ReadTypedCsv(beam.DoFn):
    def __init__(self, types: ColumnTypes):
        self._types = types

    def process(self, path: str):
        with fileio.open(path, "rb") as raw:
            for row in read_rows(open_text(raw, path), self._types, path):
                yield _to_example(row)


@beam.ptransform_fn
def _TypedCsvToExample(pipeline, exec_properties, split_pattern):  # noqa: N802 (Beam style)
    types = column_types_from_exec_properties(exec_properties)
    pattern = f"{exec_properties['input_base'].rstrip('/')}/{split_pattern}"
    files = fileio.glob(pattern)
    if not files:
        raise CsvInputError(f"no input file matches {pattern}")
    for path in files:  # fail before Beam starts, so the error is short and names the file
        with fileio.open(path, "rb") as raw:
            # The whole file: missing labels and empty columns only show at its end.
            scan(open_text(raw, path), types, path)
    return pipeline | "Files" >> beam.Create(sorted(files)) | "Parse" >> beam.ParDo(
        _ReadTypedCsv(types))


def _split_names(exec_properties) -> list[str]:
    input_config, output_config = example_gen_pb2.Input(), example_gen_pb2.Output()
    proto_utils.json_to_proto(exec_properties[specs.INPUT_CONFIG_KEY], input_config)
    proto_utils.json_to_proto(exec_properties[specs.OUTPUT_CONFIG_KEY], output_config)
    return example_gen_utils.generate_output_split_names(input_config, output_config)


class Executor(BaseExampleGenExecutor):
    """Reads CSVs by declared types: text in a numeric column fails, naming the column."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:  # noqa: N802 (TFX API)
        return _TypedCsvToExample

    def Do(self, input_dict, output_dict, exec_properties) -> None:  # noqa: N802 (TFX API)
        """The base Do with a streaming split writer, so memory does not grow with the data."""
        self._log_startup(input_dict, output_dict, exec_properties)
        outputs = output_dict[specs.EXAMPLES_KEY]
        examples = artifact_utils.get_single_instance(outputs)
        examples.split_names = artifact_utils.encode_split_names(_split_names(exec_properties))
        with self._make_beam_pipeline() as pipeline:
            splits = self.GenerateExamplesByBeam(pipeline, exec_properties)
            for name, records in splits.items():
                _ = records | f"WriteSplit[{name}]" >> WriteExamplesSplit(
                    artifact_utils.get_split_uri(outputs, name))
        # The artifact facts the base Do records, which StatisticsGen and Transform read.
        payload_format = exec_properties.get(specs.OUTPUT_DATA_FORMAT_KEY)
        if payload_format:
            examples_utils.set_payload_format(examples, payload_format)
        if exec_properties.get(specs.OUTPUT_FILE_FORMAT_KEY):
            examples_utils.set_file_format(examples, write_split.to_file_format_str(
                exec_properties[specs.OUTPUT_FILE_FORMAT_KEY]))
