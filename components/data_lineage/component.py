"""DataLineage component: records a content-addressed DatasetVersion for one pipeline run."""
from __future__ import annotations

import json
from typing import Optional, Sequence, Union

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec

from components.data_lineage import executor
from components.data_lineage.artifacts import DatasetVersion
from components.data_lineage.spec import (  # noqa: F401  keys re-exported for pipeline code
    ANOMALIES_KEY,
    DATASET_VERSION_KEY,
    EXAMPLES_KEY,
    SCHEMA_KEY,
    SOURCE_KEY,
    STATISTICS_KEY,
    TRANSFORM_GRAPH_KEY,
    DataLineageSpec,
)


def _as_json(value: Union[str, Sequence, dict]) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class DataLineage(base_component.BaseComponent):
    """Records where a dataset came from, what was done to it, and by which code.

    Inputs: `source` (RawData: the directory ExampleGen read, optionally with the `sha256`/`files`
    recorded at run start), `examples`, `statistics`, `schema`, and optionally `anomalies` and
    `transform_graph`. Output: `dataset_version` (DatasetVersion with typed properties).
    The execution fails, naming the file, if a source file vanished, became unreadable or no
    longer matches the digests recorded at run start.

    Example:
        lineage = DataLineage(
            source=raw_data_importer.outputs["result"],
            examples=example_gen.outputs["examples"],
            statistics=statistics_gen.outputs["statistics"],
            schema=schema_gen.outputs["schema"],
            anomalies=example_validator.outputs["anomalies"],
            transform_graph=transform.outputs["transform_graph"],
            processing_steps=[{"name": "Transform", "module_path": "models.preprocessing"}],
            module_paths=["models.preprocessing"])
    """

    SPEC_CLASS = DataLineageSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        source: types.BaseChannel,
        examples: types.BaseChannel,
        statistics: types.BaseChannel,
        schema: types.BaseChannel,
        anomalies: Optional[types.BaseChannel] = None,
        transform_graph: Optional[types.BaseChannel] = None,
        processing_steps: Union[str, Sequence[dict], dict] = (),
        module_paths: Union[str, Sequence[str]] = (),
        span: int = 0,
    ):
        """processing_steps / module_paths: lists (JSON-encoded here) or JSON strings."""
        spec = DataLineageSpec(
            source=source,
            examples=examples,
            statistics=statistics,
            schema=schema,
            anomalies=anomalies,
            transform_graph=transform_graph,
            processing_steps=_as_json(processing_steps),
            module_paths=_as_json(module_paths),
            span=span,
            dataset_version=types.Channel(type=DatasetVersion),
        )
        super().__init__(spec=spec)
