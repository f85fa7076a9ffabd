using System.Text.Json.Nodes;

namespace Profiler.Instrumentation;

/// <summary>
/// An HttpClient handler (add it with <c>AddProfilerHandler()</c> on an <c>IHttpClientBuilder</c>) that, inside a trace
/// (an ambient <see cref="TraceProfiler"/>), traces each outgoing call as <c>http_client</c> with OSProfiler's
/// <c>requests</c> info (<c>{"requests": {"method", "url", "path"}}</c> on start, <c>{"requests": {"status_code"}}</c>
/// on stop; the URL without user info) and, when the profiler has an HMAC key, adds signed
/// <c>X-Trace-Info</c>/<c>X-Trace-HMAC</c> headers whose parent is the <c>http_client</c> operation, so the called
/// service's points nest under it. Outside a trace it does nothing.
/// </summary>
public sealed class ProfilerHttpMessageHandler : DelegatingHandler
{
    /// <summary>The point name OSProfiler's <c>requests</c> integration uses.</summary>
    public const string PointName = "http_client";

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (TraceProfiler.Current is not { } profiler) return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

        var uri = request.RequestUri;
        var info = new JsonObject
        {
            ["requests"] = new JsonObject
            {
                ["method"] = request.Method.Method,
                ["url"] = uri is null ? null : uri.IsAbsoluteUri ? uri.GetComponents(UriComponents.HttpRequestUrl, UriFormat.UriEscaped) : uri.ToString(),
                ["path"] = uri is null ? null : uri.IsAbsoluteUri ? uri.PathAndQuery : uri.OriginalString,
            },
        };
        using var scope = profiler.TraceLeaf(PointName, info);
        request.Headers.Remove(TraceHeaders.InfoHeader);
        request.Headers.Remove(TraceHeaders.HmacHeader);
        if (profiler.HmacKey is { } key)
        {
            var headers = TraceHeaders.Create(key, profiler.BaseId, scope.TraceId);
            request.Headers.TryAddWithoutValidation(TraceHeaders.InfoHeader, headers.Info);
            request.Headers.TryAddWithoutValidation(TraceHeaders.HmacHeader, headers.Hmac);
        }
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            scope.StopInfo["requests"] = new JsonObject { ["status_code"] = (int)response.StatusCode };
            return response;
        }
        catch (Exception e) when (scope.Fail(e))
        {
            throw;
        }
    }
}
