using System.Globalization;
using System.Net;
using System.Text;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Profiler.Application.Traces.GetTraceOverviews;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Hosting.Rendering;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// The browser pages: <c>GET /</c> (a page of traces with start, duration, size and an error marker, linked to
/// their reports) and <c>GET /traces/{baseId}</c> (<see cref="HtmlReportRenderer"/>'s page). Self-contained:
/// the CSS and script of <see cref="PageAssets"/> inlined, one inline script allowed by its hash, nothing fetched from the network. Links are relative,
/// so the pages work behind a path prefix.
/// </summary>
internal static class Pages
{
    /// <summary>
    /// Every response's CSP: nothing loads from anywhere; the report's and the actions' scripts run by hash; no inline
    /// handlers; the actions script may call this server's API only.
    /// </summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; script-src {PageAssets.ReportScriptHashSource} {PageAssets.ActionsScriptHashSource}; style-src 'unsafe-inline'; img-src data:; " +
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void MapProfilerPages(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", ListPage).WithName("TraceListPage");
        endpoints.MapGet("/traces/{baseId}", ReportPage).WithName("TraceReportPage");
    }

    private static async Task<IResult> ListPage(HttpContext context, IMediator mediator, WebShellOptions options)
    {
        var request = TraceEndpoints.ParseListRequest(context.Request.Query, options, out var problem);
        if (request is null) return ErrorPage(400, "Bad request", problem!, "./");
        var page = await TraceEndpoints.FetchPageAsync(mediator, request, context.RequestAborted);
        if (page is null) return ErrorPage(400, "Bad request", "That page link is not one this server gave out.", "./");
        var overviews = page.Traces.Count == 0
            ? new Dictionary<string, TraceOverview>()
            : await mediator.Send(new GetTraceOverviewsQuery(page.Traces.Select(t => t.BaseId).ToList(), options.MaxPointsPerListRow),
                context.RequestAborted);
        return Results.Content(RenderList(page, overviews, request, options), "text/html; charset=utf-8");
    }

    private static async Task<IResult> ReportPage(string baseId, HttpContext context, IMediator mediator, WebShellOptions options)
    {
        if (!TracePointRules.IsSafeId(baseId)) return ErrorPage(400, "Bad request", TracePointRules.IdError("base id", baseId), "../");
        var report = await mediator.Send(new GetTraceReportQuery(baseId), context.RequestAborted);
        if (report is null) return ErrorPage(404, "Trace not found", $"Trace '{baseId}' is not in the store.", "../");
        var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        HtmlReportRenderer.Render(report, baseId, writer, listUrl: "../",
            new TraceActions("../api/v1/traces/" + Uri.EscapeDataString(baseId), "../", !string.IsNullOrEmpty(options.IngestKey)));
        return Results.Content(writer.ToString(), "text/html; charset=utf-8");
    }

    internal static string RenderList(TracePage page, IReadOnlyDictionary<string, TraceOverview> overviews,
        TraceEndpoints.ListRequest request, WebShellOptions options)
    {
        var html = new StringBuilder(4096 + page.Traces.Count * 400);
        var title = request.ErrorsOnly ? "Failed traces" : "Traces";
        html.Append(PageHead(title, PageAssets.ListStyle));
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

    /// <summary>The page skeleton (<see cref="PageAssets.PageTemplate"/>) with the shared styles and <paramref name="styles"/>.</summary>
    private static string PageHead(string title, params string[] styles)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        PageAssets.WriteHead(writer, Encode(title) + " · Profiler", [PageAssets.BaseStyle, .. styles]);
        return writer.ToString();
    }
}
