"""`ledger` registry commands: list, show, approve, reject, rollback, deprecate, history, verify."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from pipeline import digest, metadata, paths
from pipeline.commands.context import settings
from pipeline.commands.errors import one_line_errors
from pipeline.registry import Registry, RegistryError, checkpoint, render
from pipeline.registry.deploy import source_dir_of
from pipeline.registry.pushed import FAILED, pushed_text
from pipeline.signing.models import ModelKeys

SIGNING_KEY_ENV = "LEDGER_SIGNING_KEY"
_SHARED = {"home", "metadata_spec", "signing_key_env", "as_json"}


def _registry_command(name: str, *, json_flag: bool = False):
    """click.command plus --home, --metadata, --signing-key-env (and --json), errors handled."""

    def decorate(function):
        command = _handled(function)
        if json_flag:
            command = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)
        command = click.option("--home", default=None, help="Ledger home directory.")(command)
        command = click.option(
            "--metadata", "metadata_spec", default=None, help='MLMD spec: {"sqlite": PATH}.'
        )(command)
        command = click.option(
            "--signing-key-env",
            default=SIGNING_KEY_ENV,
            show_default=True,
            help="Environment variable holding the HMAC key of the governance log.",
        )(command)
        built = click.command(name)(command)
        # Command-specific arguments and options first, the shared store options after them.
        shared = [p for p in built.params if p.name in _SHARED]
        built.params = [p for p in built.params if p.name not in _SHARED] + shared[::-1]
        return built

    return decorate


_handled = one_line_errors()


def _open(home, metadata_spec, signing_key_env, *, checks_models=False,
          pushes=False) -> tuple[Registry, paths.LedgerPaths]:
    """The registry. A command that loads pushed files checks model signatures against the
    allowed signers; one that pushes also signs with the model key (made on first use)."""
    layout = paths.ledger_home(home)
    spec = metadata_spec or metadata.sqlite_spec(layout.metadata_path)
    keys = None
    if checks_models or pushes:
        keys = ModelKeys.of(settings(home=home, metadata_spec=metadata_spec), pushes=pushes)
    registry = Registry.open(spec, must_exist=True, signing_key_env=signing_key_env,
                             model_keys=keys)
    return registry, layout


def _split(identifier: str) -> tuple[str, int]:
    name, _, version = identifier.partition("@")
    if not version.isdigit():
        raise RegistryError(f"expected MODEL@VERSION with a number, got {identifier!r}")
    return name, int(version)


@_registry_command("models", json_flag=True)
def models_command(as_json, home, metadata_spec, signing_key_env):
    """List registered models with their latest and production versions."""
    registry, _ = _open(home, metadata_spec, signing_key_env)
    found = registry.models()
    click.echo(render.as_json(found) if as_json else render.models_table(found))


@_registry_command("versions", json_flag=True)
@click.argument("model")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Versions per page.")
@click.option("--before", type=click.IntRange(min=1), default=None,
              help="Show versions older than this one (the next page).")
def versions_command(model, limit, before, as_json, home, metadata_spec, signing_key_env):
    """List MODEL's versions, newest first, a page at a time: stage, metrics, dataset,
    approver and push time."""
    registry, _ = _open(home, metadata_spec, signing_key_env)
    found = registry.versions_page(model, limit=limit, before=before)
    if as_json:
        click.echo(render.as_json(found))
        return
    production = registry.production(model) if found else None
    click.echo(render.versions_table(found, production.version if production else None))
    if found and found[-1].version > 1:
        click.echo(f"(older: ledger versions {model} --before {found[-1].version})", err=True)


@_registry_command("show", json_flag=True)
@click.argument("identifier")
def show_command(identifier, as_json, home, metadata_spec, signing_key_env):
    """Show one version (MODEL@3, MODEL@production, MODEL@latest-approved, MODEL@latest)."""
    registry, _ = _open(home, metadata_spec, signing_key_env)
    info = registry.resolve(identifier)
    history = registry.history(info.model_name, info.version)
    if as_json:
        return click.echo(
            render.as_json({"version": asdict(info), "history": [asdict(t) for t in history]})
        )
    click.echo(render.version_text(info, history))


@_registry_command("approve")
@click.argument("model")
@click.argument("version", type=int)
@click.option("--by", "by", required=True, help="Who approves.")
@click.option("--reason", required=True, help="Why.")
def approve_command(model, version, by, reason, home, metadata_spec, signing_key_env):
    """Approve a validated version (digest re-checked), then push it to the serving root."""
    registry, layout = _open(home, metadata_spec, signing_key_env, pushes=True)
    info = registry.version(model, version)
    current = digest.model_digest(source_dir_of(info))
    approved = registry.approve(model, version, by=by, reason=reason, current_digest=current)
    click.echo(f"approved {model}@{version} by {by} (record {approved.seq})")
    pushed = registry.push(model, version, layout.serving_root, actor=by)
    click.echo(f"pushed {model}@{version} to {pushed.destination} (record {pushed.transition.seq})")


@_registry_command("push")
@click.argument("model")
@click.argument("version", type=int)
@click.option("--by", "by", default="pipeline", show_default=True, help="Who pushes.")
def push_command(model, version, by, home, metadata_spec, signing_key_env):
    """Push an approved version whose push did not happen (e.g. interrupted after approval)."""
    registry, layout = _open(home, metadata_spec, signing_key_env, pushes=True)
    pushed = registry.push(model, version, layout.serving_root, actor=by)
    click.echo(f"pushed {model}@{version} to {pushed.destination} (record {pushed.transition.seq})")


@_registry_command("reject")
@click.argument("model")
@click.argument("version", type=int)
@click.option("--by", "by", required=True, help="Who rejects.")
@click.option("--reason", required=True, help="Why.")
def reject_command(model, version, by, reason, home, metadata_spec, signing_key_env):
    """Reject a candidate or validated version."""
    registry, _ = _open(home, metadata_spec, signing_key_env)
    record = registry.reject(model, version, by=by, reason=reason)
    click.echo(f"rejected {model}@{version} by {by} (record {record.seq})")


@_registry_command("rollback")
@click.argument("model")
@click.option("--to", "to_version", type=int, default=None, help="Version to redeploy.")
@click.option("--by", "by", required=True, help="Who rolls back.")
@click.option("--reason", default="", help="Why.")
def rollback_command(model, to_version, by, reason, home, metadata_spec, signing_key_env):
    """Take MODEL@production out and redeploy the previous (or --to) version."""
    registry, _ = _open(home, metadata_spec, signing_key_env, checks_models=True)
    result = registry.rollback(model, to_version=to_version, actor=by, reason=reason)
    click.echo(
        f"rolled back {model}@{result.from_version} -> {model}@{result.to_version} "
        f"(records {', '.join(str(t.seq) for t in result.transitions)})"
    )


@_registry_command("deprecate")
@click.argument("identifier")
@click.option("--by", "by", required=True, help="Who deprecates.")
@click.option("--reason", default="", help="Why.")
def deprecate_command(identifier, by, reason, home, metadata_spec, signing_key_env):
    """Deprecate MODEL@VERSION from any non-terminal stage."""
    registry, _ = _open(home, metadata_spec, signing_key_env)
    model, version = _split(identifier)
    record = registry.deprecate(model, version, actor=by, reason=reason)
    click.echo(f"deprecated {identifier} (was {record.from_stage}, record {record.seq})")


@_registry_command("history", json_flag=True)
@click.argument("model")
@click.option("--version", type=int, default=None, help="Only this version (or MODEL@N).")
def history_command(model, version, as_json, home, metadata_spec, signing_key_env):
    """Show the governance-log records of MODEL, or of one version (MODEL@N), in order."""
    registry, _ = _open(home, metadata_spec, signing_key_env)
    if "@" in model:
        if version is not None:
            raise RegistryError("give the version once: MODEL@N or --version N")
        model, version = _split(model)
    records = registry.history(model, version)
    click.echo(render.as_json(records) if as_json else render.history_table(records))


@_registry_command("verify", json_flag=True)
@click.option("--checkpoint", "checkpoint_file", default=None, type=click.Path(dir_okay=False),
              help="Check only what was appended since this checkpoint (ledger checkpoint).")
@click.option("--full", is_flag=True,
              help="With --checkpoint: re-check the whole log too, not only what is new.")
def verify_command(checkpoint_file, full, as_json, home, metadata_spec, signing_key_env):
    """Re-check the governance log (hash chain, anchor, heads, HMACs) and every pushed version's
    files and model signature; exit 2 on any problem."""
    registry, _ = _open(home, metadata_spec, signing_key_env, checks_models=True)
    since = checkpoint.read(checkpoint_file) if checkpoint_file else None
    report = registry.verify(since, full=full)
    checks = registry.verify_pushed()
    if as_json:
        click.echo(render.as_json({**asdict(report), "pushed": [asdict(c) for c in checks]}))
    else:
        click.echo(render.verify_text(report))
        click.echo(pushed_text(checks))
    if not report.ok or any(check.status == FAILED for check in checks):
        sys.exit(2)


@_registry_command("checkpoint")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="File to write the checkpoint to (outside the store).")
@click.option("--since", "since_file", default=None, type=click.Path(dir_okay=False),
              help="Verify incrementally from this earlier checkpoint instead of in full.")
def checkpoint_command(out, since_file, home, metadata_spec, signing_key_env):
    """Verify the log, then write its head (last record, each model's last record) to --out."""
    registry, _ = _open(home, metadata_spec, signing_key_env)
    since = checkpoint.read(since_file) if since_file else None
    written = checkpoint.write(out, registry.checkpoint(since))
    made = checkpoint.read(written)
    click.echo(f"checkpoint at seq {made.seq} ({len(made.heads)} models) written to {written}")


COMMANDS = [
    push_command,
    models_command,
    versions_command,
    show_command,
    approve_command,
    reject_command,
    rollback_command,
    deprecate_command,
    history_command,
    verify_command,
    checkpoint_command,
]
