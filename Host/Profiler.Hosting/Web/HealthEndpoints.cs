using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Profiler.Storage;

namespace Profiler.Hosting.Web;

/// <summary><c>GET /health</c>: 200 when the store answers, 503 (with <c>Retry-After</c>) when it does not.</summary>
internal static class HealthEndpoints
{
    /// <summary>A base id no trace has: reading it touches the store through its index and returns nothing.</summary>
    private const string ProbeId = "profiler-health-probe";

    public static void MapHealthApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/health", Check).WithName("Health");

    private static async Task<IResult> Check(HttpContext context, ITraceStore store, WebShellOptions options, SecretRedactor redactor, ILogger<WebShellOptions> logger)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.HealthTimeout);
        string? problem = null;
        try
        {
            await foreach (var _ in store.ReadTraceAsync(ProbeId, timeout.Token)) break;
        }
        catch (TraceStoreException e)
        {
            problem = e.Message;
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            problem = $"the store did not answer within {options.HealthTimeout.TotalSeconds:0.#} s";
        }
        if (problem is null)
            return Results.Json(new Dictionary<string, string> { ["status"] = "ok" });
        logger.LogWarning("Health check: trace store unavailable: {Problem}", redactor.Redact(problem));
        context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new Dictionary<string, string> { ["status"] = "unavailable", ["detail"] = problem },
            statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
