"""The `ledger` command: run and compile pipelines, and query the registry and lineage in MLMD."""
from __future__ import annotations

import importlib
import sys

import click

from pipeline.commands import context

# Command modules are imported when the CLI starts; none of them may import tfx or tensorflow at
# module level, so registry and lineage commands stay fast.
COMMAND_MODULES = ("pipeline.commands.run", "pipeline.commands.registry",
                   "pipeline.commands.compile", "pipeline.commands.kfp_run",
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
