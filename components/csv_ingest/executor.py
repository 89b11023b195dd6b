"""ExampleGen executor that reads CSV files with the column types of the dataset config."""
from __future__ import annotations

import json

import apache_beam as beam
from google.protobuf import json_format, struct_pb2
from tfx.components.example_gen import base_example_gen_executor as base_executor
from tfx.components.example_gen import utils as example_gen_utils
from tfx.components.example_gen import write_split
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.components.util import examples_utils
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils
from tfx.types import standard_component_specs as specs
from tfx.utils import proto_utils

from components.csv_ingest import sufficiency
from components.csv_ingest.examples import encode_example
from components.csv_ingest.parsing import ColumnTypes, CsvInputError, open_text, read_rows
from components.csv_ingest.write import WriteExamplesSplit

COLUMN_TYPES_KEY = "column_types"
SUFFICIENCY_KEY = "sufficiency"
DROPPED_CLASSES = "dropped_classes"  # Examples custom property: JSON {class: {split: rows}}
INPUT_FILES = "input_files"  # Examples custom property: JSON list of the CSV paths read
_PLAN_KEY = "_ingest_plan"  # exec_properties entry carrying the checked plan into the Beam stage


def _custom_config(exec_properties) -> dict:
    config = example_gen_pb2.CustomConfig()
    json_format.Parse(exec_properties["custom_config"], config)
    struct = struct_pb2.Struct()
    config.custom_config.Unpack(struct)
    return json.loads(json_format.MessageToJson(struct))


def column_types_from_exec_properties(exec_properties) -> ColumnTypes:
    return ColumnTypes.from_dict(_custom_config(exec_properties)[COLUMN_TYPES_KEY])


def sufficiency_from_exec_properties(exec_properties) -> sufficiency.Sufficiency:
    return sufficiency.Sufficiency.from_dict(_custom_config(exec_properties).get(SUFFICIENCY_KEY))


class _ReadTypedCsv(beam.DoFn):
    def __init__(self, types: ColumnTypes, dropped: frozenset = frozenset()):
        self._types, self._dropped = types, dropped

    def process(self, path: str):
        with fileio.open(path, "rb") as raw:
            for row in read_rows(open_text(raw, path), self._types, path):
                if row.get(self._types.label) not in self._dropped:
                    yield encode_example(row)


def _split_buckets(exec_properties) -> tuple[list[str], list[int], example_gen_pb2.SplitConfig]:
    """Split names and cumulative hash buckets, as the base executor partitions by them."""
    output_config = example_gen_pb2.Output()
    proto_utils.json_to_proto(exec_properties[specs.OUTPUT_CONFIG_KEY], output_config)
    split_config = output_config.split_config
    names, buckets, total = [], [], 0
    for split in split_config.splits:
        total += split.hash_buckets
        names.append(split.name)
        buckets.append(total)
    return names, buckets, split_config


def check_input(exec_properties, split_pattern: str) -> dict:
    """Parses every input file and checks sufficiency, before Beam starts.

    Errors are short and name the file; the rows are counted per class in the split TFX's
    partition function will put them in. Returns {"files", "dropped"}.
    """
    types = column_types_from_exec_properties(exec_properties)
    rules = sufficiency_from_exec_properties(exec_properties)
    pattern = f"{exec_properties['input_base'].rstrip('/')}/{split_pattern}"
    files = sorted(path for path in fileio.glob(pattern) if not fileio.isdir(path))
    if not files:
        raise CsvInputError(f"no input file matches {pattern}", pattern)
    names, buckets, split_config = _split_buckets(exec_properties)
    counts = sufficiency.ClassCounts()
    for path in files:
        with fileio.open(path, "rb") as raw:
            for row in read_rows(open_text(raw, path), types, path):
                index = base_executor._PartitionFn(  # TFX's own, so the split is the one it picks
                    encode_example(row), len(buckets), buckets, split_config)
                counts.add(names[index], row[types.label])
    source = files[0] if len(files) == 1 else pattern
    return {"files": files,
            "dropped": sufficiency.check(counts, names, rules, source, types.label)}


@beam.ptransform_fn
def _TypedCsvToExample(pipeline, exec_properties, split_pattern):  # noqa: N802 (Beam style)
    types = column_types_from_exec_properties(exec_properties)
    plan = exec_properties.get(_PLAN_KEY) or check_input(exec_properties, split_pattern)
    return pipeline | "Files" >> beam.Create(plan["files"]) | "Parse" >> beam.ParDo(
        _ReadTypedCsv(types, frozenset(plan["dropped"])))


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
        input_config = example_gen_pb2.Input()
        proto_utils.json_to_proto(exec_properties[specs.INPUT_CONFIG_KEY], input_config)
        [split] = input_config.splits
        plan = check_input(exec_properties, split.pattern)
        exec_properties = {**exec_properties, _PLAN_KEY: plan}
        with self._make_beam_pipeline() as pipeline:
            splits = self.GenerateExamplesByBeam(pipeline, exec_properties)
            for name, records in splits.items():
                _ = records | f"WriteSplit[{name}]" >> WriteExamplesSplit(
                    artifact_utils.get_split_uri(outputs, name))
        examples.set_string_custom_property(
            DROPPED_CLASSES, json.dumps(plan["dropped"], sort_keys=True))
        examples.set_string_custom_property(INPUT_FILES, json.dumps(plan["files"]))
        # The artifact facts the base Do records, which StatisticsGen and Transform read.
        payload_format = exec_properties.get(specs.OUTPUT_DATA_FORMAT_KEY)
        if payload_format:
            examples_utils.set_payload_format(examples, payload_format)
        if exec_properties.get(specs.OUTPUT_FILE_FORMAT_KEY):
            examples_utils.set_file_format(examples, write_split.to_file_format_str(
                exec_properties[specs.OUTPUT_FILE_FORMAT_KEY]))
