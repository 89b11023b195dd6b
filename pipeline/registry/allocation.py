"""Version allocation: the next integer per model, unique and gapless across processes."""

from __future__ import annotations

from . import log, queries, schema, stages
from .errors import RegistryError
from .log import PendingRecord


def register(
    registry,
    model_name,
    model_artifact_id,
    model_uri,
    model_digest,
    *,
    provenance: dict,
    custom: dict,
    actor: str,
):
    """Create ModelVersion `name@n` and its none -> candidate record in one transaction.

    n = highest existing version + 1, read inside the append's retry loop: a concurrent writer
    that took n (unique artifact name) or the log's next seq (unique execution name) makes MLMD
    raise AlreadyExistsError, and the loop re-reads. The external id makes registration of the
    same Model artifact idempotent, even when two processes race on it.
    """
    if not schema.valid_model_name(model_name):
        raise RegistryError(f"invalid model name {model_name!r}: use letters, digits, . _ -")
    model_artifact_id = int(model_artifact_id)
    if not registry.store.get_artifacts_by_id([model_artifact_id]):
        raise RegistryError(f"no Model artifact with id {model_artifact_id} in the MLMD store")
    external_id = f"ModelVersion:model_artifact_id={model_artifact_id}"
    values = dict(
        provenance,
        model_name=model_name,
        model_artifact_id=model_artifact_id,
        model_uri=model_uri,
        model_digest=model_digest,
    )

    def plan():
        if queries.by_external_id(registry.store, external_id):
            return []
        taken = [
            schema.prop(a, "version", 0)
            for a in queries.version_artifacts(registry.store, model_name)
        ]
        number = max(taken, default=0) + 1
        artifact = schema.version_artifact(
            registry._types()[schema.MODEL_VERSION],
            f"{model_name}@{number}",
            external_id,
            dict(values, version=number, created_at=log.utc_now()),
            custom,
        )
        run = provenance.get("pipeline_run")
        why = "registered" + (f" from pipeline run {run}" if run else "")
        fields = log.record_fields(
            model_name, number, stages.NONE, stages.CANDIDATE, actor, why, model_digest
        )
        return [PendingRecord(fields, (model_artifact_id,), [artifact])]

    registry._append(plan)
    [artifact] = queries.by_external_id(registry.store, external_id)
    return registry.version(
        schema.prop(artifact, "model_name"), schema.prop(artifact, "version", 0)
    )
