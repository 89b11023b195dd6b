"""A version's training statistics and schema, found by walking MLMD events from its Model."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry import VersionInfo
from pipeline.registry.schema import prop

from .errors import BaselineNotFoundError

TRAIN_SPLIT = "train"
STATS_FILE = "FeatureStats.pb"  # what StatisticsGen writes in each Split-<name> directory
SCHEMA_FILE = "schema.pbtxt"
_OUTPUTS = (pb.Event.OUTPUT, pb.Event.DECLARED_OUTPUT)
_INPUTS = (pb.Event.INPUT, pb.Event.DECLARED_INPUT)


@dataclass(frozen=True)
class TrainingBaseline:
    """What a version was trained on: statistics (train split), schema, data version, columns."""

    statistics_id: int
    statistics_path: str
    schema_id: int
    schema_path: str
    dataset_version_id: str
    span: int
    label: str
    numeric: list = field(default_factory=list)
    categorical: list = field(default_factory=list)

    @property
    def artifact_ids(self) -> list[int]:
        return [self.statistics_id, self.schema_id]


def _producer(store, artifact_id: int, what: str) -> pb.Execution:
    """The execution that first output the artifact; later ones are cached reruns of it."""
    ids = [e.execution_id for e in store.get_events_by_artifact_ids([artifact_id])
           if e.type in _OUTPUTS]
    if not ids:
        raise BaselineNotFoundError(
            f"no execution in MLMD produced the {what} (artifact {artifact_id})")
    return store.get_executions_by_id([min(ids)])[0]


def _input(store, execution: pb.Execution, key: str) -> pb.Artifact:
    """The artifact an execution read under component input `key`."""
    ids = [e.artifact_id for e in store.get_events_by_execution_ids([execution.id])
           if e.type in _INPUTS and key in [step.key for step in e.path.steps]]
    if not ids:
        raise BaselineNotFoundError(
            f"execution {execution.id} ({execution.type}) recorded no '{key}' input")
    return store.get_artifacts_by_id(ids[:1])[0]


def _features(trainer: pb.Execution) -> dict:
    """The label and feature columns LedgerTrainer was configured with (its custom_config)."""
    try:
        config = json.loads(prop(trainer, "custom_config", "") or "{}")
    except ValueError:
        config = {}
    return config.get("features") or {}


def find_baseline(store, version: VersionInfo) -> TrainingBaseline:
    """Model -> trainer -> DatasetVersion -> DataLineage -> its statistics and schema inputs.

    DataLineage read StatisticsGen's and SchemaGen's outputs of the same run, so the pair is
    exactly what the version's data was validated with.
    """
    trainer = _producer(store, version.model_artifact_id, f"model of {version.identifier}")
    dataset = _input(store, trainer, "dataset_version")
    lineage = _producer(store, dataset.id, "DatasetVersion")
    statistics = _input(store, lineage, "statistics")
    schema = _input(store, lineage, "schema")
    columns = _features(trainer)
    return TrainingBaseline(
        statistics_id=statistics.id,
        statistics_path=os.path.join(statistics.uri, f"Split-{TRAIN_SPLIT}", STATS_FILE),
        schema_id=schema.id,
        schema_path=os.path.join(schema.uri, SCHEMA_FILE),
        dataset_version_id=prop(dataset, "dataset_version_id"),
        span=int(prop(dataset, "span", 0) or 0),
        label=columns.get("label", ""),
        numeric=list(columns.get("numeric", [])),
        categorical=list(columns.get("categorical", [])),
    )
