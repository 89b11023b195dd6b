"""DataLineage executor: reads the input artifacts and writes the DatasetVersion properties."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List

from tensorflow.core.example import example_pb2
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils

from components.data_lineage import lineage
from components.data_lineage import spec as keys
from components.data_lineage.artifacts import fact
from pipeline import provenance
from pipeline.digest import tree_digest

# File names the stock StatisticsGen and ExampleValidator write in each Split-<name> dir
# (statistics_gen/stats_artifact_utils.py, example_validator/executor.py); importing those
# modules would pull in tensorflow_data_validation just for two constants.
STATS_FILE = "FeatureStats.pb"
ANOMALIES_FILE = "SchemaDiff.pb"
# Examples custom properties TypedCsvExampleGen records (components/csv_ingest/executor.py;
# not imported: it pulls in Beam and TFX's ExampleGen).
INPUT_FILES = "input_files"
DROPPED_CLASSES = "dropped_classes"


def _split_dirs(artifact: types.Artifact) -> Dict[str, str]:
    names = artifact_utils.decode_split_names(artifact.split_names)
    return {name: artifact_utils.get_split_uri([artifact], name) for name in names}


def _read_split_protos(artifact: types.Artifact, file_name: str, proto_class) -> Dict[str, Any]:
    """One parsed proto per split of a StatisticsGen / ExampleValidator output."""
    protos = {}
    for split, split_dir in _split_dirs(artifact).items():
        with fileio.open(os.path.join(split_dir, file_name), "rb") as handle:
            protos[split] = proto_class.FromString(handle.read())
    return protos


def _write(artifact: types.Artifact, name: str, value) -> None:
    """Typed property where the class declares it, else a custom property.

    KubeflowV2 only compiles custom types without PROPERTIES, so a property-less variant of
    DatasetVersion still records every value.
    """
    if name in (artifact.PROPERTIES or {}):
        setattr(artifact, name, value)
    elif isinstance(value, int):
        artifact.set_int_custom_property(name, value)
    else:
        artifact.set_string_custom_property(name, value)


def _single(input_dict: Dict[str, List[types.Artifact]], key: str):
    artifacts = input_dict.get(key) or []
    return artifact_utils.get_single_instance(artifacts) if artifacts else None


def _read_files(source: types.Artifact, examples: types.Artifact):
    """The files ExampleGen read, relative to the RawData directory (None if not recorded)."""
    read = fact(examples, INPUT_FILES)
    if not read:
        return None
    return [os.path.relpath(path, source.uri) for path in json.loads(read)]


def _source_values(source: types.Artifact, examples: types.Artifact) -> Dict[str, Any]:
    """source_files / source_sha256 of the files the run read, failing if they differ from
    those recorded at start."""
    files, source_sha256 = lineage.source_files(
        source.uri, fact(source, "sha256", ""), fact(source, "files", ""),
        _read_files(source, examples))
    return {"source_files": json.dumps(files), "source_sha256": source_sha256}


def _canonical_example(record: bytes) -> bytes:
    """A tf.Example re-serialized with map keys sorted: same features, same bytes."""
    return example_pb2.Example.FromString(record).SerializeToString(deterministic=True)


def _examples_values(examples: types.Artifact, schema: types.Artifact) -> Dict[str, Any]:
    """The immutable copy: record counts and digests per split, root digest, schema digest."""
    splits = lineage.split_summary(examples.uri, _split_dirs(examples), _canonical_example)
    return {
        "examples_uri": examples.uri,
        "split_counts": json.dumps(splits["split_counts"], sort_keys=True),
        "split_digests": json.dumps(splits["split_digests"], sort_keys=True),
        "split_record_digests": json.dumps(splits["split_record_digests"], sort_keys=True),
        "examples_root_digest": splits["examples_root_digest"],
        "schema_digest": lineage.canonical_schema_digest(
            io_utils.get_only_uri_in_dir(schema.uri)),
    }


def _validation_values(statistics: types.Artifact, anomalies) -> Dict[str, Any]:
    """missing_counts (summed over splits) and, when ExampleValidator ran, its anomalies."""
    stats = _read_split_protos(statistics, STATS_FILE, statistics_pb2.DatasetFeatureStatisticsList)
    values = {"missing_counts": json.dumps(lineage.missing_counts(stats))}
    if anomalies is not None:  # left unset when nothing validated: absent is not "clean"
        names = lineage.anomaly_names(
            _read_split_protos(anomalies, ANOMALIES_FILE, anomalies_pb2.Anomalies))
        values.update(anomaly_count=len(names), anomaly_names=json.dumps(names))
    return values


def _provenance_values(exec_properties: Dict[str, Any], graph) -> Dict[str, Any]:
    """Processing steps stamped with the code revision, module digests, library versions."""
    revision = provenance.code_revision()
    modules = provenance.module_digests(
        json.loads(exec_properties.get(keys.MODULE_PATHS_KEY) or "[]"))
    steps = provenance.parse_steps(exec_properties.get(keys.PROCESSING_STEPS_KEY))
    if graph is not None:
        steps = provenance.attach_output(steps, "Transform", {
            "artifact": keys.TRANSFORM_GRAPH_KEY, "uri": graph.uri,
            "sha256": tree_digest(graph.uri).root})
    return {
        "processing_steps": json.dumps(provenance.stamp_steps(steps, revision, modules)),
        "code_revision": revision.commit, "code_dirty": int(revision.dirty),
        "library_versions": json.dumps(provenance.library_versions(), sort_keys=True),
    }


def _span(examples: types.Artifact, exec_properties: Dict[str, Any]) -> int:
    """The span ExampleGen's driver resolved (on the Examples), checked against the runner's.

    The runner pointed the RawData importer at the span directory it resolved before the run;
    a span that appeared in between would make the raw-data lineage name the wrong files.
    Examples that carry no span (imported, not made by an ExampleGen) take the runner's.
    """
    expected = int(exec_properties.get(keys.SPAN_KEY) or 0)
    span = int(fact(examples, keys.SPAN_KEY, expected) or 0)
    if expected and span != expected:
        raise lineage.SourceFileError(
            f"ExampleGen read span {span} but the RawData importer recorded span {expected} "
            "(a new span appeared during the run); run the pipeline again")
    return span


class Executor(base_executor.BaseExecutor):
    """Computes source/copy digests, counts, summaries and provenance into one DatasetVersion."""

    def Do(self, input_dict: Dict[str, List[types.Artifact]],
           output_dict: Dict[str, List[types.Artifact]], exec_properties: Dict[str, Any]) -> None:
        """Fails (raises) if a source file vanished, is unreadable or changed since run start."""
        self._log_startup(input_dict, output_dict, exec_properties)
        values = {
            **_source_values(_single(input_dict, keys.SOURCE_KEY),
                             _single(input_dict, keys.EXAMPLES_KEY)),
            **_examples_values(_single(input_dict, keys.EXAMPLES_KEY),
                               _single(input_dict, keys.SCHEMA_KEY)),
            **_validation_values(_single(input_dict, keys.STATISTICS_KEY),
                                 _single(input_dict, keys.ANOMALIES_KEY)),
            **_provenance_values(exec_properties, _single(input_dict, keys.TRANSFORM_GRAPH_KEY)),
            "span": _span(_single(input_dict, keys.EXAMPLES_KEY), exec_properties),
        }
        values[DROPPED_CLASSES] = fact(
            _single(input_dict, keys.EXAMPLES_KEY), DROPPED_CLASSES, "{}") or "{}"
        values["dataset_version_id"] = lineage.dataset_version_id(
            json.loads(values["source_files"]), json.loads(values["split_record_digests"]),
            values["schema_digest"])
        version = artifact_utils.get_single_instance(output_dict[keys.DATASET_VERSION_KEY])
        for name, value in values.items():
            _write(version, name, value)
