"""A layered top-to-bottom layout of a lineage graph, for drawing it without Graphviz."""

from __future__ import annotations

from dataclasses import dataclass

from .records import LineageGraph

NODE_WIDTH, NODE_HEIGHT = 200, 40
COLUMN_GAP, ROW_GAP, MARGIN = 22, 24, 16
SWEEPS = 4
# A layer wider than this wraps onto several rows: the page stays readable without zooming.
MAX_PER_ROW = 6


@dataclass(frozen=True)
class Box:
    """Where one node is drawn (top-left corner, size)."""

    x: float
    y: float
    width: float = NODE_WIDTH
    height: float = NODE_HEIGHT


@dataclass(frozen=True)
class Layout:
    """Boxes by node key and the size of the whole drawing."""

    boxes: dict
    width: float
    height: float


def _links(graph: LineageGraph) -> tuple[dict, dict]:
    keys = {n.key for n in graph.nodes}
    parents, children = {k: [] for k in keys}, {k: [] for k in keys}
    for edge in graph.edges:
        if edge.source in keys and edge.target in keys and edge.source != edge.target:
            parents[edge.target].append(edge.source)
            children[edge.source].append(edge.target)
    return parents, children


def layers(graph: LineageGraph) -> dict:
    """Longest-path layer of each node: sources on top, every edge pointing down."""
    parents, children = _links(graph)
    waiting = {k: len(v) for k, v in parents.items()}
    ready = [n.key for n in graph.nodes if waiting[n.key] == 0]
    layer = {k: 0 for k in ready}
    while ready:
        key = ready.pop()
        for child in children[key]:
            layer[child] = max(layer.get(child, 0), layer[key] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    # MLMD lineage is acyclic; should a store hold a cycle, its nodes still get drawn.
    return {n.key: layer.get(n.key, 0) for n in graph.nodes}


def _order(rows: list[list[str]], neighbours: dict, position: dict) -> None:
    """Sort each row by the mean position of its neighbours in the row before (barycentres)."""
    for row in rows:
        def centre(key, row=row):
            placed = [position[n] for n in neighbours[key] if n in position]
            return sum(placed) / len(placed) if placed else position[key]

        row.sort(key=centre)
        position.update((key, i) for i, key in enumerate(row))


def ordered_rows(graph: LineageGraph) -> list[list[str]]:
    """Nodes grouped by layer, ordered to keep crossing edges few."""
    depth = layers(graph)
    rows = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in graph.nodes:
        rows[depth[node.key]].append(node.key)
    parents, children = _links(graph)
    position = {key: i for row in rows for i, key in enumerate(row)}
    for _ in range(SWEEPS):
        _order(rows[1:], parents, position)
        _order(rows[-2::-1], children, position)
    return rows


def layout(graph: LineageGraph) -> Layout:
    """Rows from top to bottom, each row centred; wide layers wrap."""
    rows = [
        layer[i : i + MAX_PER_ROW]
        for layer in ordered_rows(graph)
        for i in range(0, len(layer), MAX_PER_ROW)
    ]
    widest = max((len(r) for r in rows), default=0)
    width = 2 * MARGIN + widest * NODE_WIDTH + max(widest - 1, 0) * COLUMN_GAP
    boxes = {}
    for depth, row in enumerate(rows):
        used = len(row) * NODE_WIDTH + max(len(row) - 1, 0) * COLUMN_GAP
        left = (width - used) / 2
        for i, key in enumerate(row):
            x = left + i * (NODE_WIDTH + COLUMN_GAP)
            boxes[key] = Box(x=x, y=MARGIN + depth * (NODE_HEIGHT + ROW_GAP))
    height = 2 * MARGIN + len(rows) * NODE_HEIGHT + max(len(rows) - 1, 0) * ROW_GAP
    return Layout(boxes=boxes, width=width, height=height)
