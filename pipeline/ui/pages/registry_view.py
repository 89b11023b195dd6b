"""The registry page's summaries on stores written before per-model heads: a few ordered,
limited queries per model instead of every record of the log."""

from __future__ import annotations

from ml_metadata.metadata_store.metadata_store import ListOptions, OrderByField

from pipeline.registry import ModelSummary, Transition, chain, schema, stages

q = schema.quote
# Deploy records read per query while looking for the version still deployed.
DEPLOY_BATCH = 20


def _newest(store, condition: str, limit: int) -> list[Transition]:
    query = f"type = {q(schema.STAGE_TRANSITION)} AND {condition}"
    options = ListOptions(limit=limit, order_by=OrderByField.ID, is_asc=False,
                          filter_query=query)
    return [chain.from_execution(e) for e in store.get_executions(list_options=options)]


def _of_model(name: str) -> str:
    return f"properties.model_name.string_value = {q(name)}"


def stage_of(store, name: str, version: int) -> str:
    """A version's stage: where its newest record moved it."""
    newest = _newest(store, f"{_of_model(name)} AND properties.version.int_value = "
                            f"{int(version)}", 1)
    return newest[0].to_stage if newest else stages.NONE


def production_of(store, name: str) -> int | None:
    """The version most recently moved to deployed that is still deployed (as the registry's
    `production`), found by walking deploy records newest first."""
    deploys = _newest(store, f"{_of_model(name)} AND properties.to_stage.string_value = "
                             f"{q(stages.DEPLOYED)}", DEPLOY_BATCH)
    seen = set()
    for record in deploys:
        if record.version in seen:
            continue
        seen.add(record.version)
        if stage_of(store, name, record.version) == stages.DEPLOYED:
            return record.version
    return None


def model_summaries(store) -> list[ModelSummary]:
    """Every registered model with its version count, latest version and production version."""
    latest: dict[str, int] = {}
    counts: dict[str, int] = {}
    for artifact in store.get_artifacts_by_type(schema.MODEL_VERSION):
        name, version = schema.prop(artifact, "model_name"), schema.prop(artifact, "version", 0)
        counts[name] = counts.get(name, 0) + 1
        latest[name] = max(latest.get(name, 0), version)
    summaries = []
    for name in sorted(latest):
        # Names the registry would refuse are listed as they are, without querying by them.
        valid = schema.valid_model_name(name)
        summaries.append(ModelSummary(
            name=name, version_count=counts[name], latest_version=latest[name],
            latest_stage=stage_of(store, name, latest[name]) if valid else stages.NONE,
            production_version=production_of(store, name) if valid else None))
    return summaries
