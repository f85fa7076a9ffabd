using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using Profiler.Domain;
using Profiler.Hosting.Web;

namespace Profiler.Cli.Commands.Bench;

/// <summary>
/// <c>bench otlp</c>: the web shell started in this process on a loopback port over the store, then the same number
/// of points posted twice from <c>--concurrency</c> clients in bodies of <c>--batch-size</c> points: as JSON arrays to
/// <c>POST /api/v1/points</c>, and as OTLP/HTTP protobuf spans (two points a span) to <c>POST /v1/traces</c>. Bodies
/// are made before timing, so the figures are the server's: parsing, mapping, checking and storing.
/// </summary>
internal sealed class OtlpBench : IBench
{
    public string Name => "otlp";
    public string Description => "Compare OTLP/HTTP protobuf ingest (POST /v1/traces) with POST /api/v1/points through the web shell on the same store";
    public bool HasWarmup => true;

    public async Task<BenchFigures> RunAsync(CliContext context, BenchSettings s, string prefix, CancellationToken ct)
    {
        var options = new WebShellOptions
        {
            ConnectionString = context.ConnectionString, PluginFolders = context.Catalog.Folders, Urls = "http://127.0.0.1:0",
            MaxBodyBytes = 256L * 1024 * 1024,
        };
        await using var app = WebShell.Build(options, configure: b => b.Logging.ClearProviders());
        await app.StartAsync(ct);
        var url = app.ListeningUrls()[0].TrimEnd('/');
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = s.Concurrency }) { Timeout = TimeSpan.FromMinutes(10) };

        var apiPrefix = prefix + "-api";
        var pointsBodies = PointBodies(BenchPoints.Make(apiPrefix, s.Points, s.Traces, s.PayloadBytes), s.BatchSize);
        var (otlpBodies, otlpIds) = SpanBodies(prefix + "-otlp", s.Points, s.Traces, s.PayloadBytes, s.BatchSize);
        if (s.Warmup > 0)
        {
            await PostAllAsync(http, url + "/api/v1/points", "application/json", PointBodies(BenchPoints.Make(prefix + "-warmup-api", s.Warmup, s.Traces, s.PayloadBytes), s.BatchSize), s, ct);
            var (warm, warmIds) = SpanBodies(prefix + "-warmup-otlp", s.Warmup, s.Traces, s.PayloadBytes, s.BatchSize);
            await PostAllAsync(http, url + "/v1/traces", "application/x-protobuf", warm, s, ct);
            otlpIds.AddRange(warmIds);
        }
        var api = await PostAllAsync(http, url + "/api/v1/points", "application/json", pointsBodies, s, ct);
        var otlp = await PostAllAsync(http, url + "/v1/traces", "application/x-protobuf", otlpBodies, s, ct);
        await app.StopAsync(ct);

        var apiRate = s.Points / api.Seconds;
        var otlpRate = s.Points / otlp.Seconds;
        var figures = new BenchFigures(s.Points, otlp.Seconds, otlp.Latencies,
            [.. BenchPoints.TraceIds(apiPrefix, BenchPoints.TracesOf(s.Points, s.Traces)),
                .. s.Warmup > 0 ? BenchPoints.TraceIds(prefix + "-warmup-api", BenchPoints.TracesOf(s.Warmup, s.Traces)) : [],
                .. otlpIds])
        {
            Extra = new JsonObject
            {
                ["api_points_per_second"] = Math.Round(apiRate),
                ["api_p50_ms"] = Math.Round(BenchPrinter.Percentile(api.Latencies, 0.5), 3),
                ["otlp_points_per_second"] = Math.Round(otlpRate),
                ["otlp_to_api_ratio"] = Math.Round(otlpRate / apiRate, 3),
                ["warmup_points"] = s.Warmup,
            },
        };
        if (!s.Json)
            Console.WriteLine($"POST /api/v1/points: {apiRate:F0} points/s; POST /v1/traces (OTLP protobuf): {otlpRate:F0} points/s; ratio {otlpRate / apiRate:F2}");
        return figures;
    }

    private static List<byte[]> PointBodies(List<TracePoint> points, int batchSize) =>
        points.Chunk(batchSize).Select(batch =>
        {
            using var stream = new MemoryStream();
            using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
            {
                writer.WriteStartArray();
                foreach (var p in batch) TracePointJson.Write(writer, p);
                writer.WriteEndArray();
            }
            return stream.ToArray();
        }).ToList();

    /// <summary>
    /// OTLP requests as an OpenTelemetry SDK sends them: UUID-shaped trace ids, random span ids, one resource; the
    /// same payload as the points. The base ids (UUID texts) of the traces come back for cleanup.
    /// </summary>
    private static (List<byte[]> Bodies, List<string> BaseIds) SpanBodies(string prefix, int points, int traces, int payloadBytes, int batchSize)
    {
        var traceCount = BenchPoints.TracesOf(points, traces);
        var traceIds = Enumerable.Range(0, traceCount)
            .Select(t => ByteString.CopyFrom(SHA256.HashData(Encoding.UTF8.GetBytes($"{prefix}-{t}")).AsSpan(0, 16))).ToArray();
        var resource = new OpenTelemetry.Proto.Resource.V1.Resource();
        foreach (var (k, v) in new[] { ("service.name", "bench"), ("service.namespace", "bench"), ("host.name", "bench") })
            resource.Attributes.Add(new KeyValue { Key = k, Value = new AnyValue { StringValue = v } });
        var payload = payloadBytes > 0 ? new KeyValue { Key = "payload", Value = new AnyValue { StringValue = new string('x', payloadBytes) } } : null;
        var at = (ulong)(DateTime.UtcNow.AddMinutes(-1) - DateTime.UnixEpoch).Ticks * 100;
        var spanId = new byte[8];
        var bodies = new List<byte[]>();
        var spans = (points + 1) / 2;
        var perBody = Math.Max(1, batchSize / 2);
        for (var first = 0; first < spans; first += perBody)
        {
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "bench" } };
            for (var i = first; i < Math.Min(spans, first + perBody); i++)
            {
                RandomNumberGenerator.Fill(spanId);
                var span = new Span
                {
                    TraceId = traceIds[i % traceCount], SpanId = ByteString.CopyFrom(spanId), Name = "db", Kind = Span.Types.SpanKind.Internal,
                    StartTimeUnixNano = at + (ulong)i * 2000, EndTimeUnixNano = at + (ulong)i * 2000 + 1000,
                };
                if (payload is not null) span.Attributes.Add(payload);
                scope.Spans.Add(span);
            }
            var request = new ExportTraceServiceRequest();
            request.ResourceSpans.Add(new ResourceSpans { Resource = resource, ScopeSpans = { scope } });
            bodies.Add(request.ToByteArray());
        }
        return (bodies, traceIds.Select(id => new Guid(id.Span, bigEndian: true).ToString()).ToList());
    }

    private static async Task<(double Seconds, List<double> Latencies)> PostAllAsync(HttpClient http, string url, string contentType,
        List<byte[]> bodies, BenchSettings s, CancellationToken ct)
    {
        var latencies = new double[bodies.Count];
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, s.Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Count)
            {
                var t = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
                using var response = await http.PostAsync(url, content, ct);
                if (!response.IsSuccessStatusCode)
                    throw new CliException($"POST {url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}", ExitCodes.Store);
                latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            }
        }, ct)));
        return (watch.Elapsed.TotalSeconds, [.. latencies]);
    }
}
