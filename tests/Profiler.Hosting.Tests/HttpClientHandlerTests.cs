using System.Net;
using Profiler.Instrumentation;

namespace Profiler.Hosting.Tests;

public sealed class HttpClientHandlerTests
{
    private sealed class Capture : HttpMessageHandler
    {
        public HttpRequestMessage? Request;
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            if (request.RequestUri!.AbsolutePath == "/fail") throw new HttpRequestException("connection refused");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Accepted));
        }
    }

    private sealed class Sink : ITraceEventSink
    {
        public readonly List<TraceEvent> Events = [];
        public bool TryWrite(in TraceEvent e) { lock (Events) Events.Add(e); return true; }
    }

    [Fact]
    public async Task Inside_a_trace_calls_get_verifiable_headers_and_are_traced_as_http_client()
    {
        var capture = new Capture();
        using var client = new HttpClient(new ProfilerHttpMessageHandler { InnerHandler = capture });
        var sink = new Sink();
        var profiler = new TraceProfiler("k1", sink, "base-1");
        using (profiler.Trace("wsgi"))
        {
            var response = await client.GetAsync("http://user:pw@example.test:8080/v2/servers?limit=1");
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("http://example.test/fail"));
        }
        var info = capture.Request!.Headers.GetValues(TraceHeaders.InfoHeader).Single();
        var hmac = capture.Request.Headers.GetValues(TraceHeaders.HmacHeader).Single();
        Assert.True(TraceHeaders.TryVerify(info, hmac, ["k1"], out var continuation));
        Assert.Equal("base-1", continuation!.BaseId);

        var points = sink.Events.Select(e => e.ToTracePoint()).ToList();
        var starts = points.Where(p => p.Name == "http_client-start").ToList();
        Assert.Equal(2, starts.Count);
        var first = starts[0];
        Assert.Equal(points.First(p => p.Name == "wsgi-start").TraceId, first.ParentId);
        Assert.Equal("GET", first.Info!["requests"]!["method"]!.GetValue<string>());
        Assert.Equal("http://example.test:8080/v2/servers?limit=1", first.Info!["requests"]!["url"]!.GetValue<string>());
        Assert.Equal("/v2/servers?limit=1", first.Info!["requests"]!["path"]!.GetValue<string>());
        var stops = points.Where(p => p.Name == "http_client-stop").ToList();
        Assert.Equal(202, stops[0].Info!["requests"]!["status_code"]!.GetValue<int>());
        Assert.Equal("System.Net.Http.HttpRequestException", stops[1].ErrorType);
        Assert.Equal(starts[1].TraceId, continuation.ParentId); // the last call's headers name its http_client operation
    }

    [Fact]
    public async Task Outside_a_trace_calls_pass_untouched()
    {
        var capture = new Capture();
        using var client = new HttpClient(new ProfilerHttpMessageHandler { InnerHandler = capture });
        await client.GetAsync("http://example.test/x");
        Assert.False(capture.Request!.Headers.Contains(TraceHeaders.InfoHeader));
    }

    [Fact]
    public async Task A_call_from_a_traced_request_to_a_traced_service_nests_the_remote_request_under_http_client()
    {
        await using var app = await TracedApp.StartAsync();
        var baseId = Guid.NewGuid().ToString();
        var response = await app.GetAsync("/call", TraceHeaders.Create(TracedApp.Key, baseId));
        Assert.Equal("downstream said 200", await response.Content.ReadAsStringAsync());
        await app.FlushAsync();

        var points = await app.PointsAsync(baseId);
        var wsgis = points.Where(p => Json.S(p, "name") == "wsgi-start").ToList();
        Assert.Equal(2, wsgis.Count);
        var outer = Assert.Single(wsgis, w => Json.S(w, "info.request.path") == "/call");
        var inner = Assert.Single(wsgis, w => Json.S(w, "info.request.path") == "/hello");
        var call = points.Named("http_client-start");
        Assert.Equal(Json.S(outer, "trace_id"), Json.S(call, "parent_id"));
        Assert.Equal(Json.S(call, "trace_id"), Json.S(inner, "parent_id"));
        Assert.Equal("from=call", Json.S(inner, "info.request.query"));
        Assert.Equal("200", Json.S(points.Named("http_client-stop"), "info.requests.status_code"));
        Assert.Equal(8, points.Count); // wsgi, http_client, the remote wsgi and its inner scope
    }
}
