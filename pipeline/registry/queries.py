"""Read-only MLMD queries: version artifacts, transitions, pushed models, and derived stages."""

from __future__ import annotations

from ml_metadata import errors
from ml_metadata.metadata_store.metadata_store import ListOptions

from . import chain, schema, stages
from .records import ModelSummary, Transition, VersionInfo

q = schema.quote


def _artifacts(store, query: str) -> list:
    return list(store.get_artifacts(list_options=ListOptions(filter_query=query)))


def version_artifacts(store, model_name: str | None = None, version: int | None = None) -> list:
    """ModelVersion artifacts, optionally of one model and one version."""
    if model_name is not None and version is not None:
        # The artifact's unique name is the identifier: an index lookup, not a property scan.
        found = store.get_artifact_by_type_and_name(schema.MODEL_VERSION,
                                                    f"{model_name}@{int(version)}")
        return [found] if found is not None else []
    query = f"type = {q(schema.MODEL_VERSION)}"
    if model_name is not None:
        query += f" AND properties.model_name.string_value = {q(model_name)}"
    if version is not None:
        query += f" AND properties.version.int_value = {int(version)}"
    return _artifacts(store, query)


def by_external_id(store, external_id: str) -> list:
    """Artifacts with `external_id` (MLMD raises NotFoundError instead of returning [])."""
    try:
        return list(store.get_artifacts_by_external_ids([external_id]))
    except errors.NotFoundError:
        return []


def transitions(
    store, model_name: str | None = None, version: int | None = None
) -> list[Transition]:
    """StageTransition records sorted by seq, optionally of one model and one version."""
    query = f"type = {q(schema.STAGE_TRANSITION)}"
    if model_name is not None:
        query += f" AND properties.model_name.string_value = {q(model_name)}"
    if version is not None:
        query += f" AND properties.version.int_value = {int(version)}"
    executions = store.get_executions(list_options=ListOptions(filter_query=query))
    return sorted(
        (chain.from_execution(e) for e in executions), key=lambda t: (t.seq, t.execution_id)
    )


def version_records(store, artifacts: list) -> dict[int, list[Transition]]:
    """Each ModelVersion artifact's records (by artifact id, seq order) through its events.

    Three MLMD calls whatever the store's size: every record links its version by an event, so
    this reads a version's few records instead of filtering the whole log by property.
    """
    found: dict[int, list[Transition]] = {a.id: [] for a in artifacts}
    if not found:
        return found
    events = store.get_events_by_artifact_ids(list(found))
    records = {
        e.id: chain.from_execution(e)
        for e in store.get_executions_by_id(sorted({ev.execution_id for ev in events}))
        if e.type == schema.STAGE_TRANSITION
    }
    names = {a.id: (schema.prop(a, "model_name"), schema.prop(a, "version", 0)) for a in artifacts}
    for event in events:
        record = records.get(event.execution_id)
        if record and (record.model_name, record.version) == names[event.artifact_id]:
            found[event.artifact_id].append(record)
    for history in found.values():
        history.sort(key=lambda t: (t.seq, t.execution_id))
    return found


def _last(history: list[Transition], to_stage: str) -> Transition | None:
    matching = [t for t in history if t.to_stage == to_stage]
    return matching[-1] if matching else None


def version_info(artifact, history: list[Transition]) -> VersionInfo:
    """A VersionInfo from a ModelVersion artifact and its transitions (sorted by seq)."""
    approved, deployed = _last(history, stages.APPROVED), _last(history, stages.DEPLOYED)
    return VersionInfo(
        model_name=schema.prop(artifact, "model_name"),
        version=schema.prop(artifact, "version", 0),
        stage=history[-1].to_stage if history else stages.NONE,
        model_artifact_id=schema.prop(artifact, "model_artifact_id", 0),
        model_uri=schema.prop(artifact, "model_uri"),
        model_digest=schema.prop(artifact, "model_digest"),
        dataset_version_id=schema.prop(artifact, "dataset_version_id"),
        pipeline_run=schema.prop(artifact, "pipeline_run"),
        created_at=schema.prop(artifact, "created_at"),
        push_source_uri=schema.prop(artifact, "push_source_uri"),
        launched_by=schema.prop(artifact, "launched_by"),
        approval_policy=schema.json_prop(artifact, "approval_policy"),
        metrics=schema.json_prop(artifact, "metrics"),
        approved_by=approved.actor if approved else "",
        approved_at=approved.decided_at if approved else "",
        deployed_at=deployed.decided_at if deployed else "",
        pushed_destination=schema.prop(artifact, "pushed_destination"),
        manifest_sha256=schema.prop(artifact, "manifest_sha256"),
        model_signer=schema.prop(artifact, "model_signer"),
        artifact_id=artifact.id,
        serving_root=schema.prop(artifact, "serving_root"),
    )


def model_versions(store, model_name: str) -> list[VersionInfo]:
    """Every version of `model_name` with its derived stage, sorted by version."""
    history = transitions(store, model_name)
    by_version: dict[int, list[Transition]] = {}
    for record in history:
        by_version.setdefault(record.version, []).append(record)
    infos = [
        version_info(a, by_version.get(schema.prop(a, "version", 0), []))
        for a in version_artifacts(store, model_name)
    ]
    return sorted(infos, key=lambda v: v.version)


def last_deploy_seq(history: list[Transition], version: int) -> int:
    """Seq of the latest transition of `version` to deployed (0 if never deployed)."""
    return max(
        (t.seq for t in history if t.version == version and t.to_stage == stages.DEPLOYED),
        default=0,
    )


def production(versions: list[VersionInfo], history: list[Transition]) -> VersionInfo | None:
    """Among versions currently deployed, the one deployed most recently."""
    deployed = [v for v in versions if v.stage == stages.DEPLOYED]
    return max(deployed, key=lambda v: last_deploy_seq(history, v.version), default=None)


def summary(name: str, versions: list[VersionInfo], history: list[Transition]) -> ModelSummary:
    """A ModelSummary from a model's versions (oldest first) and its transitions."""
    prod = production(versions, history)
    return ModelSummary(
        name=name,
        version_count=len(versions),
        latest_version=versions[-1].version,
        latest_stage=versions[-1].stage,
        production_version=prod.version if prod else None,
    )
