"""`MODEL@N`, `@production`, `@latest-approved`, `@latest`: a bounded number of MLMD reads.

With heads (registry/heads.py) an alias costs the head, the head's own record (to check the head
against the hash chain) and the version: five calls whether the model has 1 or 100,000 versions.
Stores written before heads fall back to replaying the model's log.
"""

from __future__ import annotations

from . import chain, heads, queries, schema, stages
from .errors import GovernanceLogError, RegistryError, UnknownVersionError
from .heads import Head
from .records import VersionInfo

ALIASES = {"production": "production", "latest-approved": "latest_approved", "latest": "latest"}


def checked_head(store, model_name: str) -> Head | None:
    """The model's head after checking it against the record it names; None without a head."""
    head = heads.read(store, model_name)
    if head is None or not head.seq:
        return head
    execution = store.get_execution_by_type_and_name(
        schema.STAGE_TRANSITION, chain.execution_name(head.seq)
    )
    record = chain.from_execution(execution) if execution is not None else None
    embedded = heads.parse_state(record.model_head) if record else None
    if (
        record is None
        or record.model_name != model_name
        or record.record_hash != head.record_hash
        or chain.record_hash(chain._fields(record)) != record.record_hash
        or {k: (embedded or {}).get(k) for k in head.state()} != head.state()
    ):
        raise GovernanceLogError(
            f"the head of {model_name} disagrees with its governance record seq {head.seq} "
            "(head or record altered): run `ledger verify`"
        )
    return head


def version(registry, model_name: str, number: int) -> VersionInfo:
    """One version and its stage, read through its own records (three calls)."""
    artifact = (
        registry.store.get_artifact_by_type_and_name(
            schema.MODEL_VERSION, f"{model_name}@{int(number)}"
        )
        if schema.valid_model_name(model_name)
        else None
    )
    if artifact is None:
        if heads.read(registry.store, model_name) is None:
            registry.versions(model_name)  # raises UnknownModelError for an unknown model
        raise UnknownVersionError(f"{model_name} has no version {number}")
    history = queries.version_records(registry.store, [artifact])[artifact.id]
    return queries.version_info(artifact, history)


def production(registry, model_name: str) -> VersionInfo | None:
    head = checked_head(registry.store, model_name)
    if head is None:
        versions = registry.versions(model_name)
        return queries.production(versions, queries.transitions(registry.store, model_name))
    return version(registry, model_name, head.production) if head.production else None


def resolve(registry, identifier: str) -> VersionInfo:
    """'m@3', 'm@production', 'm@latest-approved' or 'm@latest' -> the version it names."""
    model_name, sep, alias = identifier.partition("@")
    if not sep or not alias:
        raise RegistryError(f"expected MODEL@VERSION or MODEL@alias, got {identifier!r}")
    if alias.isdigit():
        return version(registry, model_name, int(alias))
    if alias not in ALIASES:
        raise UnknownVersionError(
            f"{identifier}: unknown alias {alias!r} "
            "(use a number, production, latest-approved or latest)"
        )
    head = checked_head(registry.store, model_name)
    number = getattr(head, ALIASES[alias]) if head else _replayed(registry, model_name, alias)
    if not number:
        raise UnknownVersionError(f"{model_name} has no {alias} version")
    return version(registry, model_name, number)


def _replayed(registry, model_name: str, alias: str) -> int:
    """The alias on a store from before heads: derived from every version and record."""
    versions = registry.versions(model_name)
    if alias == "latest":
        return versions[-1].version
    if alias == "production":
        prod = production(registry, model_name)
        return prod.version if prod else 0
    live = [v.version for v in versions if v.stage in (stages.APPROVED, stages.DEPLOYED)]
    return max(live, default=0)
