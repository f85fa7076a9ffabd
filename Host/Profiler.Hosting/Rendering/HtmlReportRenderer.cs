using System.Net;
using System.Security.Cryptography;
using System.Text;
using Profiler.Domain.Reports;

namespace Profiler.Hosting.Rendering;

/// <summary>
/// One self-contained HTML page (no network access: inline CSS and script, no fonts or CDNs) showing a report:
/// a collapsible tree with timing bars scaled to the trace, per-operation stats, a regular-expression span filter
/// over name, project, service and host, and each node's raw payload on demand. The tree is flattened once and
/// only the rows in view are drawn, so expanding, collapsing and filtering a trace of tens of thousands of
/// operations stays fast. Trace data reaches the page only as JSON in a non-executed script element and is drawn
/// with textContent, never as markup.
/// </summary>
public static class HtmlReportRenderer
{
    /// <summary>
    /// The CSP source (<c>'sha256-…'</c>) of the page's only executable script, for a
    /// <c>Content-Security-Policy: script-src</c> that allows it and nothing else.
    /// </summary>
    public static string ScriptHashSource { get; } =
        "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Script))) + "'";

    /// <summary>Writes the page. <paramref name="listUrl"/>, when given, is linked as "all traces".</summary>
    public static void Render(TraceReport report, string baseId, TextWriter output, string? listUrl = null)
    {
        var json = ReportJson.ToJson(report, indented: false);
        output.Write(Head
            .Replace("%TITLE%", WebUtility.HtmlEncode(baseId), StringComparison.Ordinal)
            .Replace("%LIST%", listUrl is null ? "" : $"<a id=\"list-link\" href=\"{WebUtility.HtmlEncode(listUrl)}\">← all traces</a>", StringComparison.Ordinal));
        // '<', '>' and '&' occur in JSON only inside strings, where \u escapes mean the same: nothing can close the script.
        output.Write(json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal)
            .Replace("\u2029", "\\u2029", StringComparison.Ordinal));
        output.Write("</script>\n<script>");
        output.Write(Script);
        output.Write("</script>\n</body>\n</html>\n");
    }

    public static string Render(TraceReport report, string baseId, string? listUrl = null)
    {
        var sb = new StringBuilder();
        using (var writer = new StringWriter(sb)) Render(report, baseId, writer, listUrl);
        return sb.ToString();
    }

    private const string Head = """
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trace %TITLE%</title>
<style>
  :root { --bar: #3b82f6; --err: #dc2626; --muted: #6b7280; --line: #e5e7eb; --row: 26px; }
  * { box-sizing: border-box; }
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; }
  header.page { padding: 12px 20px; border-bottom: 1px solid var(--line); background: #f9fafb; }
  header.page h1 { font-size: 18px; margin: 4px 0; word-break: break-all; }
  header.page .meta { color: var(--muted); }
  header.page .meta .failed { color: var(--err); font-weight: 600; }
  a { color: #1d4ed8; }
  main { padding: 12px 20px; }
  .controls { display: flex; gap: 8px; align-items: center; margin-bottom: 10px; flex-wrap: wrap; }
  .controls input { width: 360px; max-width: 100%; padding: 4px 6px; font: inherit; }
  .controls .error { color: var(--err); }
  .controls .note { color: var(--muted); }
  button { font: inherit; cursor: pointer; }
  .row { display: grid; grid-template-columns: minmax(300px, 40%) 1fr 90px 56px; align-items: center;
         border-bottom: 1px solid var(--line); height: var(--row); }
  .row.head { font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line); }
  .row.head .time { padding-right: 8px; }
  #viewport { max-height: 70vh; overflow-y: auto; position: relative; border-bottom: 1px solid var(--line); }
  #spacer { position: relative; }
  #rows { position: absolute; top: 0; left: 0; right: 0; will-change: transform; }
  #rows .row:hover { background: #f3f4f6; }
  #rows .row.selected { background: #e0e7ff; }
  #rows .row.context .op { opacity: 0.5; }
  .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .toggle { display: inline-block; width: 18px; padding: 0; border: 0; background: none; text-align: center; color: var(--muted); }
  .toggle.leaf { cursor: default; }
  .where { color: var(--muted); font-size: 12px; margin-left: 6px; }
  .exc { color: var(--err); font-weight: 600; margin-left: 6px; }
  .timeline { position: relative; height: 14px; margin: 0 8px; background: #f3f4f6; }
  .bar { position: absolute; top: 0; height: 14px; min-width: 1px; background: var(--bar); }
  .bar.failed { background: var(--err); }
  .time { text-align: right; font-variant-numeric: tabular-nums; padding-right: 8px; }
  .raw-btn { font-size: 12px; padding: 0 6px; }
  #raw-panel { margin-top: 12px; border: 1px solid var(--line); }
  #raw-panel .bar-head { display: flex; justify-content: space-between; align-items: center; padding: 4px 12px; background: #f9fafb; }
  #raw-panel h2 { font-size: 14px; margin: 0; word-break: break-all; }
  pre#raw { margin: 0; padding: 8px 12px; background: #111827; color: #e5e7eb; font-size: 12px; overflow: auto; max-height: 400px; }
  .hidden { display: none !important; }
  table.stats { border-collapse: collapse; margin-top: 8px; }
  table.stats th, table.stats td { border: 1px solid var(--line); padding: 3px 10px; text-align: right; }
  table.stats th:first-child, table.stats td:first-child { text-align: left; }
  h2.section { font-size: 16px; margin: 20px 0 4px; }
</style>
</head>
<body>
<header class="page">
  %LIST%
  <h1>Trace <span id="base-id">%TITLE%</span></h1>
  <div class="meta" id="summary"></div>
</header>
<main>
  <div class="controls">
    <input id="filter" type="search" placeholder="Filter spans: regular expression over name, project, service, host" aria-label="Filter spans">
    <button id="expand-all" type="button">Expand all</button>
    <button id="collapse-all" type="button">Collapse all</button>
    <span id="filter-error" class="error" role="alert"></span>
    <span id="shown" class="note" aria-live="polite"></span>
  </div>
  <div class="row head" aria-hidden="true"><div>Operation</div><div>Timeline</div><div class="time">Duration</div><div></div></div>
  <div id="viewport" role="tree" aria-label="Operations" tabindex="0"><div id="spacer"><div id="rows"></div></div></div>
  <section id="raw-panel" class="hidden" aria-label="Raw payload">
    <div class="bar-head"><h2 id="raw-title"></h2><button id="raw-close" type="button">Close</button></div>
    <pre id="raw"></pre>
  </section>
  <h2 class="section">Stats</h2>
  <table class="stats" id="stats"><thead><tr><th>Operation</th><th>Count</th><th>Total ms</th><th>Average ms</th></tr></thead><tbody></tbody></table>
</main>
<script id="report-data" type="application/json">
""";

    private const string Script = """
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
""";
}
