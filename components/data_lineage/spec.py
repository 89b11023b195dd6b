"""DataLineage ComponentSpec and its key constants (shared by component.py and executor.py)."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from components.data_lineage.artifacts import DatasetVersion, RawData

SOURCE_KEY = "source"
EXAMPLES_KEY = "examples"
STATISTICS_KEY = "statistics"
SCHEMA_KEY = "schema"
ANOMALIES_KEY = "anomalies"
TRANSFORM_GRAPH_KEY = "transform_graph"
DATASET_VERSION_KEY = "dataset_version"
PROCESSING_STEPS_KEY = "processing_steps"
MODULE_PATHS_KEY = "module_paths"
SPAN_KEY = "span"


class DataLineageSpec(ComponentSpec):
    """Inputs: raw data and ExampleGen..Transform outputs; output: one DatasetVersion."""

    # Primitives only (JSON text for structures) so KubeflowV2DagRunner can compile it.
    PARAMETERS = {
        PROCESSING_STEPS_KEY: ExecutionParameter(type=str),
        MODULE_PATHS_KEY: ExecutionParameter(type=str),
        SPAN_KEY: ExecutionParameter(type=int, optional=True),
    }
    INPUTS = {
        SOURCE_KEY: ChannelParameter(type=RawData),
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        STATISTICS_KEY: ChannelParameter(type=standard_artifacts.ExampleStatistics),
        SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema),
        ANOMALIES_KEY: ChannelParameter(type=standard_artifacts.ExampleAnomalies, optional=True),
        TRANSFORM_GRAPH_KEY: ChannelParameter(
            type=standard_artifacts.TransformGraph, optional=True),
    }
    OUTPUTS = {DATASET_VERSION_KEY: ChannelParameter(type=DatasetVersion)}
