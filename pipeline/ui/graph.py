"""A LineageGraph as Cytoscape elements: every node's facts travel with it for the side panel."""

from __future__ import annotations

from pipeline.lineage import LineageGraph, Node

# Nodes that open a page of their own when clicked.
_DATASET_TYPES = ("DatasetVersion", "ledger_types.DatasetVersion")


def node_link(node: Node) -> str:
    """The UI page a node leads to, or "" when its facts are all there is."""
    if node.type in _DATASET_TYPES and node.facts.get("dataset_version_id"):
        return f"/datasets/{node.facts['dataset_version_id']}"
    if node.type == "ModelVersion" and node.facts.get("model_name"):
        return f"/models/{node.facts['model_name']}/versions/{node.facts.get('version', 0)}"
    return ""


def elements(graph: LineageGraph, focus: set[str] = frozenset()) -> dict:
    """{"nodes": [...], "edges": [...]} in Cytoscape's element format (data only: the browser
    lays them out with ELK and never evaluates any of it as markup)."""
    nodes = [{"data": {
        "id": n.key, "label": n.label, "kind": n.kind, "type": n.type, "state": n.state,
        "uri": n.uri, "facts": n.facts, "link": node_link(n), "focus": n.key in focus,
    }} for n in graph.nodes]
    edges = [{"data": {
        "id": f"e{i}", "source": e.source, "target": e.target, "key": e.key, "event": e.event,
    }} for i, e in enumerate(graph.edges)]
    return {"nodes": nodes, "edges": edges}
