"""Graphviz DOT source for lineage graphs (pipe into `dot -Tsvg`)."""

from __future__ import annotations

from .records import LineageGraph, Node

# Colours by what a node is to an auditor: data, model, checks, decisions, deployment.
COLOURS = {
    "RawData": "#d2e3fc", "Examples": "#e8f0fe", "DatasetVersion": "#aecbfa",
    "Model": "#fde293", "ModelVersion": "#fbbc04", "ModelBlessing": "#ceead6",
    "InfraBlessing": "#ceead6", "ModelEvaluation": "#e6f4ea", "PushedModel": "#f6aea9",
    "PredictionCapture": "#e9d2fd", "StageTransition": "#fad2cf",
}
DEFAULT_ARTIFACT, DEFAULT_EXECUTION = "#f1f3f4", "#fef7e0"
SIDE_COLOURS = {"a": "#fde2e1", "b": "#d9f0d3", "both": "#e8eaed"}


def _escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def colour(node: Node) -> str:
    """Fill colour of a node in every picture (DOT and the HTML report)."""
    default = DEFAULT_ARTIFACT if node.kind == "artifact" else DEFAULT_EXECUTION
    return COLOURS.get(node.type, default)


def _node_line(node: Node, fill: str) -> str:
    detail = node.uri.rsplit("/", 2)[-2:] if node.uri else []
    text = node.label + (f"\n{'/'.join(detail)}" if detail else "") + f"\n{node.kind} {node.id}"
    shape = "note" if node.kind == "artifact" else "box"
    style = "filled" if node.kind == "artifact" else "rounded,filled"
    return (f'  "{node.key}" [label="{_escape(text)}", shape={shape}, style="{style}", '
            f'fillcolor="{fill}"];')


def _edge_line(edge) -> str:
    style = ", style=dashed" if "baseline_model" in edge.key.split(",") else ""
    return f'  "{edge.source}" -> "{edge.target}" [label="{_escape(edge.key)}"{style}];'


def _header(title: str) -> list[str]:
    return [
        "digraph lineage {",
        "  rankdir=LR;",
        f'  label="{_escape(title)}"; labelloc=t;',
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8, color="#5f6368"];',
    ]


def graph_dot(graph: LineageGraph, title: str = "lineage") -> str:
    """One graph, nodes coloured by type."""
    lines = _header(title) + [_node_line(n, colour(n)) for n in graph.nodes]
    return "\n".join(lines + [_edge_line(e) for e in graph.edges] + ["}"]) + "\n"


def diff_dot(a: LineageGraph, b: LineageGraph, title: str) -> str:
    """The union of two graphs; colour says whether a node is in a only, b only or both."""
    in_a, in_b = {n.key for n in a.nodes}, {n.key for n in b.nodes}
    nodes = {n.key: n for n in a.nodes + b.nodes}
    lines = _header(title)
    for key, node in sorted(nodes.items()):
        side = "both" if key in in_a and key in in_b else ("a" if key in in_a else "b")
        lines.append(_node_line(node, SIDE_COLOURS[side]))
    edges = {(e.source, e.target, e.key): e for e in a.edges + b.edges}
    return "\n".join(lines + [_edge_line(e) for e in edges.values()] + ["}"]) + "\n"
