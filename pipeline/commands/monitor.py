"""`ledger` monitoring commands: drift (captured requests vs training data) and retrain."""
from __future__ import annotations

import functools
import json
import sys

import click
from ml_metadata import errors as mlmd_errors

from pipeline.commands import context
from pipeline.commands.identifiers import MODEL_OR_VERSION
from pipeline.commands.options import with_options
from pipeline.monitoring.errors import MonitoringError
from pipeline.monitoring.thresholds import ThresholdsError
from pipeline.paths import DEFAULT_DATASET_CONFIG
from pipeline.registry import RegistryError

DRIFT_EXIT = 3  # a scheduler's signal: some feature drifted or is skewed; act on it
_FAILURES = (MonitoringError, RegistryError, ThresholdsError, mlmd_errors.StatusError, OSError,
             ValueError)


def _handled(command):
    """Refusals and store failures as one line on stderr and exit code 1 (3 stays for drift)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except _FAILURES as exc:
            click.echo(f"error: {exc}".splitlines()[0], err=True)
            sys.exit(1)

    return wrapper


def _dataset(dataset_config: str, model_name: str | None = None):
    from pipeline.config import load_dataset_config

    dataset = load_dataset_config(dataset_config)
    if model_name and dataset.name != model_name:
        raise MonitoringError(f"{dataset_config} trains model {dataset.name!r}, not "
                              f"{model_name!r}: pass the model's own --dataset-config")
    return dataset


def _local_run_settings(command: str):
    """The group's settings, refused when their store is not the one a local run records in."""
    from pipeline.run_store import check_local_run_store

    settings = context.settings()
    check_local_run_store(settings, command)
    return settings


def _retrain(dataset, settings, train_steps: int, as_json: bool):
    from pipeline.monitoring.retrain import outcome_lines, retrain

    try:
        outcome = retrain(dataset, settings.paths, train_steps=train_steps, settings=settings)
    except Exception as err:  # noqa: BLE001 - any component failure ends the run with one line
        raise MonitoringError(f"pipeline failed: {type(err).__name__}: {err}") from None
    if not as_json:
        click.echo("\n".join(outcome_lines(outcome)))
    return outcome


_retrain_options = [
    click.option("--dataset-config", default=DEFAULT_DATASET_CONFIG, show_default=True,
                 type=click.Path(dir_okay=False),
                 help="The model's dataset config; a path with {SPAN} reads numbered spans."),
    click.option("--train-steps", default=200, show_default=True, type=click.IntRange(1)),
]


@click.command("drift")
@click.argument("target", type=MODEL_OR_VERSION)
@click.option("--thresholds", "thresholds_file", default=None, type=click.Path(dir_okay=False),
              help="YAML/JSON: {numeric: 0.15, categorical: 0.15, features: {name: value}}.")
@click.option("--capture", "capture_files", multiple=True,
              help="Check only this capture file (repeatable; default: all of the version).")
@click.option("--since", default=None, help="Only requests issued at or after this UTC time "
              "(ISO-8601, e.g. 2026-11-22T00:00:00Z).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--retrain", "then_retrain", is_flag=True,
              help="On drift, run the pipeline on the newest span (see `ledger retrain`).")
@with_options(_retrain_options)
@_handled
def drift_command(target, thresholds_file, capture_files, since, as_json, then_retrain,
                  dataset_config, train_steps):
    """Drift and skew of MODEL[@VERSION]'s captured requests vs its training data (exit 3)."""
    from pipeline.monitoring import check_drift, load_thresholds
    from pipeline.monitoring.report import feature_table, footer_lines, header_lines

    target = str(target) if target.selector else f"{target.model}@production"
    # A retrain records in the home's store: refused before the drift check, not after it.
    settings = _local_run_settings("ledger drift --retrain") if then_retrain else context.settings()
    layout = settings.paths
    dataset = _dataset(dataset_config, target.split("@")[0]) if then_retrain else None
    result = check_drift(target, layout, thresholds=load_thresholds(thresholds_file),
                         metadata_spec=settings.metadata_spec, files=list(capture_files) or None,
                         since=since)
    if not as_json:
        click.echo("\n".join([*header_lines(result), feature_table(result),
                              *footer_lines(result)]))
    outcome = None
    if result.flagged and then_retrain:
        if not as_json:
            click.echo(f"retraining {result.model_name} on the newest span ...")
        outcome = _retrain(dataset, settings, train_steps, as_json)
    if as_json:
        document = result.to_dict()
        if outcome is not None:
            document["retrain"] = _outcome_dict(outcome)
        click.echo(json.dumps(document, indent=2, sort_keys=True))
    sys.exit(DRIFT_EXIT if result.flagged else 0)


def _outcome_dict(outcome) -> dict:
    summary = outcome.summary
    return {"span": summary.span, "source_dir": summary.source_dir,
            "decision": summary.decision, "accuracy": summary.accuracy,
            "was_deployed": outcome.before.identifier if outcome.before else None,
            "was_trained_on_span": outcome.before_span,
            "now_deployed": outcome.production.identifier if outcome.production else None,
            "deployed_new_version": outcome.deployed_new_version}


@click.command("retrain")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@with_options(_retrain_options)
@_handled
def retrain_command(as_json, dataset_config, train_steps):
    """Run the pipeline on the newest span; the new version passes the usual gates or not."""
    settings = _local_run_settings("ledger retrain")
    outcome = _retrain(_dataset(dataset_config), settings, train_steps, as_json)
    if as_json:
        click.echo(json.dumps(_outcome_dict(outcome), indent=2, sort_keys=True))


COMMANDS = [drift_command, retrain_command]
