(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var analysisEl = document.getElementById("analysis-data");
  var analysis = analysisEl ? JSON.parse(analysisEl.textContent) : { self: [], crit: [], spans: [], repeated: [], by_name: {} };
  var total = Math.max(report.info.finished || 0, 1);
  var ROW = 26, OVERSCAN = 12;

  // Flatten the tree once, in pre-order: a node's subtree is the index range [i, end[i]).
  // The analysis (critical path, self times) is indexed in the same pre-order.
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

  // Analysis: self ms, critical path, effective intervals of unfinished operations, repeated statements by parent.
  var selfMs = analysis.self.length === n ? analysis.self : null;
  var crit = new Uint8Array(n);
  analysis.crit.forEach(function (k) { if (k < n) crit[k] = 1; });
  var spanStart = new Float64Array(n), spanEnd = new Float64Array(n), maxDepth = 0;
  for (i = 0; i < n; i++) { spanStart[i] = info[i].started; spanEnd[i] = info[i].finished; if (depth[i] > maxDepth) maxDepth = depth[i]; }
  analysis.spans.forEach(function (s) { if (s[0] < n) { spanStart[s[0]] = s[1]; spanEnd[s[0]] = s[2]; } });
  var repeatedAt = {};
  analysis.repeated.forEach(function (rep) { if (rep.parent >= 0) (repeatedAt[rep.parent] = repeatedAt[rep.parent] || []).push(rep); });

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
  function ms(v) { return v + " ms"; }

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
  if (analysis.repeated.length) {
    summary.appendChild(document.createTextNode(" · "));
    summary.appendChild(el("span", "repeat-note", "⚠ " + analysis.repeated.length + " repeated statement" + (analysis.repeated.length === 1 ? "" : "s")));
  }

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
    var row = el("div", "row" + (filterOn && !match[k] ? " context" : "") + (k === selected ? " selected" : "") + (crit[k] ? " crit" : ""));
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
    var reps = repeatedAt[k];
    if (reps) {
      var flag = el("span", "repeat", "⚠ N+1: " + reps.map(function (x) { return x.count + "×"; }).join(", "));
      flag.title = reps.map(function (x) { return x.count + "× (" + x.total_ms + " ms): " + x.statement; }).join("\n");
      name.appendChild(flag);
    }
    name.title = inf.name + (where ? " — " + where : "") + (bad ? " — failed: " + inf.exception : "") + (crit[k] ? " — on the critical path" : "");
    var timeline = el("div", "timeline");
    var bar = el("div", "bar" + (bad ? " failed" : "") + (crit[k] ? " crit" : ""));
    bar.style.left = (100 * spanStart[k] / total) + "%";
    bar.style.width = (100 * (spanEnd[k] - spanStart[k]) / total) + "%";
    bar.title = spanStart[k] + "–" + spanEnd[k] + " ms";
    timeline.appendChild(bar);
    row.appendChild(name);
    row.appendChild(timeline);
    row.appendChild(el("div", "time", ms(inf.finished - inf.started)));
    row.appendChild(el("div", "time self", selfMs ? ms(selfMs[k]) : ""));
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
  window.addEventListener("resize", function () { schedule(); scheduleFlame(); });
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

  // Shows operation k: clears the filter, opens its ancestors, scrolls the tree (or the flame graph) to it, selects it.
  function reveal(k) {
    if (filterOn) { document.getElementById("filter").value = ""; applyFilter(""); }
    for (var a = parent[k]; a >= 0; a = parent[a]) open[a] = 1;
    selected = k;
    computeVisible();
    var at = visible.indexOf(k);
    if (flameOn) { flameFocus(k); return; }
    if (at >= 0) viewport.scrollTop = Math.max(0, at * ROW - (viewport.clientHeight || 0) / 2 + ROW / 2);
    draw();
    viewport.scrollIntoView({ block: "nearest" });
  }

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

  // The flame graph (icicle): one bar per operation under its parent, time left to right, drawn on a canvas.
  // Only the depths in view are drawn, and within them only bars at least a pixel wide: any trace size stays cheap.
  var FROW = 20;
  var flameOn = false, flameFrom = 0, flameTo = total, flamePending = false, flameDrawn = 0;
  var byDepth = [];
  for (i = 0; i <= maxDepth; i++) byDepth.push([]);
  for (i = 0; i < n; i++) byDepth[depth[i]].push(i);
  var flameViewport = document.getElementById("flame-viewport"), flameSpacer = document.getElementById("flame-spacer"),
      canvas = document.getElementById("flame"), flameInfo = document.getElementById("flame-info");
  function colour(k) {
    if (failed(info[k])) return "#f87171";
    var h = 0, s = info[k].name || "";
    for (var j = 0; j < s.length; j++) h = (h * 31 + s.charCodeAt(j)) | 0;
    return "hsl(" + (200 + Math.abs(h) % 60) + ", 70%, " + (62 + Math.abs(h >> 8) % 14) + "%)";
  }
  function drawFlame() {
    flamePending = false;
    if (!flameOn) return;
    var ratio = window.devicePixelRatio || 1;
    flameSpacer.style.height = ((maxDepth + 1) * FROW) + "px";
    flameViewport.style.height = Math.max(120, Math.min(window.innerHeight * 0.6, (maxDepth + 1) * FROW + 2)) + "px";
    var width = flameViewport.clientWidth || 800, height = flameViewport.clientHeight || 400;
    canvas.style.top = flameViewport.scrollTop + "px";
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    canvas.width = Math.floor(width * ratio); canvas.height = Math.floor(height * ratio);
    var g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = "12px system-ui, sans-serif";
    g.textBaseline = "middle";
    var scale = width / Math.max(flameTo - flameFrom, 1e-9);
    var d0 = Math.floor(flameViewport.scrollTop / FROW), d1 = Math.min(maxDepth, Math.ceil((flameViewport.scrollTop + height) / FROW));
    var drawn = 0;
    for (var d = d0; d <= d1; d++) {
      var y = d * FROW - flameViewport.scrollTop, list = byDepth[d];
      // Bars narrower than 3 px share pixel columns: each column of a depth is painted once (critical path first).
      var column = new Uint8Array(Math.ceil(width) + 2);
      for (var j = 0; j < list.length; j++) {
        var k = list[j];
        if (spanEnd[k] < flameFrom || spanStart[k] > flameTo) continue;
        var x = (spanStart[k] - flameFrom) * scale, w = (spanEnd[k] - spanStart[k]) * scale;
        if (x + w < 0 || x > width) continue;
        if (w < 3) {
          var col = Math.max(0, Math.min(column.length - 1, Math.floor(x)));
          if (column[col] === 2 || (column[col] === 1 && !crit[k])) continue;
          column[col] = crit[k] ? 2 : 1;
          g.fillStyle = k === selected ? "#6366f1" : crit[k] ? "#ea580c" : colour(k);
          g.fillRect(x, y + 1, Math.max(w, 1), FROW - 2);
          drawn++;
          continue;
        }
        g.fillStyle = k === selected ? "#6366f1" : colour(k);
        g.fillRect(x, y + 1, w, FROW - 2);
        if (crit[k]) { g.strokeStyle = "#ea580c"; g.lineWidth = 2; g.strokeRect(x + 1, y + 2, Math.max(w - 2, 1), FROW - 4); }
        if (w > 30) {
          g.fillStyle = "#111827";
          var label = info[k].name + " " + (spanEnd[k] - spanStart[k]) + " ms";
          g.save(); g.beginPath(); g.rect(x, y, w, FROW); g.clip();
          g.fillText(label, Math.max(x, 0) + 4, y + FROW / 2);
          g.restore();
        }
        drawn++;
      }
    }
    flameDrawn = drawn;
    canvas.dataset.drawn = String(drawn);
    canvas.dataset.from = String(flameFrom);
    canvas.dataset.to = String(flameTo);
  }
  function scheduleFlame() { if (flameOn && !flamePending) { flamePending = true; requestAnimationFrame(drawFlame); } }
  function flameAt(px, py) {
    var width = flameViewport.clientWidth || 800;
    var d = Math.floor((py + flameViewport.scrollTop) / FROW);
    if (d < 0 || d > maxDepth) return -1;
    var t = flameFrom + px * (flameTo - flameFrom) / width, slack = (flameTo - flameFrom) / width * 2, best = -1;
    var list = byDepth[d];
    for (var j = 0; j < list.length; j++) {
      var k = list[j];
      if (spanStart[k] - slack <= t && t <= spanEnd[k] + slack) { best = k; if (spanStart[k] <= t && t <= spanEnd[k]) break; }
    }
    return best;
  }
  function describe(k) {
    return info[k].name + " · " + spanStart[k] + "–" + spanEnd[k] + " ms · total " + ms(spanEnd[k] - spanStart[k]) +
      (selfMs ? " · self " + ms(selfMs[k]) : "") + (crit[k] ? " · on the critical path" : "") + " · " + traceIds[k];
  }
  function flameFocus(k) {
    selected = k;
    var span = Math.max(spanEnd[k] - spanStart[k], total / 1000);
    flameFrom = Math.max(0, spanStart[k] - span * 0.05); flameTo = Math.min(total, spanStart[k] + span * 1.05);
    if (flameTo <= flameFrom) { flameFrom = 0; flameTo = total; }
    var wanted = depth[k] * FROW, h = flameViewport.clientHeight || 400;
    if (wanted < flameViewport.scrollTop || wanted > flameViewport.scrollTop + h - FROW) flameViewport.scrollTop = Math.max(0, wanted - h / 2);
    flameInfo.textContent = describe(k);
    canvas.dataset.selected = traceIds[k];
    scheduleFlame();
  }
  canvas.addEventListener("mousemove", function (e) {
    var rect = canvas.getBoundingClientRect(), k = flameAt(e.clientX - rect.left, e.clientY - rect.top);
    canvas.title = k >= 0 ? describe(k) : "";
  });
  canvas.addEventListener("click", function (e) {
    var rect = canvas.getBoundingClientRect(), k = flameAt(e.clientX - rect.left, e.clientY - rect.top);
    if (k >= 0) flameFocus(k);
  });
  flameViewport.addEventListener("scroll", scheduleFlame);
  document.getElementById("flame-reset").addEventListener("click", function () { flameFrom = 0; flameTo = total; scheduleFlame(); });
  function setView(flame) {
    flameOn = flame;
    document.getElementById("tree-view").classList.toggle("hidden", flame);
    document.getElementById("flame-view").classList.toggle("hidden", !flame);
    ["expand-all", "collapse-all", "filter"].forEach(function (id) { document.getElementById(id).disabled = flame; });
    var t = document.getElementById("view-tree"), f = document.getElementById("view-flame");
    t.classList.toggle("on", !flame); f.classList.toggle("on", flame);
    t.setAttribute("aria-pressed", String(!flame)); f.setAttribute("aria-pressed", String(flame));
    document.body.dataset.view = flame ? "flame" : "tree";
    if (flame) { if (selected >= 0) flameFocus(selected); else scheduleFlame(); }
    else if (selected >= 0) reveal(selected); else schedule();
  }
  document.getElementById("view-tree").addEventListener("click", function () { setView(false); });
  document.getElementById("view-flame").addEventListener("click", function () { setView(true); });

  // The critical path and the repeated statements, as lists that show their operation when clicked.
  var MAX_LISTED = 500;
  var critList = document.getElementById("critical-path");
  analysis.crit.slice(0, MAX_LISTED).forEach(function (k) {
    var li = el("li");
    var b = el("button", "crit-op", info[k].name);
    b.type = "button";
    b.dataset.index = String(k);
    b.dataset.traceId = traceIds[k];
    b.style.marginLeft = (Math.min(depth[k], 40) * 12) + "px";
    li.appendChild(b);
    li.appendChild(el("span", "note", " " + ms(spanEnd[k] - spanStart[k]) + (selfMs ? " · self " + ms(selfMs[k]) : "")));
    critList.appendChild(li);
  });
  if (analysis.crit.length > MAX_LISTED) critList.appendChild(el("li", "note", "… and " + (analysis.crit.length - MAX_LISTED) + " more"));
  if (!analysis.crit.length) critList.appendChild(el("li", "note", "none"));
  critList.addEventListener("click", function (e) {
    var b = e.target.closest(".crit-op");
    if (b) reveal(+b.dataset.index);
  });
  var repList = document.getElementById("repeated");
  analysis.repeated.forEach(function (rep) {
    var li = el("li");
    li.appendChild(el("span", "count", rep.count + "×"));
    li.appendChild(el("code", "statement", rep.statement));
    li.appendChild(el("span", "note", " " + ms(rep.total_ms) + " in all, under "));
    if (rep.parent >= 0) {
      var b = el("button", "rep-parent", info[rep.parent].name);
      b.type = "button";
      b.dataset.index = String(rep.parent);
      b.title = rep.parent_id;
      li.appendChild(b);
    } else li.appendChild(el("span", "note", "the top level"));
    repList.appendChild(li);
  });
  if (!analysis.repeated.length) repList.appendChild(el("li", "note", "none"));
  repList.addEventListener("click", function (e) {
    var b = e.target.closest(".rep-parent");
    if (b) reveal(+b.dataset.index);
  });

  var tbody = document.querySelector("#stats tbody");
  Object.keys(report.stats).sort().forEach(function (k) {
    var s = report.stats[k];
    var tr = el("tr");
    tr.appendChild(el("td", null, k));
    tr.appendChild(el("td", null, s.count));
    tr.appendChild(el("td", null, s.duration));
    tr.appendChild(el("td", null, analysis.by_name[k] === undefined ? "" : analysis.by_name[k]));
    tr.appendChild(el("td", null, (s.duration / Math.max(s.count, 1)).toFixed(1)));
    tbody.appendChild(tr);
  });
  refresh();
  document.body.dataset.view = "tree";
  document.body.dataset.ready = "true";
})();
