"""The `ledger` command: run and compile pipelines, and query the registry and lineage in MLMD."""
from __future__ import annotations

import importlib
import sys

import click

from pipeline.commands import context
from pipeline.paths import DEFAULT_DATASET_CONFIG

# Command modules are imported when the CLI starts; none of them may import tfx or tensorflow at
# module level, so registry and lineage commands stay fast.
COMMAND_MODULES = ("pipeline.commands.registry", "pipeline.commands.compile",
                   "pipeline.commands.kfp_run",
                   "pipeline.commands.lineage", "pipeline.commands.serve",
                   "pipeline.commands.monitor", "pipeline.commands.ui")


class LedgerGroup(click.Group):
    """Registers the command modules on first use; lists each command's whole first sentence."""

    _registered = False

    def _register(self) -> None:
        if not LedgerGroup._registered:
            LedgerGroup._registered = True
            for name in COMMAND_MODULES:
                for command in importlib.import_module(name).COMMANDS:
                    self.add_command(command)

    def list_commands(self, ctx):
        self._register()
        return super().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        self._register()
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx, formatter):
        # click cuts summaries to the terminal width minus the names ("..."): wrap them instead.
        rows = [(name, command.get_short_help_str(limit=1_000))
                for name in self.list_commands(ctx)
                if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Identifiers: MODEL, MODEL@VERSION, MODEL@production, "
                    "MODEL@latest-approved, MODEL@latest; a prediction id is "
                    "MODEL@VERSION:HEX. Shell completion: see docs/user-guide.md.")
@click.version_option(package_name="tfx-ledger", prog_name="ledger")
@click.option("--home", "home", envvar="LEDGER_HOME", default=None, metavar="DIR",
              help="Ledger home: MLMD store, pipeline root, serving root, keys, captures, run "
                   "logs [env LEDGER_HOME; default .ledger/ in the checkout].")
@click.option("--metadata", "metadata_spec", envvar="LEDGER_METADATA", default=None,
              metavar="JSON", callback=context.check_metadata_spec,
              help='MLMD connection spec, e.g. {"sqlite": PATH} or {"mysql": {...}} '
                   "[env LEDGER_METADATA; default: the home's SQLite store].")
@click.option("--serving-root", envvar="LEDGER_SERVING_ROOT", default=None,
              type=click.Path(file_okay=False), help="Where versions are pushed "
              "(default HOME/serving); recorded on each version.")
@click.option("--key", "key", envvar="LEDGER_KEY", default=None, type=click.Path(dir_okay=False),
              help="Your private key (Ed25519, e.g. ~/.ssh/id_ed25519): signs your decisions.")
@click.option("--allowed-signers", envvar="LEDGER_ALLOWED_SIGNERS", default=None,
              type=click.Path(dir_okay=False),
              help="Allowed-signers file: identity -> public key (default HOME/allowed_signers).")
@click.option("--service-key", envvar="LEDGER_SERVICE_KEY", default=None,
              type=click.Path(dir_okay=False), help="A managed key for the pipeline's own "
              "records (default: HOME/keys/ledger_service_ed25519, created on first use).")
@click.option("--model-key", envvar="LEDGER_MODEL_KEY", default=None,
              type=click.Path(dir_okay=False), help="A managed ECDSA P-256 key that signs pushed "
              "models (default: HOME/keys/ledger_models_ecdsa, created on first use).")
@click.option("--signing-key-env", default=None, metavar="NAME",
              help="Environment variable holding the legacy HMAC key of the governance log "
                   "and the receipts [default: LEDGER_SIGNING_KEY].")
@click.pass_context
def cli(ctx, signing_key_env, **options):
    """tfx-ledger: a TFX pipeline and an MLMD model registry that records every decision."""
    # Resolved once, on first use (pipeline/commands/context.py), with any command option over it.
    ctx.obj = {"options": options, context.SIGNING_KEY_ENV: signing_key_env}


@cli.command()
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
def run(dataset_config, train_steps, beam_args, approval_mode, force):
    """Run the pipeline locally (LocalDagRunner, SQLite MLMD) on a dataset config."""
    from pipeline.commands.context import settings
    from pipeline.config import DatasetConfigError, load_dataset_config

    try:
        dataset = load_dataset_config(dataset_config)
    except DatasetConfigError as err:
        raise click.ClickException(str(err)) from None
    from pipeline.local_runner import run_local

    resolved = settings()
    try:
        summary = run_local(dataset, resolved.paths, train_steps=train_steps,
                            beam_pipeline_args=list(beam_args) or None, settings=resolved,
                            approval_mode=approval_mode, reuse_unchanged=not force)
    except Exception as err:  # noqa: BLE001 - any component failure ends the run with one line
        raise click.ClickException(f"pipeline failed: {type(err).__name__}: {err}") from None
    if summary.reused_from:
        click.echo(f"unchanged since the run completed at {summary.reused_from}: nothing "
                   "executed, its results stand (--force runs the pipeline anyway)")
    click.echo(f"pipeline root:  {summary.pipeline_root}")
    click.echo(f"MLMD store:     {summary.metadata_path}")
    click.echo(f"approval:       {summary.decision}")
    click.echo(f"pushed model:   {summary.pushed_model or 'nothing pushed'}")
    accuracy = "n/a" if summary.accuracy is None else f"{summary.accuracy:.4f}"
    click.echo(f"eval accuracy:  {accuracy}")
    click.echo(f"wall time:      {summary.seconds:.1f} s")


def _register_command_modules() -> None:
    """Kept for callers that registered explicitly; the group now does it on first use."""
    cli._register()


def main(argv=None) -> int:
    try:
        cli.main(args=argv, prog_name="ledger", standalone_mode=True)
    except SystemExit as done:
        return done.code or 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
