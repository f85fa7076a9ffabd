using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Profiler.Application.Common;
using Profiler.Application.Stores.GetStoreStatistics;
using Profiler.Application.Traces.DeleteTraces;
using Profiler.Application.Traces.PinTrace;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary>
/// The data lifecycle API: <c>DELETE /api/v1/traces/{baseId}</c>, <c>PUT</c>/<c>DELETE /api/v1/traces/{baseId}/pin</c>
/// (all three require the ingest key when one is set, as <c>POST /api/v1/points</c>: 401 without it) and
/// <c>GET /api/v1/stats</c>. A store whose driver lacks the capability is answered 501 naming the driver.
/// </summary>
internal static class LifecycleEndpoints
{
    public static void MapLifecycleApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapDelete("/api/v1/traces/{baseId}", Delete).WithName("DeleteTrace");
        endpoints.MapPut("/api/v1/traces/{baseId}/pin", (string baseId, HttpContext c, IMediator m, WebShellOptions o) => Pin(baseId, true, c, m, o))
            .WithName("PinTrace");
        endpoints.MapDelete("/api/v1/traces/{baseId}/pin", (string baseId, HttpContext c, IMediator m, WebShellOptions o) => Pin(baseId, false, c, m, o))
            .WithName("UnpinTrace");
        endpoints.MapGet("/api/v1/stats", Stats).WithName("StoreStatistics");
    }

    private static async Task<IResult> Delete(string baseId, HttpContext context, IMediator mediator, WebShellOptions options)
    {
        if (KeyMissing(context, options, "DELETE /api/v1/traces/{id}") is { } unauthorized) return unauthorized;
        if (!TracePointRules.IsSafeId(baseId)) return Problems.BadRequest(TracePointRules.IdError("base id", baseId));
        var result = await mediator.Send(new DeleteTracesCommand([baseId], ReportMissing: true), context.RequestAborted);
        if (!result.Supported)
            return NotSupported(options, new CapabilityNotSupportedException("deleting traces", nameof(ITraceStoreCleanup)));
        if (result.Missing.Count > 0) return Problems.NotFound($"trace '{baseId}' is not in the store");
        return Results.NoContent();
    }

    private static async Task<IResult> Pin(string baseId, bool pinned, HttpContext context, IMediator mediator, WebShellOptions options)
    {
        if (KeyMissing(context, options, $"{(pinned ? "PUT" : "DELETE")} /api/v1/traces/{{id}}/pin") is { } unauthorized) return unauthorized;
        if (!TracePointRules.IsSafeId(baseId)) return Problems.BadRequest(TracePointRules.IdError("base id", baseId));
        var result = await mediator.Send(new PinTraceCommand(baseId, pinned), context.RequestAborted);
        if (!result.Found) return Problems.NotFound($"trace '{baseId}' is not in the store");
        return Results.Json(new Dictionary<string, object?> { ["base_id"] = baseId, ["pinned"] = pinned });
    }

    private static async Task<IResult> Stats(HttpContext context, IMediator mediator)
    {
        var stats = await mediator.Send(new GetStoreStatisticsQuery(), context.RequestAborted);
        return Results.Json(new Dictionary<string, object?>
        {
            ["traces"] = stats.Traces,
            ["points"] = stats.Points,
            ["oldest"] = stats.Oldest,
            ["newest"] = stats.Newest,
            ["bytes"] = stats.Bytes,
            ["pinned"] = stats.Pinned,
        });
    }

    /// <summary>401 when the server has an ingest key and the request does not carry it; null otherwise.</summary>
    private static IResult? KeyMissing(HttpContext context, WebShellOptions options, string route)
    {
        if (string.IsNullOrEmpty(options.IngestKey) || IngestEndpoints.HasIngestKey(context.Request, options.IngestKey)) return null;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"profiler\"";
        return Problems.Of(401, "Ingest key required",
            $"{route} needs the server's ingest key in the {IngestEndpoints.IngestKeyHeader} header or as Authorization: Bearer");
    }

    /// <summary>501 naming the driver (the connection string's scheme) and what it cannot do.</summary>
    internal static IResult NotSupported(WebShellOptions options, CapabilityNotSupportedException e) =>
        Problems.Of(501, "Not supported by the store's driver", e.Describe(DriverName(options)),
            new Dictionary<string, object?> { ["driver"] = DriverName(options), ["capability"] = e.Contract });

    internal static string DriverName(WebShellOptions options) =>
        Domain.ConnectionString.TryParse(options.ConnectionString, out var parsed, out _) && parsed is not null ? parsed.Scheme : "store's";
}
