using System.Globalization;
using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Profiler.Application.Common;
using Profiler.Application.Traces.CountTraces;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Application.Traces.ListTraces;
using Profiler.Domain.Reports;
using Profiler.Hosting.Rendering;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// The query API: <c>GET /api/v1/traces</c> (a page of traces, searched by <c>service</c>, <c>project</c>, <c>host</c>,
/// <c>name</c>, <c>min_duration_ms</c>, <c>max_duration_ms</c>, <c>since</c>, <c>until</c>, <c>errors</c>; with <c>total</c>), <c>GET /api/v1/traces/{baseId}</c> (the COMPAT §4
/// report) and <c>GET /api/v1/traces/{baseId}.dot</c> (Graphviz).
/// </summary>
internal static class TraceEndpoints
{
    public static void MapTraceApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v1/traces", List).WithName("ListTraces");
        endpoints.MapGet("/api/v1/traces/{baseId}.dot", Dot).WithName("TraceDot");
        endpoints.MapGet("/api/v1/traces/{baseId}", Report).WithName("TraceReport");
    }

    private static async Task<IResult> List(HttpContext context, IMediator mediator, WebShellOptions options)
    {
        var request = ParseListRequest(context.Request.Query, options, out var problem);
        if (request is null) return Problems.BadRequest(problem!);
        var page = await FetchPageAsync(mediator, request, context.RequestAborted);
        if (page is null) return Problems.BadRequest($"cursor '{TracePointRules.Show(request.Cursor)}' is not one this server gave out");
        var total = await TotalAsync(mediator, request, context.RequestAborted);
        return Results.Json(new Dictionary<string, object?>
        {
            ["traces"] = page.Traces.Select(Row).ToList(),
            ["next_cursor"] = page.NextCursor,
            ["total"] = total,
        });
    }

    private static async Task<IResult> Report(string baseId, HttpContext context, IMediator mediator)
    {
        if (!TracePointRules.IsSafeId(baseId)) return Problems.BadRequest(TracePointRules.IdError("base id", baseId));
        var report = await mediator.Send(new GetTraceReportQuery(baseId), context.RequestAborted);
        if (report is null) return Problems.NotFound($"trace '{baseId}' is not in the store");
        return new ReportJsonResult(report);
    }

    private static async Task<IResult> Dot(string baseId, HttpContext context, IMediator mediator)
    {
        if (!TracePointRules.IsSafeId(baseId)) return Problems.BadRequest(TracePointRules.IdError("base id", baseId));
        var report = await mediator.Send(new GetTraceReportQuery(baseId), context.RequestAborted);
        if (report is null) return Problems.NotFound($"trace '{baseId}' is not in the store");
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        DotReportRenderer.Render(report, baseId, writer);
        return Results.Text(writer.ToString(), "text/vnd.graphviz; charset=utf-8");
    }

    /// <summary>One trace of <c>GET /api/v1/traces</c>, as <c>profiler trace list --json</c> writes it; null where the store keeps no summary.</summary>
    internal static Dictionary<string, object?> Row(TraceSummary t) => new()
    {
        ["base_id"] = t.BaseId,
        ["timestamp"] = t.Timestamp,
        ["duration_ms"] = t.DurationMs,
        ["root"] = t.Root,
        ["services"] = t.Services,
        ["operations"] = t.Operations,
        ["error"] = t.Error,
    };

    /// <summary>How many traces the request's search keeps; null for a store that cannot count (and no search asked).</summary>
    internal static async Task<long?> TotalAsync(IMediator mediator, ListRequest request, CancellationToken ct)
    {
        try
        {
            return await mediator.Send(new CountTracesQuery(request.Search, request.ErrorsOnly), ct);
        }
        catch (CapabilityNotSupportedException) when (request.Search.IsEmpty)
        {
            return null;
        }
    }

    /// <summary>A listing request: limit, cursor, errors-only and the search terms.</summary>
    internal sealed record ListRequest(int Limit, string? Cursor, bool ErrorsOnly)
    {
        /// <summary>The search (empty: every trace).</summary>
        public TraceSearchTerms Search { get; init; } = new();
    }

    /// <summary>Reads <c>limit</c>, <c>cursor</c> and <c>errors</c>; null with a message naming the bad one.</summary>
    internal static ListRequest? ParseListRequest(IQueryCollection query, WebShellOptions options, out string? problem)
    {
        problem = null;
        var limit = options.DefaultPageSize;
        if (query.TryGetValue("limit", out var l) && !string.IsNullOrEmpty(l))
        {
            if (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > options.MaxPageSize)
            {
                problem = $"limit '{TracePointRules.Show(l)}' is not a whole number from 1 to {options.MaxPageSize}";
                return null;
            }
        }
        var errors = false;
        if (query.TryGetValue("errors", out var e) && !string.IsNullOrEmpty(e))
        {
            if (!bool.TryParse(e, out errors) && !(e == "1" && (errors = true)) && !(e == "0"))
            {
                problem = $"errors '{TracePointRules.Show(e)}' is not true or false";
                return null;
            }
        }
        string? cursor = query.TryGetValue("cursor", out var c) && !string.IsNullOrEmpty(c) ? c.ToString() : null;
        string? Text(string key) => query.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.ToString().Trim() : null;
        string? Milliseconds(string key, ref string? problem)
        {
            var text = Text(key);
            if (text is null) return null;
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var ms) && ms <= 1e12)
                return text + "ms";
            problem ??= $"{key} '{TracePointRules.Show(text)}' is not a number of milliseconds: use e.g. 250 or 1.5";
            return null;
        }
        var min = Milliseconds("min_duration_ms", ref problem);
        var max = Milliseconds("max_duration_ms", ref problem);
        if (problem is not null) return null;
        return new ListRequest(limit, cursor, errors)
        {
            Search = new TraceSearchTerms(Text("service"), Text("project"), Text("host"), Text("name"), min, max, Text("since"), Text("until")),
        };
    }

    /// <summary>One page of traces; null when the store rejects the cursor.</summary>
    internal static async Task<TracePage?> FetchPageAsync(IMediator mediator, ListRequest request, CancellationToken ct)
    {
        try
        {
            return await mediator.Send(new ListTracesQuery(request.Limit, request.Cursor, ErrorsOnly: request.ErrorsOnly) { Search = request.Search }, ct);
        }
        catch (FormatException) when (request.Cursor is not null)
        {
            return null;
        }
    }

    /// <summary>Writes the report JSON straight into the response pipe.</summary>
    private sealed class ReportJsonResult(TraceReport report) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            await using (var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter,
                             new JsonWriterOptions { Indented = false, SkipValidation = true, MaxDepth = int.MaxValue }))
                ReportJson.Write(writer, report);
            await httpContext.Response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        }
    }
}
