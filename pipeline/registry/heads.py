"""Per-model heads: what `@production`, `@latest-approved` and `@latest` name, read in one call.

A head is a `ModelHead` context per model, rewritten in the same MLMD transaction as every record
of that model. Each record also carries the head it produced (`model_head`, a hashed field), so
the chain covers the head: `ledger verify` replays the log and flags a head that disagrees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb

from . import schema, stages

MODEL_HEAD = schema.MODEL_HEAD
# Set on the GovernanceLog anchor once every model of the store has a head (new stores at once,
# older ones at their first append after the upgrade); until then readers replay the log.
HEADS_FLAG = "model_heads"
LEAVING = (stages.ROLLED_BACK, stages.DEPRECATED, stages.REJECTED)


@dataclass(frozen=True)
class Head:
    """A model's aliases after its last record `seq` (0 = none; versions count from 1)."""

    model_name: str
    latest: int = 0
    latest_approved: int = 0
    production: int = 0
    records: int = 0  # the model's records so far: record n has external id record_id(model, n)
    first_deploy: int = 0  # seq of the model's first record to deployed
    seq: int = 0
    record_hash: str = ""
    context_id: int = 0

    def state(self) -> dict:
        """What a record embeds: the aliases it leaves behind, and the model's previous record."""
        return {
            "latest": self.latest,
            "latest_approved": self.latest_approved,
            "production": self.production,
            "records": self.records,
            "first_deploy": self.first_deploy,
        }


def state_json(head: Head, prev_seq: int) -> str:
    """Canonical JSON of a head as embedded in a record (`prev`: the model's record before)."""
    return json.dumps(dict(head.state(), prev=prev_seq), sort_keys=True, separators=(",", ":"))


def parse_state(text: str) -> dict | None:
    """The embedded head of a record, or None for a record written before heads existed."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def advance(head: Head, record, fallback) -> Head:
    """The head after `record` (a Transition or fields dict); `fallback(kind, head)` answers the
    two cases the head alone cannot: which version takes over production or latest-approved when
    the one holding it leaves (kind "production" or "latest_approved")."""
    get = record.get if isinstance(record, dict) else lambda k: getattr(record, k)
    version, to_stage = int(get("version")), get("to_stage")
    latest_approved, production = head.latest_approved, head.production
    first_deploy = head.first_deploy
    if to_stage in (stages.APPROVED, stages.DEPLOYED):
        latest_approved = max(latest_approved, version)
    if to_stage == stages.DEPLOYED:
        production, first_deploy = version, first_deploy or int(get("seq"))
    # One constructor call: verify replays every record through here.
    new = Head(head.model_name, max(head.latest, version), latest_approved, production,
               head.records + 1, first_deploy, head.seq, head.record_hash, head.context_id)
    if to_stage in LEAVING and version == new.production:
        new = replace(new, production=fallback("production", new))
    if to_stage in LEAVING and version == new.latest_approved:
        new = replace(new, latest_approved=fallback("latest_approved", new))
    return new


def from_context(context: pb.Context) -> Head:
    return Head(
        model_name=context.name,
        latest=schema.prop(context, "latest", 0),
        latest_approved=schema.prop(context, "latest_approved", 0),
        production=schema.prop(context, "production", 0),
        records=schema.prop(context, "records", 0),
        first_deploy=schema.prop(context, "first_deploy", 0),
        seq=schema.prop(context, "head_seq", 0),
        record_hash=schema.prop(context, "head_hash", ""),
        context_id=context.id,
    )


def to_context(type_id: int, head: Head) -> pb.Context:
    context = pb.Context(type_id=type_id, name=head.model_name)
    if head.context_id:
        context.id = head.context_id
    schema.set_props(
        context.custom_properties,
        dict(head.state(), head_seq=head.seq, head_hash=head.record_hash),
    )
    return context


def record_id(model_name: str, n: int) -> str:
    """External id of a model's n-th record (from 1): per-model random access by index lookup."""
    return f"{schema.STAGE_TRANSITION}:{model_name}:{int(n)}"


def records_by_index(store, model_name: str, numbers) -> dict:
    """The model's records by their index n (missing ones, e.g. from before heads, left out)."""
    wanted = {record_id(model_name, n): int(n) for n in numbers}
    try:
        found = store.get_executions_by_external_ids(list(wanted)) if wanted else []
    except errors.NotFoundError:
        found = []
    return {wanted[e.external_id]: e for e in found if e.external_id in wanted}


def read(store, model_name: str) -> Head | None:
    """The model's head, or None (unknown model, or a store from before heads)."""
    if not schema.valid_model_name(model_name):
        return None
    context = store.get_context_by_type_and_name(MODEL_HEAD, model_name)
    return from_context(context) if context is not None else None


def read_all(store) -> list[Head]:
    return sorted(
        (from_context(c) for c in store.get_contexts_by_type(MODEL_HEAD)),
        key=lambda h: h.model_name,
    )


def enabled(anchor: pb.Context | None) -> bool:
    return anchor is not None and bool(schema.prop(anchor, HEADS_FLAG, 0))
