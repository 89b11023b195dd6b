"""Lineage walks over MLMD events, pruned to what a model was built from, as LineageGraphs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry.schema import quote

from .nodes import artifact_node, execution_node, short_type
from .records import Edge, LineageGraph

UPSTREAM = pb.LineageSubgraphQueryOptions.UPSTREAM
DOWNSTREAM = pb.LineageSubgraphQueryOptions.DOWNSTREAM
# A baseline is what a model was compared with, not what it was built from: following it would
# make every later model part of an earlier one's lineage.
NOT_LINEAGE_KEYS = frozenset({"baseline_model"})
# INTERNAL_* events are a resolver's bookkeeping (it "outputs" the baseline model it picked):
# following them would make the resolver a producer of the model.
_INPUTS = frozenset({pb.Event.INPUT, pb.Event.DECLARED_INPUT})
_OUTPUTS = frozenset({pb.Event.OUTPUT, pb.Event.DECLARED_OUTPUT})
_CACHED = pb.Execution.CACHED


@dataclass
class Collected:
    """Protos returned by MLMD and the ids kept after pruning."""

    artifacts: dict = field(default_factory=dict)
    executions: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    kept_artifacts: set = field(default_factory=set)
    kept_executions: set = field(default_factory=set)


def type_filter(names) -> str:
    """A filter query matching any of the type `names`."""
    return f"type IN ({', '.join(quote(n) for n in names)})"


def event_keys(event: pb.Event) -> tuple[str, ...]:
    """The component input/output keys in the event path; one artifact can be under several."""
    return tuple(step.key for step in event.path.steps if step.key)


def _is_lineage(event: pb.Event) -> bool:
    keys = event_keys(event)
    return not keys or not set(keys) <= NOT_LINEAGE_KEYS


def collect(store, artifact_ids, direction, hops: int, stop_at=()) -> Collected:
    """Walk `hops` event hops from `artifact_ids` along real lineage edges.

    Not followed: baseline edges, cached executions (they repeat the events of the one they
    reused), producers of `stop_at` artifact types (e.g. RawData: every later run that
    re-imported it is not its origin). Each step is an index lookup by id: MLMD's
    get_lineage_subgraph parses a filter query for its starting nodes, a fixed 5-8 ms that was
    most of a trace."""
    found, stop_at = Collected(), set(stop_at)
    frontier = _add_artifacts(store, found, set(artifact_ids))
    while frontier and hops > 0:
        follow = [a for a in frontier if direction == DOWNSTREAM
                  or short_type(found.artifacts[a].type) not in stop_at]
        reached = {e.execution_id for e in _events_by_artifacts(store, follow)
                   if _leads_to_execution(e, direction)} - set(found.executions)
        executions = [e for e in (store.get_executions_by_id(sorted(reached)) if reached else [])
                      if e.last_known_state != _CACHED]
        found.executions.update((e.id, e) for e in executions)
        events = (store.get_events_by_execution_ids(sorted(e.id for e in executions))
                  if executions else [])
        found.events.extend(events)
        if hops == 1:
            break
        frontier = _add_artifacts(store, found, {
            e.artifact_id for e in events if _leads_to_artifact(e, direction)})
        hops -= 2
    found.kept_artifacts, found.kept_executions = set(found.artifacts), set(found.executions)
    return found


def _events_by_artifacts(store, ids) -> list:
    return store.get_events_by_artifact_ids(sorted(ids)) if ids else []


def _add_artifacts(store, found: Collected, ids: set) -> set:
    """Fetch the artifacts of `ids` not seen yet; returns the new ids."""
    new = ids - set(found.artifacts)
    if new:
        found.artifacts.update((a.id, a) for a in store.get_artifacts_by_id(sorted(new)))
    return new & set(found.artifacts)


def _leads_to_execution(event: pb.Event, direction) -> bool:
    """Upstream an artifact leads to its producer; downstream to the executions that read it."""
    if direction == DOWNSTREAM:
        return event.type in _INPUTS and _is_lineage(event)
    return event.type in _OUTPUTS


def _leads_to_artifact(event: pb.Event, direction) -> bool:
    """Upstream an execution leads to what it read; downstream to what it wrote."""
    if direction == DOWNSTREAM:
        return event.type in _OUTPUTS
    return event.type in _INPUTS and _is_lineage(event)


def graph_of(*parts: Collected) -> LineageGraph:
    """One LineageGraph of the kept nodes of `parts` and every event between them."""
    artifacts, executions = {}, {}
    for part in parts:
        artifacts.update((i, part.artifacts[i]) for i in part.kept_artifacts)
        executions.update((i, part.executions[i]) for i in part.kept_executions)
    # Every event of every kept execution was fetched by the walk, including those a hop limit
    # stopped it from following (a transition reading the ModelVersion another one wrote).
    events = [e for part in parts for e in part.events]
    nodes = [artifact_node(artifacts[i]) for i in sorted(artifacts)]
    nodes += [execution_node(executions[i]) for i in sorted(executions)]
    return LineageGraph(nodes=nodes, edges=_edges(events, artifacts, executions))


def _edges(events, artifacts: dict, executions: dict) -> list[Edge]:
    edges = {}
    for event in events:
        if event.artifact_id not in artifacts or event.execution_id not in executions:
            continue
        artifact, execution = f"artifact:{event.artifact_id}", f"execution:{event.execution_id}"
        key = ",".join(event_keys(event))
        if event.type in _INPUTS:
            edges[(artifact, execution, "INPUT", key)] = Edge(artifact, execution, "INPUT", key)
        elif event.type in _OUTPUTS:
            edges[(execution, artifact, "OUTPUT", key)] = Edge(execution, artifact, "OUTPUT", key)
    return sorted(edges.values(), key=lambda e: (e.source, e.target, e.key))
