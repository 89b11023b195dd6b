"""The `ledger` command: run and compile pipelines, and query the registry and lineage in MLMD."""
from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import sys

import click

from pipeline.commands import context

# Every command: its name -> "module:function". A command's module is imported only when that
# command runs (click's LazyGroup pattern): importing them all cost every command ~0.9 s (MLMD,
# gRPC, cryptography) before it started. A new command must be added here; a test checks this
# table against each module's COMMANDS.
COMMANDS = {
    "approve": "pipeline.commands.registry:approve_command",
    "as-of": "pipeline.commands.lineage:as_of_command",
    "checkpoint": "pipeline.commands.registry:checkpoint_command",
    "compile": "pipeline.commands.compile:compile",
    "deprecate": "pipeline.commands.registry:deprecate_command",
    "diff": "pipeline.commands.lineage:diff_command",
    "drift": "pipeline.commands.monitor:drift_command",
    "history": "pipeline.commands.registry:history_command",
    "impact": "pipeline.commands.lineage:impact_command",
    "kfp-run": "pipeline.commands.kfp_run:kfp_run",
    "models": "pipeline.commands.registry:models_command",
    "predict": "pipeline.commands.serve:predict_command",
    "push": "pipeline.commands.registry:push_command",
    "reject": "pipeline.commands.registry:reject_command",
    "report": "pipeline.commands.lineage:report_command",
    "retrain": "pipeline.commands.monitor:retrain_command",
    "rollback": "pipeline.commands.registry:rollback_command",
    "run": "pipeline.commands.run:run_command",
    "serve": "pipeline.commands.serve:serve_command",
    "show": "pipeline.commands.registry:show_command",
    "trace": "pipeline.commands.lineage:trace_command",
    "ui": "pipeline.commands.ui:ui_command",
    "verify": "pipeline.commands.registry:verify_command",
    "verify-receipt": "pipeline.commands.serve:verify_receipt_command",
    "versions": "pipeline.commands.registry:versions_command",
}


@functools.lru_cache(maxsize=None)
def _docstrings(module: str) -> dict[str, str]:
    """Top-level function name -> docstring, from the module's source (not imported)."""
    with open(importlib.util.find_spec(module).origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    return {node.name: ast.get_docstring(node) or "" for node in tree.body
            if isinstance(node, ast.FunctionDef)}


def command_summary(name: str) -> str:
    """A command's whole first sentence, read from its function's docstring in the module's
    source: the summary `ledger --help` and completion show, without importing the module."""
    module, function = COMMANDS[name].split(":")
    doc = _docstrings(module).get(function, "")
    # click's own shortening (first sentence; text after \f is not help).
    return click.Command(name, help=doc.partition("\f")[0]).get_short_help_str(limit=1_000)


class LedgerGroup(click.Group):
    """Imports a command's module when it is invoked; lists each command's whole first sentence."""

    def list_commands(self, ctx):
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, function = COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), function), cmd_name)
        elif cmd_name not in self.commands:
            # A command a module lists but COMMANDS does not (yet): found the slow way.
            for module in sorted({target.split(":")[0] for target in COMMANDS.values()}):
                for command in importlib.import_module(module).COMMANDS:
                    self.commands.setdefault(command.name, command)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx, formatter):
        # click cuts summaries to the terminal width minus the names ("..."): wrap them instead.
        with formatter.section("Commands"):
            formatter.write_dl([(name, self._summary(name)) for name in self.list_commands(ctx)])

    def shell_complete(self, ctx, incomplete):
        # click's own would import every matching command's module to read its summary.
        from click.shell_completion import CompletionItem

        if incomplete and not incomplete[0].isalnum():
            return super().shell_complete(ctx, incomplete)  # options
        return [CompletionItem(name, help=self._summary(name))
                for name in self.list_commands(ctx) if name.startswith(incomplete)]

    def _summary(self, name: str) -> str:
        if name in COMMANDS:
            return command_summary(name)
        return self.commands[name].get_short_help_str(limit=1_000)


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
    """Imports every command now (callers that use `cli.commands` directly)."""
    ctx = click.Context(cli)
    for name in COMMANDS:
        cli.get_command(ctx, name)


def main(argv=None) -> int:
    try:
        cli.main(args=argv, prog_name="ledger", standalone_mode=True)
    except SystemExit as done:
        return done.code or 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
