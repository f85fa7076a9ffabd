using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Profiler.Application.Traces.AnalyzeTrace;
using Profiler.Application.Traces.DiffTraces;
using Profiler.Domain.Reports;
using Profiler.Hosting.Rendering;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// Trace analysis (docs/analysis.md): <c>GET /api/v1/traces/{baseId}/analysis</c>, <c>GET /api/v1/diff?a=&amp;b=</c>
/// (the JSON of <see cref="AnalysisJson"/>) and the page <c>GET /compare?a=&amp;b=</c>, which is drawn on the server and
/// runs no script.
/// </summary>
internal static class AnalysisEndpoints
{
    /// <summary>Maps the two API endpoints.</summary>
    public static void MapAnalysisApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/diff", Diff).WithName("TraceDiff");
        endpoints.MapGet("/api/v1/traces/{baseId}/analysis", Analysis).WithName("TraceAnalysis");
    }

    /// <summary>Maps the compare page.</summary>
    public static void MapComparePage(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/compare", ComparePage).WithName("ComparePage");

    private static async Task<IResult> Analysis(string baseId, HttpContext context, IMediator mediator)
    {
        if (!TracePointRules.IsSafeId(baseId)) return Problems.BadRequest(TracePointRules.IdError("base id", baseId));
        var analysis = await mediator.Send(new AnalyzeTraceQuery(baseId), context.RequestAborted);
        if (analysis is null) return Problems.NotFound($"trace '{baseId}' is not in the store");
        return Json(w => AnalysisJson.Write(w, analysis, baseId));
    }

    private static async Task<IResult> Diff(HttpContext context, IMediator mediator)
    {
        var (a, b, problem) = Pair(context.Request.Query);
        if (problem is not null) return Problems.BadRequest(problem);
        var result = await mediator.Send(new DiffTracesQuery(a!, b!), context.RequestAborted);
        if (result.Diff is null) return Problems.NotFound(NotFound(result.Missing));
        return Json(w => AnalysisJson.Write(w, result.Diff, a!, b!));
    }

    private static async Task<IResult> ComparePage(HttpContext context, IMediator mediator)
    {
        var query = context.Request.Query;
        // Without both ids: the form, with whichever one was given (the trace page links here with a).
        if (string.IsNullOrEmpty(query["a"]) || string.IsNullOrEmpty(query["b"]))
            return Html(RenderCompare(null, query["a"].ToString(), query["b"].ToString()));
        var (a, b, problem) = Pair(query);
        if (problem is not null) return Pages.ErrorPage(400, "Bad request", problem, "./");
        var result = await mediator.Send(new DiffTracesQuery(a!, b!), context.RequestAborted);
        if (result.Diff is null) return Pages.ErrorPage(404, "Trace not found", NotFound(result.Missing) + ".", "./");
        return Html(RenderCompare(result.Diff, a!, b!));
    }

    private static (string? A, string? B, string? Problem) Pair(IQueryCollection query)
    {
        string? a = query["a"], b = query["b"];
        if (string.IsNullOrEmpty(a)) return (null, null, "a is missing: give two base ids, ?a=<base-id>&b=<base-id>");
        if (string.IsNullOrEmpty(b)) return (null, null, "b is missing: give two base ids, ?a=<base-id>&b=<base-id>");
        if (!TracePointRules.IsSafeId(a)) return (null, null, TracePointRules.IdError("a", a));
        if (!TracePointRules.IsSafeId(b)) return (null, null, TracePointRules.IdError("b", b));
        return (a, b, null);
    }

    private static string NotFound(IReadOnlyList<string> missing) =>
        string.Join("; ", missing.Select(id => $"trace '{id}' is not in the store"));

    private static IResult Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream)) write(writer);
        return Results.Bytes(stream.ToArray(), "application/json; charset=utf-8");
    }

    private static IResult Html(string html) => Results.Content(html, "text/html; charset=utf-8");

    /// <summary>The compare page: a form for two base ids and, with a comparison, its tables.</summary>
    internal static string RenderCompare(TraceDiff? diff, string a, string b)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        var title = diff is null ? "Compare traces" : $"Compare {a} with {b}";
        PageAssets.WriteHead(writer, Encode(title) + " · Profiler", PageAssets.BaseStyle, PageAssets.CompareStyle);
        var html = new StringBuilder();
        html.Append("<header class=\"page\"><a id=\"list-link\" href=\"./\">← all traces</a><h1>Compare traces</h1>")
            .Append("<form class=\"pick\" method=\"get\" action=\"compare\"><label>a (baseline) <input name=\"a\" id=\"input-a\" value=\"")
            .Append(Encode(a)).Append("\" required></label> <label>b <input name=\"b\" id=\"input-b\" value=\"").Append(Encode(b))
            .Append("\" required></label> <button type=\"submit\">Compare</button></form></header>\n<main>\n");
        if (diff is not null)
        {
            html.Append("<table class=\"summary\" id=\"summary\"><thead><tr><th></th><th>Trace</th><th class=\"num\">Duration</th><th class=\"num\">Operations</th></tr></thead><tbody>");
            SummaryRow(html, "a", a, diff.A);
            SummaryRow(html, "b", b, diff.B);
            html.Append("</tbody></table>\n");
            var delta = diff.B.DurationMs - diff.A.DurationMs;
            html.Append("<p class=\"delta\" id=\"delta\">")
                .Append(delta == 0 ? "a and b took as long." : $"b took {Math.Abs(delta).ToString(CultureInfo.InvariantCulture)} ms {(delta > 0 ? "more" : "less")} than a.")
                .Append("</p>\n");

            html.Append("<h2 class=\"section\">Per operation name</h2>\n<table class=\"by-name\" id=\"by-name\"><thead><tr><th>Operation</th>")
                .Append("<th class=\"num\">Count a</th><th class=\"num\">Count b</th><th class=\"num\">Total a</th><th class=\"num\">Total b</th>")
                .Append("<th class=\"num\">Δ total</th><th class=\"num\">Self a</th><th class=\"num\">Self b</th><th class=\"num\">Δ self</th></tr></thead><tbody>\n");
            foreach (var (name, d) in diff.ByName.OrderByDescending(p => Math.Abs(p.Value.SelfMsB - p.Value.SelfMsA)).ThenBy(p => p.Key, StringComparer.Ordinal))
            {
                var cls = d.CountA == 0 ? "added" : d.CountB == 0 ? "removed" : "";
                html.Append("<tr").Append(cls.Length > 0 ? $" class=\"{cls}\"" : "").Append(" data-name=\"").Append(Encode(name)).Append("\"><td>")
                    .Append(Encode(name)).Append(cls.Length > 0 ? $" <span class=\"tag\">{cls}</span>" : "").Append("</td>");
                foreach (var v in new[] { d.CountA, d.CountB }) html.Append("<td class=\"num\">").Append(v).Append("</td>");
                html.Append("<td class=\"num\">").Append(d.TotalMsA).Append("</td><td class=\"num\">").Append(d.TotalMsB).Append("</td>")
                    .Append(DeltaCell(d.TotalMsB - d.TotalMsA))
                    .Append("<td class=\"num\">").Append(d.SelfMsA).Append("</td><td class=\"num\">").Append(d.SelfMsB).Append("</td>")
                    .Append(DeltaCell(d.SelfMsB - d.SelfMsA)).Append("</tr>\n");
            }
            html.Append("</tbody></table>\n<p class=\"note\">Times in ms; self time is what the operations spent outside their children.</p>\n");
            html.Append("<p id=\"added\">Only in b: ").Append(Names(diff.Added)).Append("</p>\n<p id=\"removed\">Only in a: ")
                .Append(Names(diff.Removed)).Append("</p>\n");

            html.Append("<h2 class=\"section\">Critical paths</h2>\n<div class=\"paths\">");
            PathColumn(html, "a", a, diff.A);
            PathColumn(html, "b", b, diff.B);
            html.Append("</div>\n");
        }
        html.Append("</main>\n</body>\n</html>\n");
        writer.Write(html.ToString());
        return writer.ToString();
    }

    private static void SummaryRow(StringBuilder html, string label, string baseId, TraceAnalysis analysis) =>
        html.Append("<tr><th>").Append(label).Append("</th><td><a class=\"trace-link\" id=\"link-").Append(label).Append("\" href=\"traces/")
            .Append(Encode(Uri.EscapeDataString(baseId))).Append("\">").Append(Encode(baseId)).Append("</a></td><td class=\"num\">")
            .Append(analysis.DurationMs).Append(" ms</td><td class=\"num\">").Append(analysis.Operations.Count).Append("</td></tr>");

    private static void PathColumn(StringBuilder html, string label, string baseId, TraceAnalysis analysis)
    {
        html.Append("<div class=\"path\"><h3>").Append(label).Append(": ").Append(Encode(baseId)).Append("</h3><ol id=\"path-").Append(label).Append("\">");
        var minDepth = analysis.CriticalPath.Count == 0 ? 0 : analysis.CriticalPath.Min(o => o.Depth);
        foreach (var op in analysis.CriticalPath)
            html.Append("<li style=\"padding-left:").Append(Math.Min(op.Depth - minDepth, 40) * 12).Append("px\" data-trace-id=\"")
                .Append(Encode(op.TraceId)).Append("\"><span class=\"op\">").Append(Encode(op.Name)).Append("</span> <span class=\"muted\">")
                .Append(op.TotalMs).Append(" ms · self ").Append(op.SelfMs).Append(" ms</span></li>");
        if (analysis.CriticalPath.Count == 0) html.Append("<li class=\"muted\">(no operations)</li>");
        html.Append("</ol></div>");
    }

    private static string DeltaCell(long delta) =>
        $"<td class=\"num {(delta > 0 ? "worse" : delta < 0 ? "better" : "")}\">{Signed(delta)}</td>";

    private static string Names(IReadOnlyList<string> names) =>
        names.Count == 0 ? "<span class=\"muted\">none</span>" : string.Join(", ", names.Select(n => $"<code>{Encode(n)}</code>"));

    private static string Signed(long value) => value > 0 ? "+" + value.ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
