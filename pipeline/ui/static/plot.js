// Key metrics across versions, one line per metric (uPlot).
(function () {
  "use strict";
  var el = document.getElementById("metrics-plot");
  var dataEl = document.getElementById("metrics-data");
  if (!el || !dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  var colors = ["#1b5fbf", "#c0392b", "#2e8b57", "#8e44ad"];
  var names = Object.keys(data.series);
  var opts = {
    width: Math.min(el.clientWidth || 800, 900), height: 260,
    scales: { x: { time: false } },
    axes: [{ label: "version", values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) ? "@" + v : ""; }); } }, { size: 60 }],
    series: [{ label: "version" }].concat(names.map(function (n, i) {
      return { label: n, stroke: colors[i % colors.length], width: 2, points: { show: true, size: 6 } };
    }))
  };
  var plot = new uPlot(opts, [data.versions].concat(names.map(function (n) { return data.series[n]; })), el);
  el.setAttribute("data-ready", "true");
  window.ledgerPlot = plot;
})();
