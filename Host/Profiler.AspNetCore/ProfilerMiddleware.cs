using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Profiler.Instrumentation;

namespace Profiler.AspNetCore;

/// <summary>
/// OSProfiler's WSGI middleware for ASP.NET Core: a request whose <c>X-Trace-Info</c>/<c>X-Trace-HMAC</c> headers
/// verify against one of <see cref="ProfilerOptions.HmacKeys"/> continues that trace: the request runs in a
/// <c>wsgi</c> scope whose info is <c>{"request": {"path", "query", "method", "scheme"}}</c>, with a profiler
/// ambient for the code that serves it (so <see cref="Tracing"/>, the HttpClient handler and the EF interceptor
/// join the trace). Any other request, or every request when <see cref="ProfilerOptions.Enabled"/> is false, is
/// served untraced. An exception leaving the pipeline is recorded on <c>wsgi-stop</c> and rethrown.
/// </summary>
public sealed class ProfilerMiddleware(RequestDelegate next, IOptions<ProfilerOptions> profilerOptions, ITraceEventSink sink)
{
    private readonly ProfilerOptions _options = profilerOptions.Value;

    /// <summary>The point name OSProfiler's middleware uses.</summary>
    public const string PointName = "wsgi";

    /// <summary>Serves one request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        if (!_options.Enabled || _options.HmacKeys.Count == 0) return next(context);
        var headers = context.Request.Headers;
        if (!headers.TryGetValue(TraceHeaders.InfoHeader, out var info) || !headers.TryGetValue(TraceHeaders.HmacHeader, out var hmac)
            || !TraceHeaders.TryVerify(info.ToString(), hmac.ToString(), _options.HmacKeys, out var continuation))
            return next(context);
        return TracedAsync(context, continuation!);
    }

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
