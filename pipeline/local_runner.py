"""Runs the pipeline with LocalDagRunner over the SQLite MLMD store of a ledger home."""
from __future__ import annotations

import dataclasses
import getpass
import logging
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass

from components.data_lineage.lineage import recorded_properties
from pipeline.config import DatasetConfig
from pipeline.paths import LedgerPaths
from pipeline.run_progress import following
from pipeline.settings import Settings, resolve
from pipeline.signing.identity import service_signer
from pipeline.signing.models import model_signing_key


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
    seconds: float  # run time, not counting the TFX imports before it
    span: int = 0
    source_dir: str = ""
    reused_from: str = ""  # set when nothing ran: when the identical run was recorded


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
              beam_pipeline_args: list[str] | None = None, reuse_unchanged: bool = True,
              settings: Settings | None = None, progress=None,
              **pipeline_options) -> RunSummary:
    """Builds and runs the pipeline; raises if any component fails.

    With `reuse_unchanged`, a run whose data, dataset config, code, git revision, libraries
    and options equal those of the last completed run, in a store nobody wrote to since, is
    not started: that run's summary is returned (reused_from says when it was recorded).
    TFX would cache every component of such a run; this skips starting TFX at all. Configs
    with `{SPAN}` always run (resolving the span needs TFX). `settings` (keys, allowed
    signers, serving root) default to those of the home.

    `progress` (pipeline/run_progress.py) hears why the run is not reused and each component's
    start and end. A store file that is not MLMD's raises StoreOpenError, settings naming
    another store than the home's LocalRunStoreError, before anything starts.
    """
    from pipeline.metadata import check_sqlite_store
    from pipeline.run_store import check_local_run_store

    settings = settings or resolve(home=paths.home)
    if settings.home != os.path.abspath(paths.home):
        raise ValueError(f"settings are for home {settings.home}, the run is in {paths.home}")
    check_local_run_store(settings, "run_local")
    # LocalDagRunner opens the store itself, without open_store's checks.
    check_sqlite_store(paths.metadata_path, must_exist=False)
    from pipeline import provenance, run_cache  # MLMD (~0.5 s), not paid for a refused store

    provenance.start_run()  # git is read once for this run: run key, DatasetVersion, manifest
    os.makedirs(paths.home, exist_ok=True)
    name = pipeline_name_for(dataset)
    started = time.monotonic()
    pipeline_options["launched_by"] = pipeline_options.get("launched_by") or getpass.getuser()
    key = source_properties = None
    if not dataset.has_spans:
        source_properties = recorded_properties(dataset.data_dir, dataset.file_pattern)
        key = run_cache.run_key(dataset, source_properties, {
            "name": name, "home": os.path.abspath(paths.home), "train_steps": train_steps,
            "beam_pipeline_args": beam_pipeline_args, **pipeline_options})
        found = run_cache.reusable(paths.metadata_path, name, key) if reuse_unchanged else None
        if found and found.summary:
            return RunSummary(**{**found.summary, "seconds": time.monotonic() - started,
                                 "reused_from": found.recorded_at})
        why = found.reason if found else "forced (--force)"
    else:
        why = "a config with {SPAN} always runs"
    if progress is not None:
        progress.note(f"running {name}: {why}")
    summary = _run_pipeline(dataset, paths, name, started, source_properties,
                            train_steps=train_steps, beam_pipeline_args=beam_pipeline_args,
                            model_key=model_signing_key(settings).path,  # made on first use
                            settings=settings, progress=progress, **pipeline_options)
    if key is not None:
        try:
            run_cache.remember(paths.metadata_path, name, key, _reusable_fields(summary))
        except Exception as err:  # noqa: BLE001 - the run succeeded; only its reuse is lost
            warning = (f"run completed, but its run key was not recorded (the next run will "
                       f"not be reused): {type(err).__name__}: {err}")
            if progress is not None:
                progress.note(warning)
            else:
                logging.warning(warning)
    return summary


def _reusable_fields(summary: RunSummary) -> dict:
    fields = dataclasses.asdict(summary)
    for volatile in ("seconds", "reused_from"):
        fields.pop(volatile)
    return fields


def _run_pipeline(dataset, paths, name, started, source_properties, *, train_steps,
                  beam_pipeline_args, model_key: str, settings: Settings, progress=None,
                  **pipeline_options) -> RunSummary:
    checked = time.monotonic() - started  # the run key; the imports below are not run time
    # Heavy, so only the commands that run pipelines pay for it; not `tfx.v1`, whose
    # cloud extensions (google-cloud-aiplatform) add seconds a local run never uses.
    from tfx.orchestration import metadata

    from pipeline import recovery
    from pipeline.metadata import open_store, sqlite_spec
    from pipeline.pipeline import create_pipeline
    from pipeline.results import approval_decision, headline_accuracy, latest_pushed_model

    started = time.monotonic() - checked
    source_dir, span = resolve_span(dataset)
    service_signer(settings)  # the service key, made and listed once, before components race
    built = create_pipeline(
        pipeline_name=name,
        pipeline_root=os.path.join(paths.pipeline_root, name),
        dataset=dataset,
        serving_root=settings.serving_root,
        metadata_connection=sqlite_spec(paths.metadata_path),
        metadata_connection_config=metadata.sqlite_metadata_connection_config(
            paths.metadata_path),
        # Digests taken now let DataLineage prove the file it reads later is the one ingested.
        source_properties=source_properties or recorded_properties(
            source_dir, os.path.basename(dataset.path)),
        source_dir=source_dir,
        span=span,
        beam_pipeline_args=beam_pipeline_args,
        train_steps=train_steps,
        model_signing_key=model_key,
        settings=settings.to_json(),
        **pipeline_options,
    )
    with following(progress) if progress is not None else nullcontext():
        # Runs a dead process left RUNNING are failed and cleaned up first (pipeline/recovery.py).
        recovery.run_local(built, paths.home, open_store(sqlite_spec(paths.metadata_path)))
    return RunSummary(
        pipeline_name=name,
        pipeline_root=os.path.join(paths.pipeline_root, name),
        metadata_path=paths.metadata_path,
        serving_root=settings.serving_root,
        pushed_model=latest_pushed_model(paths.metadata_path, dataset.name),
        decision=approval_decision(paths.metadata_path, dataset.name),
        accuracy=headline_accuracy(paths.metadata_path, os.path.join(paths.pipeline_root, name)),
        seconds=time.monotonic() - started,
        span=span,
        source_dir=source_dir,
    )
