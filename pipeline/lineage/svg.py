"""An inline SVG drawing of a lineage graph: boxes coloured by type, arrows as data flows."""

from __future__ import annotations

from html import escape

from .dot import colour
from .layout import layout
from .records import LineageGraph, Node

MAX_LABEL = 27
_DEFS = (
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5f6368"/>'
    "</marker></defs>"
)


def anchor(key: str) -> str:
    """The HTML id of a node's facts section (by node key), which its box links to."""
    return "node-" + key.replace(":", "-")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "\u2026"


def _node(node: Node, box) -> str:
    rounded = 12 if node.kind == "execution" else 2
    cx = box.x + box.width / 2
    return (
        f'<a href="#{anchor(node.key)}" class="node {node.kind}"><title>{escape(node.label)} '
        f"({node.kind} {node.id})</title>"
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.width}" height="{box.height}" '
        f'rx="{rounded}" fill="{colour(node)}" stroke="#5f6368"/>'
        f'<text x="{cx:.0f}" y="{box.y + 17:.0f}" class="label">{escape(_clip(node.label))}</text>'
        f'<text x="{cx:.0f}" y="{box.y + 32:.0f}" class="sub">{escape(node.type)} '
        f"\u00b7 {node.kind} {node.id}</text></a>"
    )


def _edge(edge, boxes) -> str:
    start, end = boxes[edge.source], boxes[edge.target]
    x1, y1 = start.x + start.width / 2, start.y + start.height
    x2, y2 = end.x + end.width / 2, end.y
    bend = max((y2 - y1) / 2, 12)
    dashed = ' stroke-dasharray="5,4"' if "baseline_model" in edge.key.split(",") else ""
    return (
        f'<path d="M{x1:.0f},{y1:.0f} C{x1:.0f},{y1 + bend:.0f} {x2:.0f},{y2 - bend:.0f} '
        f'{x2:.0f},{y2:.0f}" fill="none" stroke="#5f6368" marker-end="url(#arrow)"{dashed}>'
        f"<title>{escape(edge.key or edge.event)}</title></path>"
    )


def graph_svg(graph: LineageGraph) -> str:
    """The graph as an <svg> element that scales to the page width."""
    placed = layout(graph)
    edges = [_edge(e, placed.boxes) for e in graph.edges if e.source in placed.boxes
             and e.target in placed.boxes]
    nodes = [_node(n, placed.boxes[n.key]) for n in graph.nodes]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="lineage graph" '
        f'viewBox="0 0 {placed.width:.0f} {placed.height:.0f}" width="{placed.width:.0f}" '
        f'style="max-width:100%;height:auto">{_DEFS}{"".join(edges)}{"".join(nodes)}</svg>'
    )
