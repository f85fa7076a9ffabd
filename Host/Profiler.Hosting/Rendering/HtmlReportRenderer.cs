using System.Net;
using System.Text;
using Profiler.Domain.Reports;

namespace Profiler.Hosting.Rendering;

/// <summary>
/// One self-contained HTML page (no network access: inline CSS and script, no fonts or CDNs) showing a report:
/// a collapsible tree with timing bars scaled to the trace, per-operation stats, a regular-expression span filter
/// over name, project, service and host, and each node's raw payload on demand. Children are drawn when first
/// expanded, so a trace of tens of thousands of operations stays responsive. Trace data reaches the page only as
/// JSON in a non-executed script element and is drawn with textContent, never as markup.
/// </summary>
public static class HtmlReportRenderer
{
    /// <summary>Writes the page. <paramref name="listUrl"/>, when given, is linked as "all traces".</summary>
    public static void Render(TraceReport report, string baseId, TextWriter output, string? listUrl = null)
    {
        var json = ReportJson.ToJson(report, indented: false);
        var head = Template[..Template.IndexOf("%DATA%", StringComparison.Ordinal)];
        var tail = Template[(Template.IndexOf("%DATA%", StringComparison.Ordinal) + "%DATA%".Length)..];
        output.Write(head
            .Replace("%TITLE%", WebUtility.HtmlEncode(baseId), StringComparison.Ordinal)
            .Replace("%LIST%", listUrl is null ? "" : $"<a id=\"list-link\" href=\"{WebUtility.HtmlEncode(listUrl)}\">← all traces</a>", StringComparison.Ordinal));
        // '<', '>' and '&' occur in JSON only inside strings, where \u escapes mean the same: nothing can close the script.
        output.Write(json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal)
            .Replace("\u2029", "\\u2029", StringComparison.Ordinal));
        output.Write(tail.Replace("%BASEID%", WebUtility.HtmlEncode(baseId), StringComparison.Ordinal));
    }

    public static string Render(TraceReport report, string baseId, string? listUrl = null)
    {
        var sb = new StringBuilder();
        using (var writer = new StringWriter(sb)) Render(report, baseId, writer, listUrl);
        return sb.ToString();
    }

    private const string Template = """
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trace %TITLE%</title>
<style>
  :root { --bar: #3b82f6; --err: #dc2626; --muted: #6b7280; --line: #e5e7eb; }
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; }
  header { padding: 12px 20px; border-bottom: 1px solid var(--line); background: #f9fafb; }
  header h1 { font-size: 18px; margin: 0 0 4px; word-break: break-all; }
  header .meta { color: var(--muted); }
  main { padding: 12px 20px; }
  .controls { display: flex; gap: 8px; align-items: center; margin-bottom: 10px; flex-wrap: wrap; }
  .controls input { width: 320px; padding: 4px 6px; font: inherit; }
  .controls .error { color: var(--err); }
  button { font: inherit; cursor: pointer; }
  #tree { border-top: 1px solid var(--line); }
  .row { display: grid; grid-template-columns: minmax(320px, 40%) 1fr 110px 60px; align-items: center;
         border-bottom: 1px solid var(--line); min-height: 26px; }
  .row:hover { background: #f3f4f6; }
  .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .toggle { display: inline-block; width: 18px; text-align: center; color: var(--muted); cursor: pointer; user-select: none; }
  .where { color: var(--muted); font-size: 12px; margin-left: 6px; }
  .exc { color: var(--err); font-weight: 600; margin-left: 6px; }
  .timeline { position: relative; height: 14px; margin: 0 8px; background: #f3f4f6; }
  .bar { position: absolute; top: 0; height: 14px; min-width: 1px; background: var(--bar); }
  .bar.failed { background: var(--err); }
  .time { text-align: right; font-variant-numeric: tabular-nums; padding-right: 8px; }
  .raw-btn { font-size: 12px; padding: 0 6px; }
  pre.raw { margin: 0; padding: 8px 12px; background: #111827; color: #e5e7eb; font-size: 12px; overflow: auto; max-height: 400px; }
  .hidden { display: none; }
  table.stats { border-collapse: collapse; margin-top: 20px; }
  table.stats th, table.stats td { border: 1px solid var(--line); padding: 3px 10px; text-align: right; }
  table.stats th:first-child, table.stats td:first-child { text-align: left; }
  .note { color: var(--muted); margin: 6px 0; }
</style>
</head>
<body>
<header>
  %LIST%
  <h1>Trace <span id="base-id">%TITLE%</span></h1>
  <div class="meta" id="summary"></div>
</header>
<main>
  <div class="controls">
    <input id="filter" type="search" placeholder="Filter spans: regular expression over name, project, service, host" aria-label="Filter spans">
    <button id="expand-all" type="button">Expand all</button>
    <button id="collapse-all" type="button">Collapse all</button>
    <span id="filter-error" class="error"></span>
  </div>
  <div id="note" class="note"></div>
  <div id="tree" role="tree"></div>
  <h2>Stats</h2>
  <table class="stats" id="stats"><thead><tr><th>Operation</th><th>Count</th><th>Total ms</th><th>Average ms</th></tr></thead><tbody></tbody></table>
</main>
<script id="report-data" type="application/json">%DATA%</script>
<script>
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var total = Math.max(report.info.finished || 0, 1);
  var tree = document.getElementById("tree");
  var MAX_ROWS = 5000;
  var nodeCount = 0;
  (function count(list) { for (var i = 0; i < list.length; i++) { nodeCount++; count(list[i].children); } })(report.children);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  var summary = document.getElementById("summary");
  summary.textContent = (report.info.finished === null ? "no points" : report.info.finished + " ms") + " · " +
    nodeCount + " operations" + (report.info.skipped_points ? " · " + report.info.skipped_points + " unreadable points skipped" : "");

  function payloads(info) {
    var out = {};
    Object.keys(info).forEach(function (k) { if (k.indexOf("meta.raw_payload.") === 0) out[k.substring(17)] = info[k]; });
    return out;
  }

  // One row per node; its children container is filled when first opened.
  function makeNode(node, depth, open) {
    var info = node.info;
    var wrap = el("div", "node");
    wrap.setAttribute("role", "treeitem");
    wrap.dataset.traceId = node.trace_id;
    var row = el("div", "row");
    var name = el("div", "name");
    name.style.paddingLeft = (depth * 16) + "px";
    var toggle = el("span", "toggle", node.children.length ? (open ? "▾" : "▸") : "·");
    name.appendChild(toggle);
    name.appendChild(el("span", "op", info.name));
    var where = [info.project, info.service].filter(Boolean).join("/") + (info.host ? " @ " + info.host : "");
    if (where) name.appendChild(el("span", "where", where));
    var failed = info.exception && info.exception !== "None";
    if (failed) name.appendChild(el("span", "exc", "✖ " + info.exception));
    name.title = info.name + (where ? " — " + where : "");
    var timeline = el("div", "timeline");
    var bar = el("div", "bar" + (failed ? " failed" : ""));
    bar.style.left = (100 * info.started / total) + "%";
    bar.style.width = (100 * (info.finished - info.started) / total) + "%";
    bar.title = info.started + "–" + info.finished + " ms";
    timeline.appendChild(bar);
    row.appendChild(name);
    row.appendChild(timeline);
    row.appendChild(el("div", "time", (info.finished - info.started) + " ms"));
    var rawBtn = el("button", "raw-btn", "raw");
    rawBtn.type = "button";
    rawBtn.title = "Show the stored points";
    var cell = el("div");
    cell.appendChild(rawBtn);
    row.appendChild(cell);
    wrap.appendChild(row);
    var raw = null;
    rawBtn.addEventListener("click", function () {
      if (!raw) {
        raw = el("pre", "raw", JSON.stringify(payloads(info), null, 2));
        wrap.insertBefore(raw, wrap.children[1] || null);
      } else raw.classList.toggle("hidden");
    });
    var kids = el("div", "children" + (open ? "" : " hidden"));
    kids.setAttribute("role", "group");
    wrap.appendChild(kids);
    var filled = false;
    function fill() {
      if (filled) return;
      filled = true;
      for (var i = 0; i < node.children.length; i++) kids.appendChild(makeNode(node.children[i], depth + 1, false));
    }
    if (open) fill();
    function setOpen(o) {
      if (!node.children.length) return;
      if (o) fill();
      kids.classList.toggle("hidden", !o);
      toggle.textContent = o ? "▾" : "▸";
      wrap.setAttribute("aria-expanded", o ? "true" : "false");
    }
    toggle.addEventListener("click", function () { setOpen(kids.classList.contains("hidden")); });
    wrap._setOpen = setOpen;
    if (node.children.length) wrap.setAttribute("aria-expanded", open ? "true" : "false");
    return wrap;
  }

  function drawTree() {
    tree.textContent = "";
    document.getElementById("note").textContent = "";
    for (var i = 0; i < report.children.length; i++) tree.appendChild(makeNode(report.children[i], 0, true));
  }

  function setAll(open) {
    var rows = 0;
    (function walk(container) {
      var nodes = container.querySelectorAll(":scope > .node");
      for (var i = 0; i < nodes.length && rows < MAX_ROWS; i++) {
        rows++;
        nodes[i]._setOpen(open);
        if (open) walk(nodes[i].querySelector(":scope > .children"));
      }
    })(tree);
    if (open && rows >= MAX_ROWS) document.getElementById("note").textContent = "Expanded the first " + MAX_ROWS + " operations.";
  }

  // Filtering: show matching spans with their ancestors, as a tree of copies.
  function applyFilter(text) {
    var error = document.getElementById("filter-error");
    error.textContent = "";
    if (!text) { drawTree(); return; }
    var re;
    try { re = new RegExp(text, "i"); } catch (e) { error.textContent = "Not a regular expression: " + e.message; return; }
    var shown = 0;
    function keep(node) {
      var i = node.info;
      var self = re.test(i.name || "") || re.test(i.project || "") || re.test(i.service || "") || re.test(i.host || "");
      var kids = [];
      for (var k = 0; k < node.children.length; k++) { var c = keep(node.children[k]); if (c) kids.push(c); }
      if (!self && !kids.length) return null;
      if (self) shown++;
      return { trace_id: node.trace_id, parent_id: node.parent_id, info: node.info, children: kids, match: self };
    }
    var roots = [];
    for (var r = 0; r < report.children.length; r++) { var x = keep(report.children[r]); if (x) roots.push(x); }
    tree.textContent = "";
    var rows = 0;
    (function draw(list, depth, container) {
      for (var n = 0; n < list.length && rows < MAX_ROWS; n++) {
        rows++;
        var w = makeNode({ trace_id: list[n].trace_id, info: list[n].info, children: [] }, depth, false);
        if (!list[n].match) w.querySelector(".op").style.opacity = "0.5";
        container.appendChild(w);
        draw(list[n].children, depth + 1, container);
      }
    })(roots, 0, tree);
    document.getElementById("note").textContent = shown + " matching operation" + (shown === 1 ? "" : "s") +
      (rows >= MAX_ROWS ? " (first " + MAX_ROWS + " rows shown)" : "");
  }

  var timer = null;
  document.getElementById("filter").addEventListener("input", function (e) {
    clearTimeout(timer);
    var v = e.target.value;
    timer = setTimeout(function () { applyFilter(v); }, 150);
  });
  document.getElementById("expand-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { setAll(false); });

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
  drawTree();
})();
</script>
</body>
</html>
""";
}
