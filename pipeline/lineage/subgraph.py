"""MLMD get_lineage_subgraph queries, pruned to what a model was built from, as LineageGraphs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.registry.schema import quote

from .nodes import artifact_node, execution_node, short_type
from .records import Edge, LineageGraph

UPSTREAM = pb.LineageSubgraphQueryOptions.UPSTREAM
DOWNSTREAM = pb.LineageSubgraphQueryOptions.DOWNSTREAM
MAX_STARTING_NODES = 100  # MLMD refuses more starting nodes per query
# Contexts are left out: on a store of 10,000 runs fetching them (every execution shares the
# pipeline context) costs more than the whole rest of a trace.
_MASK = ["artifacts", "executions", "events"]
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


def _options(ids, direction, hops) -> pb.LineageSubgraphQueryOptions:
    # No ending-node filters: MLMD evaluates them over the whole store (8 ms of a 12 ms query at
    # 10,000 runs); cached reruns and re-imports are pruned below instead.
    options = pb.LineageSubgraphQueryOptions(max_num_hops=hops, direction=direction)
    options.starting_artifacts.filter_query = f"id IN ({', '.join(map(str, ids))})"
    return options


def collect(store, artifact_ids, direction, hops: int, stop_at=()) -> Collected:
    """Query MLMD from `artifact_ids`, keep what is reachable along real lineage edges."""
    # Not followed: baseline edges, cached executions, producers of `stop_at` artifact types.
    found, ids = Collected(), sorted(set(artifact_ids))
    for start in range(0, len(ids), MAX_STARTING_NODES):
        graph = store.get_lineage_subgraph(
            _options(ids[start : start + MAX_STARTING_NODES], direction, hops), _MASK)
        found.artifacts.update((a.id, a) for a in graph.artifacts)
        found.executions.update((e.id, e) for e in graph.executions)
        found.events.extend(graph.events)
    found.kept_artifacts, found.kept_executions = _reachable(found, set(ids), direction, stop_at)
    return found


def _adjacency(found: Collected, direction, stop_at) -> tuple[dict, dict]:
    to_execution, to_artifact = {}, {}
    for event in found.events:
        execution = found.executions.get(event.execution_id)
        artifact = found.artifacts.get(event.artifact_id)
        # A cached execution only repeats the events of the one it reused.
        if execution is None or artifact is None or execution.last_known_state == _CACHED:
            continue
        if event.type in _INPUTS and _is_lineage(event):
            consumed = True
        elif event.type in _OUTPUTS:
            consumed = False
        else:
            continue
        # Downstream an artifact leads to the executions that read it; upstream, to its producer.
        if consumed == (direction == DOWNSTREAM):
            if not consumed and short_type(artifact.type) in stop_at:
                continue  # e.g. RawData: every later run that re-imported it is not its origin
            to_execution.setdefault(event.artifact_id, set()).add(event.execution_id)
        else:
            to_artifact.setdefault(event.execution_id, set()).add(event.artifact_id)
    return to_execution, to_artifact


def _reachable(found: Collected, starts: set, direction, stop_at) -> tuple[set, set]:
    to_execution, to_artifact = _adjacency(found, direction, set(stop_at))
    artifacts, executions, frontier = set(starts), set(), set(starts)
    while frontier:
        reached = {e for a in frontier for e in to_execution.get(a, ())} - executions
        executions |= reached
        frontier = {a for e in reached for a in to_artifact.get(e, ())} - artifacts
        artifacts |= frontier
    return artifacts & set(found.artifacts), executions


def graph_of(store, *parts: Collected) -> LineageGraph:
    """One LineageGraph of the kept nodes of `parts` and every event between them."""
    artifacts, executions = {}, {}
    for part in parts:
        artifacts.update((i, part.artifacts[i]) for i in part.kept_artifacts)
        executions.update((i, part.executions[i]) for i in part.kept_executions)
    # The subgraph query returns only the events it walked, and a hop limit can stop it one
    # event short (a transition reading the ModelVersion another transition wrote).
    events = store.get_events_by_execution_ids(sorted(executions)) if executions else []
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
