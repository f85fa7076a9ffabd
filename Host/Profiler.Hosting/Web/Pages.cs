using System.Globalization;
using System.Net;
using System.Text;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Profiler.Application.Common;
using Profiler.Storage;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Hosting.Rendering;

namespace Profiler.Hosting.Web;

/// <summary>
/// The browser pages: <c>GET /</c> (a page of traces with start, duration, size and an error marker, linked to
/// their reports) and <c>GET /traces/{baseId}</c> (<see cref="HtmlReportRenderer"/>'s page). Self-contained:
/// inline CSS, one inline script allowed by its hash, nothing fetched from the network. Links are relative,
/// so the pages work behind a path prefix.
/// </summary>
internal static class Pages
{
    /// <summary>Every response's CSP: nothing loads from anywhere; the report's script runs by hash; no inline handlers.</summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; script-src {HtmlReportRenderer.ScriptHashSource}; style-src 'unsafe-inline'; img-src data:; " +
        "connect-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void MapProfilerPages(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", ListPage).WithName("TraceListPage");
        endpoints.MapGet("/traces/{baseId}", ReportPage).WithName("TraceReportPage");
    }

    private static async Task<IResult> ListPage(HttpContext context, IMediator mediator, ITraceStore store, WebShellOptions options)
    {
        var request = TraceEndpoints.ParseListRequest(context.Request.Query, options, out var problem);
        if (request is null) return ErrorPage(400, "Bad request", problem!, "./");
        var page = await TraceEndpoints.FetchPageAsync(mediator, request, context.RequestAborted);
        if (page is null) return ErrorPage(400, "Bad request", "That page link is not one this server gave out.", "./");
        var overviews = await TraceOverview.ForAsync(store, page.Traces.Select(t => t.BaseId).ToList(),
            options.MaxPointsPerListRow, context.RequestAborted);
        return Results.Content(RenderList(page, overviews, request, options), "text/html; charset=utf-8");
    }

    private static async Task<IResult> ReportPage(string baseId, HttpContext context, IMediator mediator)
    {
        if (!TracePointRules.IsSafeId(baseId)) return ErrorPage(400, "Bad request", TracePointRules.IdError("base id", baseId), "../");
        var report = await mediator.Send(new GetTraceReportQuery(baseId), context.RequestAborted);
        if (report is null) return ErrorPage(404, "Trace not found", $"Trace '{baseId}' is not in the store.", "../");
        return Results.Content(HtmlReportRenderer.Render(report, baseId, listUrl: "../"), "text/html; charset=utf-8");
    }

    internal static string RenderList(TracePage page, IReadOnlyDictionary<string, TraceOverview> overviews,
        TraceEndpoints.ListRequest request, WebShellOptions options)
    {
        var html = new StringBuilder(4096 + page.Traces.Count * 400);
        var title = request.ErrorsOnly ? "Failed traces" : "Traces";
        html.Append(PageHead(title));
        html.Append("<header class=\"page\"><h1>").Append(title).Append("</h1><nav>")
            .Append(request.ErrorsOnly ? "<a id=\"all-traces\" href=\"./\">All traces</a> · <strong>Failed only</strong>"
                                        : "<strong>All traces</strong> · <a id=\"failed-traces\" href=\"./?errors=true\">Failed only</a>")
            .Append(" · <a href=\"api/v1/traces").Append(request.ErrorsOnly ? "?errors=true" : "").Append("\">JSON</a>")
            .Append("</nav></header>\n<main>\n");
        if (page.Traces.Count == 0)
        {
            html.Append("<p class=\"empty\" id=\"empty\">")
                .Append(request.Cursor is null ? "No traces yet. Send points to <code>POST api/v1/points</code> or run <code>profiler demo</code>." : "No more traces.")
                .Append("</p>\n");
        }
        else
        {
            html.Append("<table class=\"traces\" id=\"traces\"><thead><tr><th>Started (UTC)</th><th>Trace</th>")
                .Append("<th class=\"num\">Duration</th><th class=\"num\">Operations</th><th>Status</th></tr></thead><tbody>\n");
            foreach (var t in page.Traces)
            {
                overviews.TryGetValue(t.BaseId, out var o);
                var failed = o?.ErrorType is not null;
                var atLeast = o is { Partial: true } ? "≥ " : "";
                html.Append("<tr").Append(failed ? " class=\"failed\"" : "").Append("><td class=\"ts\">")
                    .Append(Encode(t.Timestamp.Replace('T', ' ')))
                    .Append("</td><td><a class=\"trace-link\" href=\"traces/").Append(Encode(Uri.EscapeDataString(t.BaseId))).Append("\">")
                    .Append(Encode(t.BaseId)).Append("</a></td><td class=\"num\">")
                    .Append(o?.DurationMs is { } ms ? atLeast + ms.ToString(CultureInfo.InvariantCulture) + " ms" : "—")
                    .Append("</td><td class=\"num\">")
                    .Append(o is null ? "—" : atLeast + o.Operations.ToString(CultureInfo.InvariantCulture))
                    .Append("</td><td>")
                    .Append(failed
                        ? $"<span class=\"error-marker\" title=\"holds a failed operation\">✖ {Encode(o!.ErrorType!)}</span>"
                        : o is { Partial: true } ? "<span class=\"muted\">no failure in the points read</span>" : "<span class=\"ok\">ok</span>")
                    .Append("</td></tr>\n");
            }
            html.Append("</tbody></table>\n");
        }
        html.Append("<nav class=\"pager\">");
        if (request.Cursor is not null)
            html.Append("<a id=\"first-page\" href=\"").Append(Encode(PageUrl(null, request, options))).Append("\">« First page</a> ");
        if (page.NextCursor is not null)
            html.Append("<a id=\"next-page\" rel=\"next\" href=\"").Append(Encode(PageUrl(page.NextCursor, request, options))).Append("\">Next page »</a>");
        html.Append("</nav>\n</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string PageUrl(string? cursor, TraceEndpoints.ListRequest request, WebShellOptions options)
    {
        var query = new List<string>();
        if (request.ErrorsOnly) query.Add("errors=true");
        if (request.Limit != options.DefaultPageSize) query.Add("limit=" + request.Limit.ToString(CultureInfo.InvariantCulture));
        if (cursor is not null) query.Add("cursor=" + Uri.EscapeDataString(cursor));
        return "./" + (query.Count > 0 ? "?" + string.Join("&", query) : "");
    }

    /// <summary>A small HTML error page with a way back (used for the pages; the API answers problem details).</summary>
    internal static IResult ErrorPage(int status, string title, string detail, string backUrl)
    {
        var html = new StringBuilder(PageHead(title));
        html.Append("<header class=\"page\"><a href=\"").Append(Encode(backUrl)).Append("\">← all traces</a><h1>")
            .Append(Encode(title)).Append("</h1></header>\n<main><p id=\"detail\">").Append(Encode(detail))
            .Append("</p></main>\n</body>\n</html>\n");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string PageHead(string title) => $$"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{Encode(title)}} · Profiler</title>
<style>
  :root { --err: #dc2626; --muted: #6b7280; --line: #e5e7eb; }
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; }
  header.page { padding: 12px 20px; border-bottom: 1px solid var(--line); background: #f9fafb; }
  header.page h1 { font-size: 18px; margin: 4px 0; }
  a { color: #1d4ed8; }
  main { padding: 12px 20px; }
  table.traces { border-collapse: collapse; width: 100%; max-width: 1100px; }
  table.traces th, table.traces td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; }
  table.traces th { color: var(--muted); border-bottom: 2px solid var(--line); }
  table.traces tr:hover td { background: #f3f4f6; }
  .num { text-align: right !important; font-variant-numeric: tabular-nums; }
  .ts { font-variant-numeric: tabular-nums; white-space: nowrap; }
  .trace-link { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
  .error-marker { color: var(--err); font-weight: 600; }
  .ok { color: #15803d; }
  .muted { color: var(--muted); }
  .pager { margin-top: 12px; display: flex; gap: 16px; }
  code { background: #f3f4f6; padding: 0 4px; }
</style>
</head>
<body>

""";
}
