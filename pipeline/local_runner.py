"""Runs the pipeline with LocalDagRunner over the SQLite MLMD store of a ledger home."""
from __future__ import annotations

import getpass
import os
import time
from dataclasses import dataclass

from pipeline.config import DatasetConfig
from pipeline.paths import LedgerPaths


@dataclass(frozen=True)
class RunSummary:
    """Where a local run wrote, what it pushed and how well the model did."""

    pipeline_name: str
    pipeline_root: str
    metadata_path: str
    serving_root: str
    pushed_model: str | None
    decision: str
    accuracy: float | None
    seconds: float
    span: int = 0
    source_dir: str = ""


def pipeline_name_for(dataset: DatasetConfig) -> str:
    return f"ledger-{dataset.name}"


def resolve_span(dataset: DatasetConfig) -> tuple[str, int]:
    """(directory, number) of the newest span, found as ExampleGen's driver will find it.

    A config without `{SPAN}` is (its data directory, 0).
    """
    if not dataset.has_spans:
        return dataset.data_dir, 0
    from tfx.components.example_gen import utils
    from tfx.proto import example_gen_pb2

    split = example_gen_pb2.Input.Split(name="single_split", pattern=dataset.file_pattern)
    # TFX's own resolution (it rewrites split.pattern to the matched span, zero padding kept).
    _, span, _ = utils.calculate_splits_fingerprint_span_and_version(dataset.data_dir, [split])
    return os.path.dirname(os.path.join(dataset.data_dir, split.pattern)), span


def run_local(dataset: DatasetConfig, paths: LedgerPaths, *, train_steps: int = 200,
              beam_pipeline_args: list[str] | None = None, **pipeline_options) -> RunSummary:
    """Builds and runs the pipeline; raises if any component fails."""
    from tfx import v1 as tfx  # heavy: only the commands that run pipelines pay for it

    from components.data_lineage.lineage import recorded_properties
    from pipeline.metadata import sqlite_spec
    from pipeline.pipeline import create_pipeline
    from pipeline.results import approval_decision, headline_accuracy, latest_pushed_model

    os.makedirs(paths.home, exist_ok=True)
    name = pipeline_name_for(dataset)
    started = time.monotonic()
    source_dir, span = resolve_span(dataset)
    tfx.orchestration.LocalDagRunner().run(create_pipeline(
        pipeline_name=name,
        pipeline_root=os.path.join(paths.pipeline_root, name),
        dataset=dataset,
        serving_root=paths.serving_root,
        metadata_connection=sqlite_spec(paths.metadata_path),
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            paths.metadata_path),
        # Digests taken now let DataLineage prove the file it reads later is the one ingested.
        source_properties=recorded_properties(source_dir),
        source_dir=source_dir,
        span=span,
        launched_by=pipeline_options.pop("launched_by", None) or getpass.getuser(),
        beam_pipeline_args=beam_pipeline_args,
        train_steps=train_steps,
        **pipeline_options,
    ))
    return RunSummary(
        pipeline_name=name,
        pipeline_root=os.path.join(paths.pipeline_root, name),
        metadata_path=paths.metadata_path,
        serving_root=paths.serving_root,
        pushed_model=latest_pushed_model(paths.metadata_path, dataset.name),
        decision=approval_decision(paths.metadata_path, dataset.name),
        accuracy=headline_accuracy(paths.metadata_path, os.path.join(paths.pipeline_root, name)),
        seconds=time.monotonic() - started,
        span=span,
        source_dir=source_dir,
    )
