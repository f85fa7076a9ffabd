using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Profiler.Instrumentation;

namespace Profiler.AspNetCore;

/// <summary>
/// OSProfiler's WSGI middleware for ASP.NET Core: a request whose <c>X-Trace-Info</c>/<c>X-Trace-HMAC</c> headers
/// verify against one of <see cref="ProfilerOptions.HmacKeys"/> continues that trace: the request runs in a
/// <c>wsgi</c> scope whose info is <c>{"request": {"path", "query", "method", "scheme"}}</c>, with a profiler
/// ambient for the code that serves it (so <see cref="Tracing"/>, the HttpClient handler and the EF interceptor
/// join the trace). Any other request, or every request when <see cref="ProfilerOptions.Enabled"/> is false, is
/// served untraced; when profiling is enabled, such a request is logged at Debug with the reason (no
/// <c>X-Trace-Info</c>, no <c>X-Trace-HMAC</c>, a signature no configured key made, a malformed info), never with a
/// key or the header values. An exception leaving the pipeline is recorded on <c>wsgi-stop</c> and rethrown.
/// </summary>
public sealed class ProfilerMiddleware(RequestDelegate next, IOptions<ProfilerOptions> profilerOptions, ITraceEventSink sink,
    ILogger<ProfilerMiddleware> logger)
{
    private readonly ProfilerOptions _options = profilerOptions.Value;

    /// <summary>The point name OSProfiler's middleware uses.</summary>
    public const string PointName = "wsgi";

    /// <summary>Serves one request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        if (!_options.Enabled || _options.HmacKeys.Count == 0) return next(context);
        var headers = context.Request.Headers;
        var check = TraceHeaders.Check(headers[TraceHeaders.InfoHeader].ToString(), headers[TraceHeaders.HmacHeader].ToString(),
            _options.HmacKeys, out var continuation);
        if (check == TraceHeaderCheck.Valid) return TracedAsync(context, continuation!);
        if (logger.IsEnabled(LogLevel.Debug))
            Log.Untraced(logger, context.Request.Method, (context.Request.PathBase + context.Request.Path).ToString(), Reason(check));
        return next(context);
    }

    private static string Reason(TraceHeaderCheck check) => check switch
    {
        TraceHeaderCheck.MissingInfo => $"no {TraceHeaders.InfoHeader} header",
        TraceHeaderCheck.MissingHmac => $"missing {TraceHeaders.HmacHeader} header",
        TraceHeaderCheck.BadSignature => $"bad signature: {TraceHeaders.HmacHeader} matches none of the configured hmac_keys",
        TraceHeaderCheck.MalformedInfo => $"malformed {TraceHeaders.InfoHeader}: not URL-safe base64 of {{\"base_id\", \"parent_id\"}} with valid ids",
        _ => check.ToString(),
    };

    private async Task TracedAsync(HttpContext context, TraceContinuation continuation)
    {
        var profiler = new TraceProfiler(continuation.HmacKey, sink, continuation.BaseId, continuation.ParentId, _options.Host);
        var request = context.Request;
        var info = new JsonObject
        {
            ["request"] = new JsonObject
            {
                ["path"] = (request.PathBase + request.Path).ToString(),
                ["query"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
                ["method"] = request.Method,
                ["scheme"] = request.Scheme,
            },
        };
        using var scope = profiler.Trace(PointName, info);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (scope.Fail(e))
        {
            throw;
        }
    }
}
