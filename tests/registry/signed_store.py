"""A signed registry built as the pipeline and people write it, and an attacker's rewrite of it."""

from __future__ import annotations

import json
import os
import sqlite3

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest
from pipeline.registry import Registry, chain
from pipeline.settings import resolve
from pipeline.signing import records as signed
from pipeline.signing.allowed_signers import AllowedSigners
from pipeline.signing.identity import Signer, service_signer

MODEL = "penguins"


def settings_for(home: str, key: str = ""):
    return resolve(home=home, key=key or None, hmac_key_env=None)


def as_pipeline(home: str) -> Registry:
    settings = settings_for(home)
    return Registry.from_settings(settings, signer=service_signer(settings), must_exist=False)


def as_person(home: str, key) -> Registry:
    allowed = AllowedSigners.load(settings_for(home).allowed_signers_path)
    name = allowed.principals_of(key.fingerprint)[0]
    return Registry.from_settings(settings_for(home), signer=Signer(name, key))


def reader(home: str, **trust) -> Registry:
    return Registry.open(settings_for(home).metadata_spec, **trust) if trust else \
        Registry.from_settings(settings_for(home))


def candidate(registry, root, tag: str):
    """A model directory and Model artifact, registered and validated as the pipeline does."""
    uri = os.path.join(str(root), "models", tag)
    serving = os.path.join(uri, "Format-Serving")
    os.makedirs(os.path.join(serving, "variables"))
    for rel in ("saved_model.pb", "variables/variables.index"):
        with open(os.path.join(serving, rel), "w") as handle:
            handle.write(f"{rel} of {tag}")
    type_id = registry.store.put_artifact_type(
        pb.ArtifactType(name="Model", base_type=pb.ArtifactType.MODEL))
    [model_id] = registry.store.put_artifacts([pb.Artifact(type_id=type_id, uri=uri)])
    info = registry.register_version(MODEL, model_id, uri, digest.model_digest(serving),
                                     serving_root=os.path.join(str(root), "served"))
    registry.transition(MODEL, info.version, "validated", actor="pipeline", reason="blessed")
    return info


def tamper(spec: str, registry, seq: int, changes: dict, *, resign=None, strip=False) -> None:
    """Edit record `seq`, then recompute record_hash and prev_hash of it and every later record
    with the project's own record_hash() and point the anchor at the new head.

    resign: a Signer whose key re-signs the rewritten records (and the head); strip: remove
    every signature from `seq` on (and the head's). Otherwise old signatures are left.
    """
    history = sorted(registry.history(MODEL), key=lambda t: t.seq)
    db = sqlite3.connect(json.loads(spec)["sqlite"], isolation_level=None)
    prev = next((t.record_hash for t in history if t.seq == seq - 1), chain.GENESIS_HASH)
    for record in (t for t in history if t.seq >= seq):
        fields = chain._fields(record)
        fields.update(prev_hash=prev, **(changes if record.seq == seq else {}))
        fields["record_hash"] = prev = chain.record_hash(fields)
        if resign is not None:
            fields.update(signed.signature_fields(resign, prev))
        elif strip:
            fields.update(signer="", key_fingerprint="", signature="")
        for name, value in fields.items():
            if name in ("seq", "version"):
                continue
            db.execute("UPDATE ExecutionProperty SET string_value = ? WHERE execution_id = ? "
                       "AND name = ?", (value, record.execution_id, name))
    head = {"head_hash": prev}
    if resign is not None:
        message = signed.head_message(history[-1].seq, prev, resign.identity)
        head.update(head_signer=resign.identity, head_key_fingerprint=resign.key.fingerprint,
                    head_signature=signed.sign(resign, message))
    elif strip:
        head.update(head_signer="", head_key_fingerprint="", head_signature="")
    for name, value in head.items():
        db.execute("UPDATE ContextProperty SET string_value = ? WHERE name = ?", (value, name))
    db.close()
