// Lineage graph: ELK lays out nodes and routes edges orthogonally around them; Cytoscape draws
// the result (pan, zoom, click). Node data is only ever set as text, never parsed as markup.
(function () {
  "use strict";
  var dataEl = document.getElementById("lineage-data");
  var container = document.getElementById("lineage");
  if (!dataEl || !container) { return; }
  var elements = JSON.parse(dataEl.textContent);
  var CHAR_PX = 7.2, LINE_PX = 15, PAD = 16;

  function lines(node) {
    // "DatasetVersion dsv-0123" -> type on the first line, detail on the second.
    var label = node.data.label, type = node.data.type;
    if (label.indexOf(type + " ") === 0) { return [type, label.slice(type.length + 1)]; }
    return label === type ? [type] : [type, label];
  }
  elements.nodes.forEach(function (n) {
    var text = lines(n);
    n.data.display = text.join("\n");
    n.data.w = Math.ceil(Math.max.apply(null, text.map(function (t) { return t.length; })) * CHAR_PX) + PAD * 2;
    n.data.h = text.length * LINE_PX + PAD;
  });

  var elk = new ELK();
  var layoutGraph = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered", "elk.direction": "RIGHT", "elk.edgeRouting": "ORTHOGONAL",
      "elk.layered.spacing.nodeNodeBetweenLayers": "50", "elk.spacing.nodeNode": "24",
      "elk.spacing.edgeNode": "16", "elk.spacing.edgeEdge": "8",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      // A pipeline is a long chain: wrapped into rows it stays readable at a zoom near 1.
      "elk.layered.wrapping.strategy": "MULTI_EDGE",
      "elk.aspectRatio": String(Math.max(1, container.clientWidth / container.clientHeight))
    },
    children: elements.nodes.map(function (n) { return { id: n.data.id, width: n.data.w, height: n.data.h }; }),
    edges: elements.edges.map(function (e) { return { id: e.data.id, sources: [e.data.source], targets: [e.data.target] }; })
  };

  function relative(src, tgt, p) {
    // A point as Cytoscape's segment weight (along source->target) and distance (across it).
    var dx = tgt.x - src.x, dy = tgt.y - src.y, len2 = dx * dx + dy * dy || 1;
    var weight = ((p.x - src.x) * dx + (p.y - src.y) * dy) / len2;
    var distance = ((p.y - src.y) * dx - (p.x - src.x) * dy) / Math.sqrt(len2);
    return { weight: weight, distance: distance };
  }

  function away(p, center) {
    var dx = p.x - center.x, dy = p.y - center.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
    return { x: p.x + dx / len * 3, y: p.y + dy / len * 3 };
  }

  elk.layout(layoutGraph).then(function (laid) {
    var centers = {};
    laid.children.forEach(function (c) { centers[c.id] = { x: c.x + c.width / 2, y: c.y + c.height / 2 }; });
    elements.nodes.forEach(function (n) { n.position = centers[n.data.id]; });
    var sections = {};
    laid.edges.forEach(function (e) { sections[e.id] = e.sections || []; });
    elements.edges.forEach(function (e) {
      var src = centers[e.data.source], tgt = centers[e.data.target], weights = [], distances = [];
      sections[e.data.id].forEach(function (s) {
        // The ends sit on the node borders; nudged outwards so Cytoscape clips the edge there.
        var ends = [away(s.startPoint, src)].concat(s.bendPoints || [], [away(s.endPoint, tgt)]);
        ends.forEach(function (p) {
          var r = relative(src, tgt, p);
          weights.push(r.weight); distances.push(r.distance);
        });
      });
      e.data.weights = weights; e.data.distances = distances;
    });
    draw();
  });

  function draw() {
    var cy = cytoscape({
      container: container, elements: elements, layout: { name: "preset" },
      minZoom: 0.2, maxZoom: 3,
      style: [
        { selector: "node", style: {
          "shape": "round-rectangle", "width": "data(w)", "height": "data(h)",
          "label": "data(display)", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
          "font-size": 12, "font-family": "system-ui, sans-serif", "color": "#1d2733",
          "background-color": "#e8f0fb", "border-width": 1, "border-color": "#7a96bd" } },
        { selector: "node[kind = 'execution']", style: { "shape": "rectangle", "background-color": "#f4efe3", "border-color": "#b59b5a" } },
        { selector: "node[?focus]", style: { "border-width": 3, "border-color": "#1b5fbf" } },
        { selector: "node:selected", style: { "background-color": "#ffe9a8" } },
        { selector: "edge", style: {
          "curve-style": "segments", "edge-distances": "node-position",
          "segment-weights": "data(weights)", "segment-distances": "data(distances)",
          "width": 1.4, "line-color": "#8a97a8", "target-arrow-color": "#8a97a8",
          "target-arrow-shape": "triangle", "arrow-scale": 0.8 } }
      ]
    });
    cy.fit(undefined, 20);
    cy.on("tap", "node", function (evt) { showFacts(evt.target.data()); });
    window.ledgerGraph = cy;
    container.setAttribute("data-ready", "true");
  }

  function row(table, name, value) {
    var tr = document.createElement("tr"), th = document.createElement("th"), td = document.createElement("td");
    th.textContent = name;
    if (value !== null && typeof value === "object") {
      var pre = document.createElement("pre");
      pre.textContent = JSON.stringify(value, null, 2);
      td.appendChild(pre);
    } else {
      td.textContent = value === null || value === undefined ? "" : String(value);
    }
    tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
  }

  function showFacts(data) {
    var panel = document.getElementById("node-facts");
    panel.textContent = "";
    var title = document.createElement("h3");
    title.textContent = data.label;
    panel.appendChild(title);
    if (data.link) {
      var a = document.createElement("a");
      a.href = data.link; a.className = "node-link";
      a.textContent = data.type === "DatasetVersion" ? "Open this dataset version" : "Open this page";
      panel.appendChild(a);
    }
    var table = document.createElement("table");
    table.className = "facts";
    row(table, "id", data.id); row(table, "state", data.state);
    if (data.uri) { row(table, "uri", data.uri); }
    Object.keys(data.facts).forEach(function (k) { row(table, k, data.facts[k]); });
    panel.appendChild(table);
  }
})();
