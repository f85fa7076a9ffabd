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
/// The browser pages: <c>GET /</c> (the search and list page, <see cref="TraceListPage"/>) and <c>GET /traces/{baseId}</c> (<see cref="HtmlReportRenderer"/>'s page). Self-contained:
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
        var overviews = await OverviewsAsync(page, mediator, options, context.RequestAborted);
        var total = await TraceEndpoints.TotalAsync(mediator, request, context.RequestAborted);
        return Results.Content(TraceListPage.Render(page, overviews, request, options, total), "text/html; charset=utf-8");
    }

    /// <summary>
    /// What the list page reads from the points, only where the store's summaries cannot tell. A trace without a summary
    /// (a store without search) is read up to <see cref="WebShellOptions.MaxPointsPerListRow"/> points for its duration,
    /// operations and status. A failed trace with a summary is read only for its exception type, and all of those on
    /// the page share one row's budget, <see cref="WebShellOptions.MaxPointsPerListRow"/> points in all: a page of failed
    /// traces (<c>?errors=true</c>) then costs about what a page of the normal listing does, not a page size times a
    /// row's budget (1,000 × 20,000 points). A failure found beyond a trace's share shows as "failed"; its page names it.
    /// </summary>
    internal static async Task<IReadOnlyDictionary<string, TraceOverview>> OverviewsAsync(TracePage page, IMediator mediator,
        WebShellOptions options, CancellationToken ct)
    {
        var unsummarised = page.Traces.Where(t => t.DurationMs is null).Select(t => t.BaseId).ToList();
        var failed = page.Traces.Where(t => t.DurationMs is not null && t.Error == true).Select(t => t.BaseId).ToList();
        if (unsummarised.Count == 0 && failed.Count == 0) return new Dictionary<string, TraceOverview>();
        if (failed.Count == 0) return await mediator.Send(new GetTraceOverviewsQuery(unsummarised, options.MaxPointsPerListRow), ct);
        var share = Math.Max(1, options.MaxPointsPerListRow / failed.Count);
        var failures = await mediator.Send(new GetTraceOverviewsQuery(failed, share), ct);
        if (unsummarised.Count == 0) return failures;
        var overviews = new Dictionary<string, TraceOverview>(
            await mediator.Send(new GetTraceOverviewsQuery(unsummarised, options.MaxPointsPerListRow), ct), StringComparer.Ordinal);
        foreach (var (id, overview) in failures) overviews[id] = overview;
        return overviews;
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
