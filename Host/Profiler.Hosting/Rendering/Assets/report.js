(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var total = Math.max(report.info.finished || 0, 1);
  var ROW = 26, OVERSCAN = 12;

  // Flatten the tree once, in pre-order: a node's subtree is the index range [i, end[i]).
  var info = [], depth = [], parent = [], end = [], traceIds = [];
  var stack = [];
  for (var r = report.children.length - 1; r >= 0; r--) stack.push([report.children[r], 0, -1]);
  while (stack.length) {
    var top = stack.pop(), node = top[0], idx = info.length;
    info.push(node.info); depth.push(top[1]); parent.push(top[2]); end.push(idx + 1); traceIds.push(node.trace_id);
    for (var c = node.children.length - 1; c >= 0; c--) stack.push([node.children[c], top[1] + 1, idx]);
  }
  var n = info.length;
  for (var i = n - 1; i >= 0; i--) if (parent[i] >= 0 && end[i] > end[parent[i]]) end[parent[i]] = end[i];
  var open = new Uint8Array(n);
  for (i = 0; i < n; i++) open[i] = (n <= 500 || depth[i] === 0) ? 1 : 0;
  var filterOn = false, keep = null, match = null, savedOpen = null, visible = [], selected = -1;

  var viewport = document.getElementById("viewport"), spacer = document.getElementById("spacer"),
      rows = document.getElementById("rows"), shown = document.getElementById("shown");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function failed(inf) { return !!inf.exception && inf.exception !== "None"; }
  function hasKids(k) { return end[k] > k + 1; }

  // Summary: duration, operations, failures, and the earliest stored timestamp.
  var earliest = null, failures = 0;
  for (i = 0; i < n; i++) {
    if (failed(info[i])) failures++;
    for (var key in info[i]) {
      if (key.indexOf("meta.raw_payload.") !== 0) continue;
      var p = info[i][key];
      if (p && typeof p.timestamp === "string" && (earliest === null || p.timestamp < earliest)) earliest = p.timestamp;
    }
  }
  var summary = document.getElementById("summary");
  summary.appendChild(document.createTextNode(
    (report.info.finished === null ? "no points" : report.info.finished + " ms") + " · " + n + " operation" + (n === 1 ? "" : "s") +
    (earliest ? " · started " + earliest.replace("T", " ") + " UTC" : "") +
    (report.info.skipped_points ? " · " + report.info.skipped_points + " unreadable points skipped" : "")));
  if (failures) { summary.appendChild(document.createTextNode(" · ")); summary.appendChild(el("span", "failed", "✖ " + failures + " failed")); }

  function computeVisible() {
    visible = [];
    var k = 0;
    while (k < n) {
      if (filterOn && !keep[k]) { k = end[k]; continue; }
      visible.push(k);
      k = open[k] ? k + 1 : end[k];
    }
    shown.textContent = filterOn
      ? matchCount + " matching operation" + (matchCount === 1 ? "" : "s") + " · " + visible.length + " row" + (visible.length === 1 ? "" : "s")
      : visible.length + " of " + n + " operations shown";
  }

  function makeRow(k) {
    var inf = info[k];
    var row = el("div", "row" + (filterOn && !match[k] ? " context" : "") + (k === selected ? " selected" : ""));
    row.setAttribute("role", "treeitem");
    row.setAttribute("aria-level", String(depth[k] + 1));
    row.dataset.index = String(k);
    row.dataset.traceId = traceIds[k];
    var name = el("div", "name");
    name.style.paddingLeft = (depth[k] * 16) + "px";
    var kids = hasKids(k);
    var toggle = el("button", "toggle" + (kids ? "" : " leaf"), kids ? (open[k] ? "▾" : "▸") : "·");
    toggle.type = "button";
    if (kids) { toggle.setAttribute("aria-label", open[k] ? "Collapse" : "Expand"); row.setAttribute("aria-expanded", open[k] ? "true" : "false"); }
    else toggle.tabIndex = -1;
    name.appendChild(toggle);
    name.appendChild(el("span", "op", inf.name));
    var where = [inf.project, inf.service].filter(Boolean).join("/") + (inf.host ? " @ " + inf.host : "");
    if (where) name.appendChild(el("span", "where", where));
    var bad = failed(inf);
    if (bad) name.appendChild(el("span", "exc", "✖ " + inf.exception));
    name.title = inf.name + (where ? " — " + where : "") + (bad ? " — failed: " + inf.exception : "");
    var timeline = el("div", "timeline");
    var bar = el("div", "bar" + (bad ? " failed" : ""));
    bar.style.left = (100 * inf.started / total) + "%";
    bar.style.width = (100 * (inf.finished - inf.started) / total) + "%";
    bar.title = inf.started + "–" + inf.finished + " ms";
    timeline.appendChild(bar);
    row.appendChild(name);
    row.appendChild(timeline);
    row.appendChild(el("div", "time", (inf.finished - inf.started) + " ms"));
    var cell = el("div");
    var raw = el("button", "raw-btn", "raw");
    raw.type = "button";
    raw.title = "Show the stored points";
    cell.appendChild(raw);
    row.appendChild(cell);
    return row;
  }

  var pending = false;
  function draw() {
    pending = false;
    spacer.style.height = (visible.length * ROW) + "px";
    var height = viewport.clientHeight || window.innerHeight;
    var first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - OVERSCAN);
    var last = Math.min(visible.length, Math.ceil((viewport.scrollTop + height) / ROW) + OVERSCAN);
    var frag = document.createDocumentFragment();
    for (var v = first; v < last; v++) frag.appendChild(makeRow(visible[v]));
    rows.textContent = "";
    rows.style.transform = "translateY(" + (first * ROW) + "px)";
    rows.appendChild(frag);
  }
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(draw); } }
  function refresh() { computeVisible(); draw(); }

  viewport.addEventListener("scroll", schedule);
  window.addEventListener("resize", schedule);
  rows.addEventListener("click", function (e) {
    var target = e.target;
    var row = target.closest(".row");
    if (!row) return;
    var k = +row.dataset.index;
    if (target.classList.contains("toggle") && hasKids(k)) { open[k] = open[k] ? 0 : 1; refresh(); }
    else if (target.classList.contains("raw-btn")) showRaw(k);
  });

  function payloads(inf) {
    var out = {};
    Object.keys(inf).forEach(function (k) { if (k.indexOf("meta.raw_payload.") === 0) out[k.substring(17)] = inf[k]; });
    return out;
  }
  var panel = document.getElementById("raw-panel");
  function showRaw(k) {
    selected = k;
    document.getElementById("raw-title").textContent = info[k].name + " — raw payload (trace_id " + traceIds[k] + ")";
    document.getElementById("raw").textContent = JSON.stringify(payloads(info[k]), null, 2);
    panel.classList.remove("hidden");
    draw();
    panel.scrollIntoView({ block: "nearest" });
  }
  document.getElementById("raw-close").addEventListener("click", function () { panel.classList.add("hidden"); selected = -1; draw(); });

  var matchCount = 0;
  function applyFilter(text) {
    var error = document.getElementById("filter-error");
    error.textContent = "";
    if (!text) {
      filterOn = false;
      if (savedOpen) { open = savedOpen; savedOpen = null; }
      refresh();
      return;
    }
    var re;
    try { re = new RegExp(text, "i"); } catch (e) { error.textContent = "Not a regular expression: " + e.message; return; }
    keep = new Uint8Array(n); match = new Uint8Array(n); matchCount = 0;
    for (var k = 0; k < n; k++) {
      var inf = info[k];
      if (re.test(inf.name || "") || re.test(inf.project || "") || re.test(inf.service || "") || re.test(inf.host || "")) {
        match[k] = 1; keep[k] = 1; matchCount++;
      }
    }
    for (k = n - 1; k >= 0; k--) if (keep[k] && parent[k] >= 0) keep[parent[k]] = 1;
    if (!savedOpen) savedOpen = open.slice();
    open.fill(1);
    filterOn = true;
    viewport.scrollTop = 0;
    refresh();
  }

  var timer = null;
  document.getElementById("filter").addEventListener("input", function (e) {
    clearTimeout(timer);
    var v = e.target.value;
    timer = setTimeout(function () { applyFilter(v); }, 150);
  });
  document.getElementById("expand-all").addEventListener("click", function () { open.fill(1); refresh(); });
  document.getElementById("collapse-all").addEventListener("click", function () { open.fill(0); viewport.scrollTop = 0; refresh(); });

  var tbody = document.querySelector("#stats tbody");
  Object.keys(report.stats).sort().forEach(function (k) {
    var s = report.stats[k];
    var tr = el("tr");
    tr.appendChild(el("td", null, k));
    tr.appendChild(el("td", null, s.count));
    tr.appendChild(el("td", null, s.duration));
    tr.appendChild(el("td", null, (s.duration / Math.max(s.count, 1)).toFixed(1)));
    tbody.appendChild(tr);
  });
  refresh();
  document.body.dataset.ready = "true";
})();
