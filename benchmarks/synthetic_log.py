"""The registry's side of a synthetic store: ModelVersions, hash-chained records, heads, anchor.

Written as the registry writes them (same types, fields, hashes and heads), but batched: the
records of many runs go into one MLMD transaction and the anchor and heads are updated once per
batch, which is what lets the generator reach 100,000 runs in minutes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry import chain, heads, schema, trust
from pipeline.registry.heads import Head
from pipeline.registry.log import record_fields
from pipeline.signing import records as signatures

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def hex_of(*parts) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def utc(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _no_fallback(kind: str, _head: Head) -> int:
    raise AssertionError(f"synthetic runs never retire the {kind} version")


class GovernanceLog:
    """Registry writes as the registry makes them; `with_heads=False` writes a pre-heads store."""

    def __init__(self, store, types: dict, with_heads: bool = True, signer=None):
        """`signer` (pipeline/signing/identity.Signer) signs every record and the head."""
        self.store, self.types, self.with_heads, self.signer = store, types, with_heads, signer
        self.seq, self.head, self.versions = 0, "", {}
        self.heads: dict[str, Head] = {}
        self.anchor = pb.Context(type_id=types[schema.GOVERNANCE_LOG],
                                 name=schema.GOVERNANCE_LOG_NAME)
        self.members: list[tuple[str, int, str]] = []  # (kind, index in batch, model name)

    def register(self, w, name: str, model: list, dsv_id: str, run: int, approved: bool) -> None:
        """Register `model` as the next version of `name` and walk it to deployed or rejected."""
        number = self.versions[name] = self.versions.get(name, 0) + 1
        at = START + timedelta(minutes=10 * run)
        values = {"model_name": name, "version": number, "model_artifact_id": model[0],
                  "model_uri": f"/synthetic/model/{run}", "model_digest": hex_of("model", run),
                  "dataset_version_id": dsv_id, "pipeline_run": f"run-{run}",
                  "created_at": utc(at)}
        version = w.artifact("", "", node=schema.version_artifact(
            self.types[schema.MODEL_VERSION], f"{name}@{number}",
            f"ModelVersion:model_artifact_id={model[0]}", values,
            {"metrics": json.dumps({"sparse_categorical_accuracy": 0.9 + run % 10 / 100})}))
        self.members.append(("artifact", version[1], name))
        moves = [("none", "candidate"), ("candidate", "validated"),
                 ("validated", "approved" if approved else "rejected")]
        for i, (source, target) in enumerate(moves + [("approved", "deployed")] * approved):
            fields = self._fields(name, number, source, target, run, at + timedelta(seconds=i))
            inputs = {"_model": model, "_version": version if i else None}
            w.execution("", inputs, {"_version": None if i else version},
                        node=chain.to_execution(self.types[schema.STAGE_TRANSITION], fields))
            self.members.append(("execution", len(w.executions) - 1, name))

    def _fields(self, name, number, source, target, run, at) -> dict:
        self.seq += 1
        fields = record_fields(name, number, source, target, "pipeline", "synthetic",
                               hex_of("model", run))
        fields.update(seq=self.seq, prev_hash=self.head or chain.GENESIS_HASH, decided_at=utc(at))
        if self.with_heads:
            head = self.heads.get(name) or Head(name)
            new = heads.advance(head, fields, _no_fallback)
            fields["model_head"] = heads.state_json(new, head.seq)
        fields["record_hash"] = self.head = chain.record_hash(fields)
        fields["hmac"] = ""
        fields.update(signatures.signature_fields(self.signer, self.head))
        if self.with_heads:
            self.heads[name] = replace(new, seq=self.seq, record_hash=self.head,
                                       context_id=head.context_id)
        return fields

    def flush(self, execution_ids: list, artifact_ids: list) -> None:
        """After the batch's nodes are written: move the anchor and heads, link their members."""
        schema.set_props(self.anchor.custom_properties,
                         {"head_seq": self.seq, "head_hash": self.head, "head_hmac": "",
                          **trust.head_fields(self.signer, self.seq, self.head)})
        if self.with_heads:
            schema.set_props(self.anchor.custom_properties, {heads.HEADS_FLAG: 1})
        names = sorted({name for _, _, name in self.members}) if self.with_heads else []
        contexts = [self.anchor] + [heads.to_context(self.types[schema.MODEL_HEAD],
                                                     self.heads[n]) for n in names]
        ids = self.store.put_contexts(contexts)
        self.anchor.id = ids[0]
        for name, context_id in zip(names, ids[1:], strict=True):
            self.heads[name] = replace(self.heads[name], context_id=context_id)
        attributions, associations = [], []
        for kind, index, name in self.members:
            heads_of = [self.heads[name].context_id] if name in names else []
            for context_id in [self.anchor.id] + heads_of:
                if kind == "artifact":
                    attributions.append(pb.Attribution(artifact_id=artifact_ids[index],
                                                       context_id=context_id))
                else:
                    associations.append(pb.Association(execution_id=execution_ids[index],
                                                       context_id=context_id))
        self.store.put_attributions_and_associations(attributions, associations)
        self.members = []
