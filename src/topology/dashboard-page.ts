/**
 * The dashboard's single page: no framework, no build step. Server-sent events bring one snapshot a
 * second; the page draws the topology graph (SVG), a node table, and charts of lag and ops/s over the
 * last minutes. (No template literals inside: this whole file is one.)
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tsredis topology</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg:#0f1419; --panel:#171d24; --line:#2a333d; --text:#d8dee6; --dim:#8a96a3;
          --master:#4f9dff; --replica:#39c28a; --down:#ff5c5c; --sync:#f0b429; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:baseline; gap:16px; padding:14px 20px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; }
  #status { color:var(--dim); }
  #status.live::before { content:"● "; color:var(--replica); }
  #status.lost::before { content:"● "; color:var(--down); }
  main { display:grid; grid-template-columns: minmax(420px, 1fr) minmax(420px, 1fr); gap:16px; padding:16px 20px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
  section h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); margin:0 0 8px; }
  #graph-section { grid-row: span 3; }
  svg text { fill:var(--text); font-size:12px; }
  .node rect { fill:#1f2730; stroke-width:2; }
  .node.master rect { stroke:var(--master); }
  .node.replica rect { stroke:var(--replica); }
  .node.down rect { stroke:var(--down); stroke-dasharray:4 3; }
  .node .title { font-weight:600; font-size:13px; }
  .node .dim { fill:var(--dim); font-size:11px; }
  .edge { stroke-width:2.5; fill:none; }
  .edge.up { stroke:var(--replica); }
  .edge.sync { stroke:var(--sync); stroke-dasharray:6 4; }
  .edge.down { stroke:var(--down); stroke-dasharray:3 4; }
  .edge-label { font-size:11px; }
  table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align:left; padding:4px 8px 4px 0; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--dim); font-weight:500; font-size:12px; }
  td.bad { color:var(--down); }
  td.good { color:var(--replica); }
  .chart { width:100%; height:180px; }
  .axis { stroke:var(--line); }
  .legend { display:flex; gap:12px; flex-wrap:wrap; font-size:12px; color:var(--dim); }
  .legend span::before { content:""; display:inline-block; width:10px; height:3px; margin-right:5px; vertical-align:middle; background:var(--c); }
  .reason { color:var(--down); font-size:12px; }
</style>
</head>
<body>
<header><h1>tsredis topology</h1><span id="status">connecting…</span><span id="clock" style="margin-left:auto;color:var(--dim)"></span></header>
<main>
  <section id="graph-section"><h2>Topology</h2><svg id="graph" width="100%" height="420" role="img" aria-label="topology graph"></svg>
    <div id="reasons"></div></section>
  <section><h2>Nodes</h2><table id="nodes"><thead><tr>
    <th>node</th><th>role</th><th>address</th><th>link</th><th>offset</th><th>lag</th><th>ops/s</th><th>memory</th><th>keys</th>
  </tr></thead><tbody></tbody></table></section>
  <section><h2>Replication lag (bytes behind the master)</h2>
    <svg id="lag-chart" class="chart" viewBox="0 0 600 180" preserveAspectRatio="none"></svg><div id="lag-legend" class="legend"></div></section>
  <section><h2>Ops/s per node</h2>
    <svg id="ops-chart" class="chart" viewBox="0 0 600 180" preserveAspectRatio="none"></svg><div id="ops-legend" class="legend"></div></section>
</main>
<script>
"use strict";
var WINDOW_MS = 5 * 60 * 1000;
var COLORS = ["#4f9dff", "#39c28a", "#f0b429", "#c678dd", "#ff8c5c", "#56d4dd", "#e06c9f", "#a0c94f"];
var snaps = [];
var colorOf = {};
var SVGNS = "http://www.w3.org/2000/svg";

function human(n) {
  if (n === null || n === undefined) return "-";
  if (n < 1024) return n + " B";
  var u = ["KB", "MB", "GB", "TB"], i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + " " + u[i];
}
function el(name, attrs, text) {
  var e = document.createElementNS(SVGNS, name);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function clip(text, n) {
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}
function color(id) {
  if (!(id in colorOf)) colorOf[id] = COLORS[Object.keys(colorOf).length % COLORS.length];
  return colorOf[id];
}

/* Rows by depth: masters first, each replica one row below the node it replicates from; nodes that
   do not answer and have no replicas pointing at them go to a last row of their own. */
function layout(nodes) {
  var byId = {}, depth = {}, hasChild = {};
  nodes.forEach(function (n) { byId[n.id] = n; if (n.master) hasChild[n.master] = true; });
  function d(n, seen) {
    if (depth[n.id] !== undefined) return depth[n.id];
    if (!n.master || !byId[n.master] || seen[n.id]) return 0;
    seen[n.id] = true;
    return 1 + d(byId[n.master], seen);
  }
  var rows = [], lost = [];
  nodes.forEach(function (n) {
    if (!n.up && !hasChild[n.id]) { lost.push(n); return; }
    var k = d(n, {});
    (rows[k] = rows[k] || []).push(n);
  });
  rows = rows.filter(function (r) { return r && r.length; });
  if (lost.length) rows.push(lost);
  return rows;
}

function drawGraph(snap) {
  var svg = document.getElementById("graph");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  var boxW = 170, boxH = 70, rowH = 130, rows = layout(snap.nodes), pos = {};
  var widest = Math.max.apply(null, rows.map(function (r) { return r.length; }));
  var width = Math.max(svg.clientWidth || 600, widest * (boxW + 24) + 24);
  var height = Math.max(200, rows.length * rowH + 20);
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("height", String(Math.min(height, (svg.clientWidth || width) * height / width)));
  rows.forEach(function (row, r) {
    row.forEach(function (n, i) {
      pos[n.id] = { x: (width / (row.length + 1)) * (i + 1), y: 20 + r * rowH + boxH / 2 };
    });
  });
  var edges = el("g", {}), boxes = el("g", {});
  svg.appendChild(edges); svg.appendChild(boxes);
  snap.nodes.forEach(function (n) {
    if (!n.master) return;
    var a = pos[n.id], b = pos[n.master];
    if (!b) {
      b = { x: a.x, y: a.y - rowH + boxH / 2 };
      edges.appendChild(el("text", { x: b.x - 40, y: b.y - 4, class: "edge-label" }, n.master + " (unknown)"));
    }
    var state = n.up ? (n.link || "down") : "down";
    var path = el("path", {
      d: "M" + a.x + "," + (a.y - boxH / 2) + " L" + b.x + "," + (b.y + boxH / 2),
      class: "edge " + state, "data-edge": n.name, "data-state": state
    });
    edges.appendChild(path);
    var label = state === "up" ? "up · lag " + human(n.lagBytes) + (n.lagSeconds !== null ? " · " + n.lagSeconds + "s" : "") : state;
    edges.appendChild(el("text", { x: a.x, y: a.y - boxH / 2 - 8, class: "edge-label", "text-anchor": "middle" }, label));
  });
  snap.nodes.forEach(function (n) {
    var p = pos[n.id];
    var cls = "node " + (n.up ? n.role : "down");
    var g = el("g", { class: cls, transform: "translate(" + (p.x - boxW / 2) + "," + (p.y - boxH / 2) + ")", "data-node": n.name, "data-role": n.up ? n.role : "down" });
    g.appendChild(el("rect", { width: boxW, height: boxH, rx: 8 }));
    g.appendChild(el("text", { x: 10, y: 18, class: "title" }, clip(n.name, 22)));
    g.appendChild(el("title", {}, n.name + " " + n.address + (n.error ? ": " + n.error : "")));
    g.appendChild(el("text", { x: 10, y: 34, class: "dim" }, clip((n.up ? n.role : "DOWN") + " · " + n.address, 30)));
    g.appendChild(el("text", { x: 10, y: 50, class: "dim" }, n.up ? n.opsPerSec + " ops/s · " + human(n.usedMemory) : clip(n.error || "not answering", 28)));
    g.appendChild(el("text", { x: 10, y: 64, class: "dim" }, n.up ? "offset " + n.offset + " · " + n.keys + " keys" : ""));
    boxes.appendChild(g);
  });
  var reasons = document.getElementById("reasons");
  reasons.textContent = "";
  snap.nodes.forEach(function (n) {
    if (n.up && n.link && n.link !== "up") {
      var div = document.createElement("div");
      div.className = "reason";
      div.textContent = n.name + ": link " + n.link + (n.linkReason ? " (" + n.linkReason + ")" : "");
      reasons.appendChild(div);
    }
  });
}

function drawTable(snap) {
  var tbody = document.querySelector("#nodes tbody");
  tbody.textContent = "";
  snap.nodes.forEach(function (n) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-row", n.name);
    var cells = [
      [n.name, ""], [n.up ? n.role : "DOWN", n.up ? "" : "bad"], [n.address, ""],
      [n.link === null ? "-" : n.link, n.link === "up" ? "good" : n.link ? "bad" : ""],
      [n.up ? String(n.offset) : "-", ""],
      [n.role === "replica" ? human(n.lagBytes) + (n.lagSeconds !== null ? " (" + n.lagSeconds + "s)" : "") : "-", ""],
      [n.up ? String(n.opsPerSec) : "-", ""], [n.up ? human(n.usedMemory) : "-", ""], [n.up ? String(n.keys) : "-", ""]
    ];
    cells.forEach(function (c, i) {
      var td = document.createElement("td");
      td.textContent = c[0];
      if (c[1]) td.className = c[1];
      td.setAttribute("data-col", ["node", "role", "address", "link", "offset", "lag", "ops", "memory", "keys"][i]);
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  });
}

/* One polyline per node over the last WINDOW_MS; value(node) picks what to plot. */
function drawChart(svgId, legendId, value, filter) {
  var svg = document.getElementById(svgId), legend = document.getElementById(legendId);
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  legend.textContent = "";
  var now = Date.now(), W = 600, H = 180, series = {}, max = 1, seen = 0;
  /* The time axis grows with the data: one minute at first, up to WINDOW_MS. */
  var oldest = snaps.length ? snaps[0].time : now;
  var span = Math.min(WINDOW_MS, Math.max(60000, now - oldest));
  snaps.forEach(function (s) {
    if (now - s.time > span) return;
    s.nodes.forEach(function (n) {
      if (!filter(n)) return;
      var v = value(n);
      if (v === null || v === undefined) return;
      (series[n.name] = series[n.name] || []).push([s.time, v]);
      if (v > max) max = v;
      if (v > seen) seen = v;
    });
  });
  svg.appendChild(el("line", { x1: 0, y1: H - 1, x2: W, y2: H - 1, class: "axis" }));
  svg.appendChild(el("text", { x: 4, y: 12, class: "dim" }, (svgId === "lag-chart" ? human(seen) : seen + " ops/s") + " max · last " + Math.round(span / 60000) + " min"));
  Object.keys(series).forEach(function (name) {
    var pts = series[name].map(function (p) {
      var x = W - ((now - p[0]) / span) * W;
      var y = H - 2 - (p[1] / max) * (H - 20);
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    svg.appendChild(el("polyline", { points: pts.join(" "), fill: "none", stroke: color(name), "stroke-width": 2, "data-series": name, "data-points": String(pts.length) }));
    /* Not "span": a var is function-scoped, and that name holds the time axis used for every x above. */
    var item = document.createElement("span");
    item.style.setProperty("--c", color(name));
    item.textContent = name;
    legend.appendChild(item);
  });
}

function render() {
  var snap = snaps[snaps.length - 1];
  if (!snap) return;
  drawGraph(snap);
  drawTable(snap);
  drawChart("lag-chart", "lag-legend", function (n) { return n.lagBytes; }, function (n) { return n.role === "replica"; });
  drawChart("ops-chart", "ops-legend", function (n) { return n.up ? n.opsPerSec : null; }, function () { return true; });
  document.getElementById("clock").textContent = new Date(snap.time).toLocaleTimeString();
  document.body.setAttribute("data-updates", String(snaps.length));
}

var source = new EventSource("/events");
var statusEl = document.getElementById("status");
/* The server starts every stream (and every reconnection) with the snapshots it kept. */
source.addEventListener("history", function (e) { snaps = JSON.parse(e.data); render(); });
source.addEventListener("snapshot", function (e) {
  snaps.push(JSON.parse(e.data));
  while (snaps.length && Date.now() - snaps[0].time > WINDOW_MS + 5000) snaps.shift();
  render();
});
source.onopen = function () { statusEl.textContent = "live"; statusEl.className = "live"; };
source.onerror = function () { statusEl.textContent = "reconnecting…"; statusEl.className = "lost"; };
window.addEventListener("resize", render);
</script>
</body>
</html>
`;
