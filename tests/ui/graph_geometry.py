"""Geometry of the drawn lineage graph, read from Cytoscape in the page: edges against boxes."""
from __future__ import annotations

# Each edge as the polyline Cytoscape draws (clipped ends + segment points), each node's box.
READ_DRAWING = """() => {
  const cy = window.ledgerGraph;
  const box = (n, labels) => n.boundingBox({includeNodes: !labels, includeLabels: labels,
                                            includeOverlays: false});
  const boxes = cy.nodes().map(n => ({id: n.id(), label: n.data('label'), ...box(n, false),
                                      text: box(n, true)}));
  const edges = cy.edges().map(e => ({id: e.id(), source: e.source().id(), target: e.target().id(),
    points: [e.sourceEndpoint(), ...(e.segmentPoints() || []), e.targetEndpoint()]}));
  return {boxes, edges};
}"""


def _crosses(p, q, box, inset: float = 2.0) -> bool:
    """Whether segment p-q enters the box shrunk by `inset` (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = box["x1"] + inset, box["y1"] + inset, box["x2"] - inset, box["y2"] - inset
    dx, dy = q["x"] - p["x"], q["y"] - p["y"]
    low, high = 0.0, 1.0
    for step, distance in ((-dx, p["x"] - x1), (dx, x2 - p["x"]), (-dy, p["y"] - y1),
                           (dy, y2 - p["y"])):
        if step == 0:
            if distance < 0:
                return False
            continue
        ratio = distance / step
        if step < 0:
            low = max(low, ratio)
        else:
            high = min(high, ratio)
        if low > high:
            return False
    return True


def edges_through_boxes(drawing: dict) -> list[str]:
    """'edge e3 (a -> b) crosses c' for every edge segment entering a box not its own."""
    found = []
    for edge in drawing["edges"]:
        points = edge["points"]
        for box in drawing["boxes"]:
            if box["id"] in (edge["source"], edge["target"]):
                continue
            if any(_crosses(p, q, box) for p, q in zip(points, points[1:], strict=False)):
                found.append(f"edge {edge['id']} ({edge['source']} -> {edge['target']}) "
                             f"crosses {box['label']}")
    return found


def labels_outside_boxes(drawing: dict, slack: float = 1.0) -> list[str]:
    """Nodes whose label's drawn text spills out of the node's box (a cut or overflowing label)."""
    found = []
    for box in drawing["boxes"]:
        text = box["text"]
        if (text["x1"] < box["x1"] - slack or text["x2"] > box["x2"] + slack
                or text["y1"] < box["y1"] - slack or text["y2"] > box["y2"] + slack):
            found.append(f"{box['label']}: label {text['w']:.0f}x{text['h']:.0f} "
                         f"in a {box['w']:.0f}x{box['h']:.0f} box")
    return found
