using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Profiler.Application.Stores.CheckStore;

namespace Profiler.Hosting.Web;

/// <summary>
/// <c>GET /health</c>: 200 when the store answers within <see cref="WebShellOptions.HealthTimeout"/>, 503 (with
/// <c>Retry-After</c>) when it does not. Asks the <see cref="CheckStoreQuery"/> use case.
/// </summary>
internal static class HealthEndpoints
{
    public static void MapHealthApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/health", Check).WithName("Health");

    private static async Task<IResult> Check(HttpContext context, IMediator mediator, WebShellOptions options, SecretRedactor redactor,
        ILogger<WebShellOptions> logger)
    {
        var health = await mediator.Send(new CheckStoreQuery(options.HealthTimeout), context.RequestAborted);
        if (health.IsHealthy)
            return Results.Json(new Dictionary<string, string> { ["status"] = "ok" });
        var problem = health.Problem ?? "the store did not answer";
        WebLog.HealthCheckFailed(logger, redactor.Redact(problem));
        context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new Dictionary<string, string> { ["status"] = "unavailable", ["detail"] = redactor.Redact(problem) },
            statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
