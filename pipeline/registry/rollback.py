"""Rollback: take @production out and redeploy an earlier version whose files still verify."""

from __future__ import annotations

import os

from . import queries, stages
from .deploy import verify_pushed, write_config
from .errors import IllegalTransitionError, RegistryError
from .log import PendingRecord, record_fields
from .records import LoadedVersion, RollbackResult, VersionInfo

_REDEPLOYABLE = (stages.DEPLOYED, stages.ROLLED_BACK)


def _rollback_target(registry, prod: VersionInfo, to_version, versions, history) -> LoadedVersion:
    if to_version is not None:
        target = registry.version(prod.model_name, to_version)
        if target.version == prod.version:
            raise RegistryError(f"{target.identifier} is already in production")
        if target.stage not in _REDEPLOYABLE:
            raise IllegalTransitionError(
                f"{target.identifier} is {target.stage}: rollback only "
                "returns to a version that was deployed before"
            )
        return verify_pushed(registry, target)
    # Back means an older version: a newer one that was itself rolled back is only reachable
    # with an explicit --to.
    earlier = sorted(
        (v for v in versions if v.version < prod.version and v.stage in _REDEPLOYABLE),
        key=lambda v: v.version,
        reverse=True,
    )
    if not earlier:
        raise RegistryError(
            f"nothing to roll back to: no version earlier than {prod.identifier} was deployed"
        )
    failures = []
    for candidate in earlier:
        try:
            return verify_pushed(registry, candidate)
        except RegistryError as exc:  # files gone or changed: try the one deployed before it
            failures.append(str(exc))
    raise RegistryError(
        "nothing to roll back to: no earlier version verifies: " + "; ".join(failures)
    )


def rollback(registry, model_name, *, to_version=None, actor, reason="") -> RollbackResult:
    """Record production -> rolled_back and the target -> deployed in one transaction."""
    if not str(actor or "").strip():
        raise RegistryError("an actor (--by) is required")
    versions = registry.versions(model_name)
    history = queries.transitions(registry.store, model_name)
    prod = queries.production(versions, history)
    if prod is None:
        raise RegistryError(f"{model_name} has no version in production: nothing to roll back")
    loaded = _rollback_target(registry, prod, to_version, versions, history)
    target = loaded.version
    why = f"rollback of {prod.identifier} to {target.identifier}" + (
        f": {reason}" if reason else ""
    )

    def plan():
        fresh = registry.version(model_name, target.version)
        current = registry.production(model_name)
        if current is None or current.version != prod.version or fresh.stage != target.stage:
            raise RegistryError(
                f"{model_name} changed while rolling back (production is now "
                f"{current.identifier if current else 'none'}); retry"
            )
        return [
            _record(registry, prod, stages.ROLLED_BACK, actor, why),
            _record(registry, fresh, stages.DEPLOYED, actor, why),
        ]

    written, _ = registry._append(plan)
    write_config(registry, os.path.dirname(os.path.dirname(loaded.path)))
    return RollbackResult(
        model_name=model_name,
        from_version=prod.version,
        to_version=target.version,
        transitions=written,
    )


def _record(registry, info: VersionInfo, to_stage: str, actor: str, reason: str) -> PendingRecord:
    stages.check(info.identifier, info.stage, to_stage)
    fields = record_fields(
        info.model_name, info.version, info.stage, to_stage, actor, reason, info.model_digest
    )
    return PendingRecord(fields, (info.model_artifact_id, info.artifact_id))
