using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using Profiler.Testing;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// Points a store refuses for good while it stores the rest (a Redis key of another type where a trace's list goes,
/// put there by something else), on a real redis-server: the ingest API answers 422 naming them (a client must not
/// retry), OTLP a partial success (exporters do not retry it), and the other traces are stored.
/// </summary>
public sealed class RefusedPointsTests : IDisposable
{
    private readonly RedisProcess _redis = new();

    public void Dispose() => _redis.Dispose();

    [Fact]
    public async Task Points_of_a_trace_whose_Redis_key_holds_another_type_are_a_422_naming_them_and_the_rest_is_stored()
    {
        _redis.Cli("SET", "osprofiler_opt:clash", "not a list");
        await using var server = await ShellServer.StartAsync(connectionString: _ => _redis.Url());

        using var response = await server.PostPointsAsync([.. Traces.Request("clash", Traces.Start), .. Traces.Request("fine", Traces.Start)]);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("'osprofiler_opt:clash'", (string)problem["detail"]!);
        Assert.Contains("the other 6 were stored", (string)problem["detail"]!);
        Assert.Equal([0, 1, 2, 3, 4, 5], problem["refused"]!.AsArray().Select(n => (int)n!));
        Assert.Equal(6, (int)problem["stored"]!);
        Assert.Equal("6", _redis.Cli("LLEN", "osprofiler_opt:fine").Trim());
        Assert.Equal("not a list", _redis.Cli("GET", "osprofiler_opt:clash").Trim());
    }

    [Fact]
    public async Task Spans_of_a_trace_whose_Redis_key_holds_another_type_are_an_OTLP_partial_success_and_the_rest_is_stored()
    {
        const string Clash = "0af7651916cd43dd8448eb211c80319c", Fine = "1af7651916cd43dd8448eb211c80319c";
        _redis.Cli("SET", "osprofiler_opt:0af76519-16cd-43dd-8448-eb211c80319c", "not a list");
        await using var server = await ShellServer.StartAsync(connectionString: _ => _redis.Url());
        var spans = new ScopeSpans();
        foreach (var (trace, span) in new[] { (Clash, 1UL), (Clash, 2UL), (Fine, 3UL) })
        {
            var at = (ulong)(Traces.Start - DateTime.UnixEpoch).Ticks * 100;
            spans.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(Convert.FromHexString(trace)),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes(span).Reverse().ToArray()),
                Name = "db", StartTimeUnixNano = at, EndTimeUnixNano = at + 500,
            });
        }
        var content = new ByteArrayContent(new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { spans } } } }.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var response = await server.Client.PostAsync("v1/traces", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, answer.PartialSuccess.RejectedSpans);
        Assert.Contains("2 span(s) refused by the store", answer.PartialSuccess.ErrorMessage);
        Assert.Equal("list", _redis.Cli("TYPE", "osprofiler_opt:1af76519-16cd-43dd-8448-eb211c80319c").Trim());
        Assert.Equal("2", _redis.Cli("LLEN", "osprofiler_opt:1af76519-16cd-43dd-8448-eb211c80319c").Trim());
    }
}
