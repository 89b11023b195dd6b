"""`ledger` registry commands: list, show, approve, reject, rollback, deprecate, history, verify."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from pipeline import digest
from pipeline.commands import context
from pipeline.commands.errors import one_line_errors
from pipeline.commands.identifiers import MODEL, MODEL_OR_VERSION, VERSION
from pipeline.commands.options import with_options
from pipeline.registry import Registry, RegistryError, VersionInfo, checkpoint, render
from pipeline.registry.deploy import source_dir_of
from pipeline.registry.pushed import FAILED, pushed_text
from pipeline.settings import Settings
from pipeline.signing.identity import person_signer, service_signer
from pipeline.signing.models import ModelKeys


def _registry_command(name: str, *, json_flag: bool = False):
    """click.command (plus --json), failures as one line on stderr; the store and keys come
    from the group's options (pipeline/commands/context.py)."""

    def decorate(function):
        command = one_line_errors()(function)
        if json_flag:
            command = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)
        return click.command(name)(command)

    return decorate


_key_option = click.option(
    "--key", "key", default=None, type=click.Path(dir_okay=False),
    help="Your private key (e.g. ~/.ssh/id_ed25519), listed for you in the allowed signers.",
)


def _decision_options(verb: str, *, reason_required: bool):
    """IDENTIFIER, --by, --reason and --key of a decision on one version signed by a person."""
    reason = {"required": True} if reason_required else {"default": ""}
    return with_options((
        click.argument("identifier", type=VERSION),
        click.option("--by", "by", default=None,
                     help=f"Who {verb} (default: your key's identity)."),
        click.option("--reason", help="Why.", **reason),
        _key_option,
    ))


def _settings(key=None) -> Settings:
    """The group's settings, with a command's own --key over the group's."""
    return context.settings(key=key)


def _model_keys(resolved: Settings, checks_models: bool, pushes: bool):
    """A command that loads pushed files checks model signatures against the allowed signers;
    one that pushes also signs with the model key (made on first use)."""
    return ModelKeys.of(resolved, pushes=pushes) if checks_models or pushes else None


def _open(*, checks_models=False, pushes=False) -> tuple[Registry, Settings]:
    """A registry for reading: records are checked against the allowed signers."""
    resolved = _settings()
    keys = _model_keys(resolved, checks_models, pushes)
    return Registry.from_settings(resolved, model_keys=keys), resolved


def _open_as(by, key, *, checks_models=False, pushes=False) -> tuple[Registry, Settings]:
    """A registry whose writes are signed by `by`'s own key; refused before any write when
    the key is missing or is not `by`'s key in the allowed signers."""
    resolved = _settings(key)
    signer = person_signer(resolved, by)
    keys = _model_keys(resolved, checks_models, pushes)
    return Registry.from_settings(resolved, signer=signer, model_keys=keys), resolved


def _resolve_as(identifier, by, key) -> tuple[Registry, VersionInfo]:
    """A registry whose writes are signed by `by`'s own key, and the version IDENTIFIER names."""
    registry, _ = _open_as(by, key)
    return registry, registry.resolve(str(identifier))


def _statuses(registry, records) -> list:
    return [registry.record_status(record) for record in records]


@_registry_command("models", json_flag=True)
def models_command(as_json):
    """List registered models with their latest and production versions."""
    registry, _ = _open()
    found = registry.models()
    click.echo(render.as_json(found) if as_json else render.models_table(found))


@_registry_command("versions", json_flag=True)
@click.argument("model", type=MODEL)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Versions per page.")
@click.option("--before", type=click.IntRange(min=1), default=None,
              help="Show versions older than this one (the next page).")
def versions_command(model, limit, before, as_json):
    """List MODEL's versions, newest first, a page at a time: stage, metrics, dataset,
    approver and push time."""
    registry, _ = _open()
    model = model.model
    found = registry.versions_page(model, limit=limit, before=before)
    statuses = {v.version: _statuses(registry, registry.history(model, v.version))
                for v in found}  # only this page's records
    if as_json:
        rows = [dict(asdict(v), status=render.worst(statuses.get(v.version, [])))
                for v in found]
        click.echo(render.as_json(rows))
        return
    production = registry.production(model) if found else None
    click.echo(render.versions_table(found, production.version if production else None,
                                     statuses))
    if found and found[-1].version > 1:
        click.echo(f"(older: ledger versions {model} --before {found[-1].version})", err=True)


@_registry_command("show", json_flag=True)
@click.argument("identifier", type=VERSION)
def show_command(identifier, as_json):
    """Show one version (MODEL@3, MODEL@production, MODEL@latest-approved, MODEL@latest)."""
    registry, _ = _open()
    info = registry.resolve(str(identifier))
    history = registry.history(info.model_name, info.version)
    statuses = _statuses(registry, history)
    if as_json:
        return click.echo(render.as_json({
            "version": dict(asdict(info), status=render.worst(statuses)),
            "history": render.records_json(history, statuses)}))
    click.echo(render.version_text(info, history, statuses))


@_registry_command("approve")
@_decision_options("approves", reason_required=True)
def approve_command(identifier, by, reason, key):
    """Approve a validated version (digest re-checked, signed with your key), then push it."""
    registry, resolved = _open_as(by, key, pushes=True)
    by = registry.signer.identity
    info = registry.resolve(str(identifier))
    model, version = info.model_name, info.version
    current = digest.model_digest(source_dir_of(info))
    approved = registry.approve(model, version, by=by, reason=reason, current_digest=current)
    click.echo(f"approved {model}@{version} by {by} (record {approved.seq}, signed "
               f"{approved.key_fingerprint})")
    pushed = registry.push(model, version, info.serving_root or resolved.serving_root, actor=by)
    click.echo(f"pushed {model}@{version} to {pushed.destination} (record {pushed.transition.seq})")


@_registry_command("push")
@click.argument("identifier", type=VERSION)
@click.option("--by", "by", default=None, help="Who pushes (default: the pipeline, signed "
              "with its service key; with --key: you).")
@_key_option
def push_command(identifier, by, key):
    """Push an approved version whose push did not happen (e.g. interrupted after approval)."""
    resolved = _settings(key)
    if resolved.key_path:
        signer = person_signer(resolved, by)
    else:
        signer = service_signer(resolved)
        if by not in (None, signer.identity):
            raise RegistryError(f"a push by {by} must be signed with {by}'s key (--key)")
    registry = Registry.from_settings(resolved, signer=signer,
                                     model_keys=_model_keys(resolved, False, True))
    info = registry.resolve(str(identifier))
    model, version = info.model_name, info.version
    pushed = registry.push(model, version, info.serving_root or resolved.serving_root,
                           actor=signer.identity)
    click.echo(f"pushed {model}@{version} to {pushed.destination} (record {pushed.transition.seq})")


@_registry_command("reject")
@_decision_options("rejects", reason_required=True)
def reject_command(identifier, by, reason, key):
    """Reject a candidate or validated version (signed with your key)."""
    registry, info = _resolve_as(identifier, by, key)
    record = registry.reject(info.model_name, info.version, by=registry.signer.identity,
                             reason=reason)
    click.echo(f"rejected {info.identifier} by {record.actor} (record {record.seq})")


@_registry_command("rollback")
@click.argument("identifier", type=MODEL_OR_VERSION)
@click.option("--to", "target", type=VERSION, default=None,
              help="MODEL@VERSION to redeploy [default: the version deployed before].")
@click.option("--by", "by", default=None, help="Who rolls back (default: your key's identity).")
@click.option("--reason", default="", help="Why.")
@_key_option
def rollback_command(identifier, target, by, reason, key):
    """Take MODEL@production out and redeploy the previous (or --to) version (signed)."""
    if identifier.selector not in (None, "production"):
        raise click.BadParameter(f"{identifier} names a version; rollback takes MODEL or "
                                 "MODEL@production, and the version to redeploy as --to")
    if target is not None and target.model != identifier.model:
        raise click.BadParameter(f"{target} is not a version of {identifier.model}",
                                 param_hint="--to")
    registry, _ = _open_as(by, key, checks_models=True)
    model = identifier.model
    to_version = registry.resolve(str(target)).version if target is not None else None
    result = registry.rollback(model, to_version=to_version, actor=registry.signer.identity,
                               reason=reason)
    click.echo(
        f"rolled back {model}@{result.from_version} -> {model}@{result.to_version} "
        f"(records {', '.join(str(t.seq) for t in result.transitions)})"
    )


@_registry_command("deprecate")
@_decision_options("deprecates", reason_required=False)
def deprecate_command(identifier, by, reason, key):
    """Deprecate MODEL@VERSION from any non-terminal stage (signed with your key)."""
    registry, info = _resolve_as(identifier, by, key)
    record = registry.deprecate(info.model_name, info.version, actor=registry.signer.identity,
                                reason=reason)
    click.echo(f"deprecated {info.identifier} (was {record.from_stage}, record {record.seq})")


@_registry_command("history", json_flag=True)
@click.argument("identifier", type=MODEL_OR_VERSION)
def history_command(identifier, as_json):
    """Show the governance-log records of MODEL, or of one version (MODEL@VERSION), in order."""
    registry, _ = _open()
    version = None if identifier.selector is None else registry.resolve(str(identifier)).version
    records = registry.history(identifier.model, version)
    statuses = _statuses(registry, records)
    if as_json:
        return click.echo(render.as_json(render.records_json(records, statuses)))
    click.echo(render.history_table(records, statuses))


@_registry_command("verify", json_flag=True)
@click.option("--checkpoint", "checkpoint_file", default=None, type=click.Path(dir_okay=False),
              help="A signed checkpoint (ledger checkpoint): its signer must be an allowed "
              "signer; check only what was appended since.")
@click.option("--full", is_flag=True,
              help="With --checkpoint: re-check the whole log too, not only what is new.")
@click.option("--bundle", "bundle_path", default=None, type=click.Path(dir_okay=False),
              help="Check an audit bundle (exported by `ledger ui`) offline instead of the store.")
def verify_command(checkpoint_file, full, bundle_path, as_json):
    """Re-check every record's signature, the hash chain, the anchor and the heads, and every
    pushed version's files and model signature (or, with --bundle, an audit bundle offline).

    Exit 0: every record checked is signed by an allowed signer and every pushed version
    verifies; 2: a problem; 3: intact, but legacy records (unsigned or HMAC, written before
    signatures) are not proven.
    """
    if bundle_path:
        return _verify_bundle(bundle_path)
    registry, _ = _open(checks_models=True)
    since = checkpoint.read(checkpoint_file) if checkpoint_file else None
    report = registry.verify(since, full=full)
    checks = registry.verify_pushed()
    if as_json:
        click.echo(render.as_json({**asdict(report), "status": report.status,
                                   "pushed": [asdict(c) for c in checks]}))
    else:
        click.echo(render.verify_text(report))
        click.echo(pushed_text(checks))
    if report.status == "failed" or any(check.status == FAILED for check in checks):
        sys.exit(2)
    if report.status != "verified":
        sys.exit(3)


@_registry_command("checkpoint")
@click.option("--out", "out", required=True, type=click.Path(),
              help="File, or directory for checkpoint-<seq>.json, outside the store.")
@click.option("--since", "since_file", default=None, type=click.Path(dir_okay=False),
              help="Verify incrementally from this earlier checkpoint instead of in full.")
@_key_option
def checkpoint_command(out, since_file, key):
    """Verify the log, then sign its head (last record, each model's last record) and write it
    to --out. Signed with --key (a person) or else the service key."""
    resolved = _settings(key)
    signer = person_signer(resolved, None) if resolved.key_path else service_signer(resolved)
    registry = Registry.from_settings(resolved)
    since = checkpoint.read(since_file) if since_file else None
    made = registry.checkpoint(since).signed_by(signer)
    written = checkpoint.write(out, made)
    click.echo(f"checkpoint at seq {made.seq} ({len(made.heads)} models) signed by "
               f"{signer.identity} ({signer.key.fingerprint}) written to {written}")


def _verify_bundle(path: str) -> None:
    """Exit 0: every record and the evidence are signed by allowed signers; 2: a problem;
    3: intact, but legacy records or evidence exported without a signature."""
    from pipeline.registry.trust import VERIFIED, Trust
    from pipeline.signing.allowed_signers import AllowedSigners
    from pipeline.ui.audit import load_bundle, verify_bundle

    resolved = _settings()
    trust = Trust(AllowedSigners.load_or_empty(resolved.allowed_signers_path), resolved.hmac_key)
    bundle = load_bundle(path)
    problems, states, evidence = verify_bundle(bundle, trust)
    label = f"{bundle['version']['model_name']}@{bundle['version']['version']}"
    if problems:
        click.echo(f"audit bundle {path} of {label}: {len(problems)} problem(s)")
        click.echo("\n".join(f"  {p}" for p in problems))
        sys.exit(2)
    legacy = len(states) - states.count(VERIFIED)
    click.echo(f"audit bundle {path} of {label}: ok ({len(states)} records checked, "
               f"{states.count(VERIFIED)} signed by allowed signers, {legacy} legacy)")
    click.echo(evidence.summary())
    if legacy or not evidence.attested_by:
        sys.exit(3)


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
