"""`ledger run`: the pipeline on a dataset config, one line per component, the libraries' output
in a per-run log file (streamed with --verbose), then the summary."""
from __future__ import annotations

import io
import os
import traceback

import click

from pipeline.commands import context
from pipeline.commands.errors import one_line_errors
from pipeline.paths import DEFAULT_DATASET_CONFIG

CAUSE_CHARS = 300  # a cause longer than this is cut; the log has all of it


def _summary_lines(summary) -> list[str]:
    accuracy = "n/a" if summary.accuracy is None else f"{summary.accuracy:.4f}"
    lines = [f"unchanged since the run completed at {summary.reused_from}: nothing executed, "
             "its results stand (--force runs the pipeline anyway)"] if summary.reused_from else []
    return lines + [
        f"pipeline root:  {summary.pipeline_root}",
        f"MLMD store:     {summary.metadata_path}",
        f"approval:       {summary.decision}",
        f"pushed model:   {summary.pushed_model or 'nothing pushed'}",
        f"eval accuracy:  {accuracy}",
        f"wall time:      {summary.seconds:.1f} s",
    ]


def _cause(err: Exception) -> str:
    """The exception's first non-empty line, as `Type: message`."""
    first = next((line.strip() for line in str(err).splitlines() if line.strip()), "")
    cause = f"{type(err).__name__}: {first}" if first else type(err).__name__
    return cause if len(cause) <= CAUSE_CHARS else cause[:CAUSE_CHARS - 3] + "..."


@click.command("run")
@click.option("--dataset-config", default=DEFAULT_DATASET_CONFIG, show_default=True,
              type=click.Path(dir_okay=False), help="YAML/JSON dataset config (CSV path, label, "
              "numeric and categorical columns).")
@click.option("--train-steps", default=200, show_default=True, type=click.IntRange(1))
@click.option("--beam-arg", "beam_args", multiple=True,
              help="A Beam pipeline option, repeatable (e.g. --beam-arg=--runner=FlinkRunner). "
                   "Default: DirectRunner in memory.")
@click.option("--approval", "approval_mode", type=click.Choice(["auto", "manual"]),
              default="auto", show_default=True,
              help="auto: the approval policy decides; manual: the version waits for "
                   "`ledger approve`.")
@click.option("--force", is_flag=True,
              help="Run even when data, config, code, libraries, options and the MLMD store "
                   "are unchanged since the last completed run (which is otherwise reused "
                   "without starting TFX).")
@click.option("--verbose", "-v", is_flag=True,
              help="Also stream the libraries' output (TF, absl, Beam) that goes to the log.")
@click.option("--quiet", "-q", is_flag=True, help="Print the summary only.")
@one_line_errors()  # a store that is not MLMD's or not the home's, files, values
def run_command(dataset_config, train_steps, beam_args, approval_mode, force, verbose, quiet):
    """Run the pipeline locally (LocalDagRunner, SQLite MLMD) on a dataset config."""
    from pipeline.config import DatasetConfigError, load_dataset_config
    from pipeline.metadata import check_sqlite_store
    from pipeline.run_log import captured, new_log_path
    from pipeline.run_progress import RunProgress
    from pipeline.run_store import check_local_run_store

    if verbose and quiet:
        raise click.UsageError("choose one of --verbose and --quiet")
    settings = context.settings()
    check_local_run_store(settings)  # a run recorded where no other command would read it
    # TFX opens the store with its own connection: a file that is not MLMD's is refused here,
    # before TFX is imported or a run log is written (a missing or empty one becomes a store).
    check_sqlite_store(settings.paths.metadata_path, must_exist=False)
    try:
        dataset = load_dataset_config(dataset_config)
    except DatasetConfigError as err:
        raise click.ClickException(str(err)) from None
    log_path = new_log_path(settings.paths.logs_root)
    with captured(log_path, stream=verbose) as terminal:
        progress = RunProgress(io.StringIO() if quiet else terminal, interleaved=verbose,
                               log_path=log_path)
        try:
            from pipeline.local_runner import run_local

            summary = run_local(dataset, settings.paths, train_steps=train_steps,
                                beam_pipeline_args=list(beam_args) or None, settings=settings,
                                approval_mode=approval_mode, reuse_unchanged=not force,
                                progress=progress)
        except Exception as err:  # noqa: BLE001 - any failure ends the run with one line
            traceback.print_exc()  # fd 2 is the log here: the whole cause goes there
            progress.end("failed")  # a failure outside a node's launch still closes its line
            failed = progress.failed
            where = f"{failed} failed" if failed else "pipeline failed"
            raise click.ClickException(f"{where}: {_cause(err)}\n  log: {log_path}") from None
    if summary.reused_from and os.path.getsize(log_path) == 0:
        os.remove(log_path)  # nothing ran, nothing was logged
    for line in _summary_lines(summary):
        click.echo(line)


COMMANDS = [run_command]
