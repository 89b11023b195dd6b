"""`ledger kfp-run`: run a compiled PipelineSpec here, by the KFP v2 backend's protocol."""
from __future__ import annotations

import os

import click

from pipeline.commands import context

MODES = ("vertex", "open-source")


def _parameters(pairs) -> dict:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r}: use NAME=VALUE", param_hint="--param")
        values[name] = value
    return values


def _print(result) -> None:
    for name, task in result.results.items():
        took = f"{task.ended - task.started:6.1f} s" if task.ended else "      -"
        execution = f"execution {task.record.execution_id}" if task.record else ""
        click.echo(f"  {task.state:<9} {took}  {name:<55} {execution}")
    click.echo(f"run id:         {result.run_id}")
    click.echo(f"job name:       {result.job_name}")
    click.echo(f"wall time:      {result.seconds:.1f} s")


@click.command("kfp-run")
@click.argument("spec_path", metavar="PIPELINE.yaml", type=click.Path(dir_okay=False))
@click.option("--metadata-mysql-config", required=True, type=click.Path(dir_okay=False),
              help='The backend\'s MLMD on MySQL: JSON {"host", "port", "database", "user", '
                   '"password_env"} (the password stays in the named env var).')
@click.option("--pipeline-root", default=None,
              help="Root of the run's outputs (default $LEDGER_HOME/kfp-root/).")
@click.option("--mode", type=click.Choice(MODES), default="vertex", show_default=True,
              help="Whose backend to follow: Vertex AI (artifact types kept, resolvers and "
                   "lifecycle hooks run) or open-source KFP (types collapsed, neither).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Runtime parameter value (repeatable), e.g. --param data_root=/data.")
@click.option("--run-id", default=None,
              help="Re-run tasks of this existing run (with --task); default: a new run.")
@click.option("--task", "tasks", multiple=True, help="Run only this task (repeatable).")
@click.option("--parallel", default=1, show_default=True, type=click.IntRange(1, 8),
              help="Tasks run side by side when their inputs are ready.")
@click.option("--no-cache", is_flag=True, help="Run every task even when a cached result fits.")
def kfp_run(spec_path, metadata_mysql_config, pipeline_root, mode, params, run_id, tasks,
            parallel, no_cache):
    """Run a compiled spec (`ledger compile`) as the KFP v2 backend would, on this machine."""
    import json

    from kubeflow.connection import MetadataOptionError, mysql_spec
    from kubeflow.local_backend import runner, spec
    from kubeflow.local_backend.connection import MetadataConnectionError

    if run_id and not tasks:
        raise click.UsageError("--run-id re-runs tasks of that run: name them with --task")
    try:
        metadata = json.loads(mysql_spec(metadata_mysql_config))
        pipeline = spec.load(spec_path)
        options = runner.RunOptions(
            pipeline_root=os.path.abspath(pipeline_root or os.path.join(
                context.settings().home, "kfp-root")),
            metadata=metadata, mode=mode, parameters=_parameters(params), run_id=run_id,
            tasks=tuple(tasks), parallel=parallel, use_cache=not no_cache)
        result = runner.run_pipeline(pipeline, options)
    except (spec.SpecError, MetadataOptionError, MetadataConnectionError,
            runner.UnsupportedBackendError, OSError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"pipeline:       {result.pipeline_name} ({mode})")
    _print(result)
    if result.failure:
        raise click.ClickException(str(result.failure))


COMMANDS = [kfp_run]
