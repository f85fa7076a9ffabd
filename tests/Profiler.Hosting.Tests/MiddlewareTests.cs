using System.Net;
using Profiler.Instrumentation;
using Profiler.Testing;

namespace Profiler.Hosting.Tests;

public sealed class MiddlewareTests
{
    [Fact]
    public async Task A_request_with_a_valid_signed_header_continues_the_trace_under_the_given_base_id()
    {
        await using var app = await TracedApp.StartAsync();
        var baseId = Guid.NewGuid().ToString();
        var parentId = Guid.NewGuid().ToString();
        var response = await app.GetAsync("/hello?a=1&b=2", TraceHeaders.Create(TracedApp.Key, baseId, parentId));
        Assert.Equal("hi", await response.Content.ReadAsStringAsync());
        await app.FlushAsync();

        var points = await app.PointsAsync(baseId);
        Assert.Equal(["inner-start", "inner-stop", "wsgi-start", "wsgi-stop"], points.Select(p => Json.S(p, "name")).Order());
        var wsgi = points.Named("wsgi-start");
        Assert.Equal(parentId, Json.S(wsgi, "parent_id"));
        Assert.Equal("/hello", Json.S(wsgi, "info.request.path"));
        Assert.Equal("a=1&b=2", Json.S(wsgi, "info.request.query"));
        Assert.Equal("GET", Json.S(wsgi, "info.request.method"));
        Assert.Equal("http", Json.S(wsgi, "info.request.scheme"));
        Assert.Equal("dotnet-node", Json.S(wsgi, "info.host"));
        Assert.Equal("demo", Json.S(wsgi, "project"));
        Assert.Equal("web", Json.S(wsgi, "service"));
        Assert.Equal(Json.S(wsgi, "trace_id"), Json.S(points.Named("inner-start"), "parent_id"));
        Assert.Equal(Json.S(wsgi, "trace_id"), Json.S(points.Named("wsgi-stop"), "trace_id"));
    }

    [Theory]
    [InlineData("wrong-hmac")]
    [InlineData("unknown-key")]
    [InlineData("no-header")]
    public async Task A_request_without_a_valid_signature_is_served_untraced(string variant)
    {
        await using var app = await TracedApp.StartAsync();
        var baseId = Guid.NewGuid().ToString();
        var headers = TraceHeaders.Create(variant == "unknown-key" ? "not-configured" : TracedApp.Key, baseId);
        var response = variant switch
        {
            "wrong-hmac" => await app.GetAsync("/hello", headers, hmac: TraceHeaders.Sign(headers.Info, "guess")),
            "no-header" => await app.GetAsync("/hello"),
            _ => await app.GetAsync("/hello", headers),
        };
        Assert.Equal("hi", await response.Content.ReadAsStringAsync());
        await app.FlushAsync();
        Assert.Empty(await app.PointsAsync(baseId));
        Assert.Equal(0, app.Services.GetRequiredServiceOf<TraceNotifier>().SentCount);
    }

    [Theory]
    [InlineData("no-headers", "no X-Trace-Info header")]
    [InlineData("no-hmac", "missing X-Trace-HMAC header")]
    [InlineData("wrong-hmac", "bad signature: X-Trace-HMAC matches none of the configured hmac_keys")]
    [InlineData("malformed-info", "malformed X-Trace-Info: ")]
    public async Task A_refused_header_is_logged_at_debug_with_the_reason_and_never_the_key(string variant, string reason)
    {
        var logs = new LogCapture();
        await using var app = await TracedApp.StartAsync(logs: logs);
        var baseId = Guid.NewGuid().ToString();
        var headers = TraceHeaders.Create(TracedApp.Key, baseId);
        // Signed with the right key, but not a {"base_id", "parent_id"} object.
        const string notAnObject = "WzEsIDJd";
        using var request = new HttpRequestMessage(HttpMethod.Get, app.Url + "/hello");
        if (variant != "no-headers") request.Headers.Add(TraceHeaders.InfoHeader, variant == "malformed-info" ? notAnObject : headers.Info);
        if (variant == "wrong-hmac") request.Headers.Add(TraceHeaders.HmacHeader, TraceHeaders.Sign(headers.Info, "guess"));
        if (variant == "malformed-info") request.Headers.Add(TraceHeaders.HmacHeader, TraceHeaders.Sign(notAnObject, TracedApp.Key));

        var response = await app.Client.SendAsync(request);

        Assert.Equal("hi", await response.Content.ReadAsStringAsync());
        var line = Assert.Single(logs.Lines, l => l.Contains("served untraced", StringComparison.Ordinal));
        Assert.StartsWith($"Debug Profiler.AspNetCore.ProfilerMiddleware: Profiler: GET /hello served untraced: {reason}", line, StringComparison.Ordinal);
        Assert.DoesNotContain(TracedApp.Key, logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("other-key", logs.All, StringComparison.Ordinal);
        await app.FlushAsync();
        Assert.Empty(await app.PointsAsync(baseId));
    }

    [Fact]
    public async Task A_traced_request_logs_no_refusal()
    {
        var logs = new LogCapture();
        await using var app = await TracedApp.StartAsync(logs: logs);

        var response = await app.GetAsync("/hello", TraceHeaders.Create(TracedApp.Key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("served untraced", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_disabled_middleware_traces_nothing_even_with_a_valid_header()
    {
        await using var app = await TracedApp.StartAsync(enabled: false);
        var baseId = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/hello", TraceHeaders.Create(TracedApp.Key, baseId))).StatusCode);
        await app.FlushAsync();
        Assert.Empty(await app.PointsAsync(baseId));
    }

    [Fact]
    public async Task An_exception_leaving_the_pipeline_is_recorded_on_the_wsgi_stop_point()
    {
        await using var app = await TracedApp.StartAsync();
        var baseId = Guid.NewGuid().ToString();
        var response = await app.GetAsync("/boom", TraceHeaders.Create(TracedApp.Key, baseId));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        await app.FlushAsync();
        var stop = (await app.PointsAsync(baseId)).Named("wsgi-stop");
        Assert.Equal("System.InvalidOperationException", Json.S(stop, "info.etype"));
        Assert.Equal("kaboom", Json.S(stop, "info.message"));
    }

    [Fact]
    public async Task Buffered_points_are_flushed_when_the_host_stops()
    {
        await using var app = await TracedApp.StartAsync();
        var baseId = Guid.NewGuid().ToString();
        await app.GetAsync("/hello", TraceHeaders.Create(TracedApp.Key, baseId));
        await app.StopAsync();
        Assert.Equal(4, (await app.PointsAsync(baseId)).Count);
    }
}

internal static class ServiceProviderExtensions
{
    public static T GetRequiredServiceOf<T>(this IServiceProvider services) where T : notnull =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<T>(services);
}
