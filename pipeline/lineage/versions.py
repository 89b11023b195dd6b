"""Registry facts read off a lineage subgraph, decoded by the registry's own functions."""

# Every governance record reads its version's Model, so a walk that reaches the Model reaches the
# records too; asking the registry again would cost more than the whole walk on a large store.

from __future__ import annotations

from pipeline.registry import Transition, VersionInfo, chain, schema
from pipeline.registry import queries as registry_queries

from .nodes import short_type
from .subgraph import Collected


def transitions_in(found: Collected, model_name: str, version: int) -> list[Transition]:
    """The governance records of one version among the kept executions, in log order."""
    records = [
        chain.from_execution(found.executions[i])
        for i in found.kept_executions
        if short_type(found.executions[i].type) == schema.STAGE_TRANSITION
    ]
    mine = [r for r in records if (r.model_name, r.version) == (model_name, version)]
    return sorted(mine, key=lambda r: (r.seq, r.execution_id))


def versions_in(found: Collected) -> list[VersionInfo]:
    """Every kept ModelVersion with its current stage, sorted by model name and version."""
    infos = []
    for i in found.kept_artifacts:
        artifact = found.artifacts[i]
        if short_type(artifact.type) != schema.MODEL_VERSION:
            continue
        name, number = schema.prop(artifact, "model_name"), schema.prop(artifact, "version", 0)
        infos.append(registry_queries.version_info(artifact, transitions_in(found, name, number)))
    return sorted(infos, key=lambda v: (v.model_name, v.version))
