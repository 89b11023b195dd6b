"""The pipeline's own ingestion nodes (RawData through DataLineage), run alone with LocalDagRunner:
what a dataset version id is made of, without paying for training, evaluation and push."""
from __future__ import annotations

import os

from pipeline.config import DatasetConfig


def run_ingestion(dataset: DatasetConfig, pipeline_name: str, pipeline_root: str,
                  metadata_path: str, beam_args: list[str] | None = None) -> dict:
    """Runs data_components (no Transform: the id does not read its graph) on the dataset's
    directory as run_local would; returns the DatasetVersion's properties."""
    from ml_metadata.metadata_store import metadata_store
    from tfx.orchestration import metadata, pipeline
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner

    from components.data_lineage.lineage import recorded_properties
    from pipeline.pipeline import DEFAULT_BEAM_ARGS, data_components

    os.makedirs(os.path.dirname(metadata_path), exist_ok=True)
    connection = metadata.sqlite_metadata_connection_config(metadata_path)
    LocalDagRunner().run(pipeline.Pipeline(
        pipeline_name=pipeline_name, pipeline_root=pipeline_root,
        components=data_components(
            dataset, dataset.data_dir, recorded_properties(dataset.data_dir, dataset.file_pattern),
            with_transform=False),
        metadata_connection_config=connection,
        beam_pipeline_args=beam_args or DEFAULT_BEAM_ARGS))
    [version] = metadata_store.MetadataStore(connection).get_artifacts_by_type("DatasetVersion")
    return {name: getattr(value, value.WhichOneof("value"))
            for name, value in version.properties.items()}
