"""Deployment: push into the serving root, the serving config, aliases and verified loading."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest

from . import aliases, schema, serving, stages
from .errors import DigestMismatchError, GovernanceLogError, RegistryError
from .records import LoadedVersion, PushResult, VersionInfo


def source_dir_of(info: VersionInfo, source_dir: str | None = None) -> str:
    """The directory to push: explicit, else push_source_uri, else the model's serving export."""
    if source_dir or info.push_source_uri:
        return source_dir or info.push_source_uri
    # A TFX Model artifact's uri holds the SavedModel under Format-Serving/.
    serving_dir = os.path.join(info.model_uri, "Format-Serving")
    return serving_dir if os.path.isdir(serving_dir) else info.model_uri


def push(
    registry,
    model_name,
    version,
    serving_root,
    *,
    actor,
    reason="",
    source_dir=None,
    record_artifact=True,
):
    """Digest-check the source, install it atomically, then record approved -> deployed."""
    info = registry.version(model_name, version)
    _check_intact(registry, info)
    stages.check(info.identifier, info.stage, stages.DEPLOYED)  # refuse before touching files
    source = source_dir_of(info, source_dir)
    if not os.path.isdir(source):
        raise RegistryError(f"cannot push {info.identifier}: source {source} is not a directory")
    actual = digest.model_digest(source)
    if actual != info.model_digest:
        raise DigestMismatchError(
            f"cannot push {info.identifier}: {source} has digest {actual}, "
            f"registered {info.model_digest}"
        )
    signer = registry.model_keys.signer if registry.model_keys else None
    destination, manifest_sha, adopted = serving.install(
        source, serving_root, model_name, info.version, info.model_digest, model_key=signer
    )
    facts = {"pushed_destination": destination, "manifest_sha256": manifest_sha}
    if signer is not None:
        facts["model_signer"] = signer.fingerprint
    pushed = [_pushed_model(registry, info, destination, manifest_sha)] if record_artifact else []
    record, pushed_ids = registry.move(
        model_name,
        version,
        stages.DEPLOYED,
        actor=actor,
        reason=reason or f"pushed to {destination}",
        new_outputs=pushed,
        version_facts=facts,
    )
    write_config(registry, serving_root)
    return PushResult(
        model_name=model_name,
        version=info.version,
        destination=destination,
        manifest_sha256=manifest_sha,
        pushed_model_id=pushed_ids[0] if pushed_ids else 0,
        transition=record,
        adopted=adopted,
    )


def _check_intact(registry, info: VersionInfo) -> None:
    """The stage a push relies on comes from these records: an edited one must not deploy."""
    for record in registry.history(info.model_name, info.version):
        label = f"seq {record.seq} (execution {record.execution_id})"
        status = registry.record_status(record)
        unsigned = registry._key and not (record.hmac or record.signature)
        if status.failed or unsigned:
            why = status.detail if status.failed else "no HMAC although the log is signed"
            raise GovernanceLogError(
                f"refusing to push {info.identifier}: its governance record {label} does not "
                f"verify: {why} (run `ledger verify`)"
            )


def _pushed_model(registry, info: VersionInfo, destination: str, manifest_sha: str) -> pb.Artifact:
    approvals = [
        t for t in registry.history(info.model_name, info.version) if t.to_stage == stages.APPROVED
    ]
    artifact = pb.Artifact(
        type_id=registry._types()[schema.PUSHED_MODEL], uri=destination, state=pb.Artifact.LIVE
    )
    schema.set_props(
        artifact.custom_properties,
        {
            "pushed": 1,
            "pushed_destination": destination,
            "pushed_version": str(info.version),
            "model_name": info.model_name,
            "version": info.version,
            "model_digest": info.model_digest,
            "manifest_sha256": manifest_sha,
            "dataset_version_id": info.dataset_version_id,
            "approval_record_hash": approvals[-1].record_hash if approvals else "",
            "pipeline_run": info.pipeline_run,
        },
    )
    return artifact


def write_config(registry, serving_root: str) -> str:
    """Rewrite serving_root/models.config so TF Serving follows every model's @production."""
    production = {}
    for summary in registry.models():
        if summary.production_version is not None:
            production[summary.name] = summary.production_version
    return serving.write_models_config(serving_root, production)


def refresh_config(registry, model_name: str, version: int) -> None:
    """Rewrite models.config in the serving root the version was pushed to, if it was pushed."""
    destination = registry.version(model_name, version).pushed_destination
    if destination:
        write_config(registry, os.path.dirname(os.path.dirname(destination)))


def verify_pushed(registry, info: VersionInfo) -> LoadedVersion:
    """Re-verify the pushed directory of `info` against its manifest, digests and signature."""
    if not info.pushed_destination:
        raise RegistryError(f"{info.identifier} has not been pushed")
    sha, count = serving.verify(
        info.pushed_destination,
        info.model_name,
        info.version,
        info.model_digest,
        info.manifest_sha256,
    )
    return LoadedVersion(version=info, path=info.pushed_destination, manifest_sha256=sha,
                         files_checked=count, signed_by=_signer(registry.model_keys, info))


def _signer(keys, info: VersionInfo) -> str:
    """Fingerprint of the verified signature's key; "" when not checked or legacy (unsigned)."""
    if keys is None or keys.trusted is None:
        return ""
    signature = os.path.join(info.pushed_destination, serving.SIGNATURE)
    if not info.model_signer and not os.path.exists(signature):
        return ""  # pushed before model signing: the manifest and digests above still hold
    # The allowed signers' validity window applies at push time, as for a person's decisions.
    pushed_at = _utc(info.deployed_at)
    return serving.verify_signature(info.pushed_destination, keys.trusted, pushed_at).fingerprint


def _utc(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def load_path(registry, identifier: str) -> LoadedVersion:
    """Resolve `identifier`, then re-verify its pushed files (DigestMismatchError names a file)."""
    return verify_pushed(registry, resolve(registry, identifier))


def resolve(registry, identifier: str) -> VersionInfo:
    """'m@3', 'm@production', 'm@latest-approved' or 'm@latest' -> the version it names."""
    return aliases.resolve(registry, identifier)
