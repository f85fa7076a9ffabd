using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using Profiler.Domain;
using Profiler.Domain.Reports;

namespace Profiler.Otlp.Tests;

/// <summary>Span trees made up for the tests, and the report a list of points makes.</summary>
public static class Spans
{
    public static readonly DateTime Start = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    public static ulong Nanos(DateTime at, long extraNanos = 0) => (ulong)(at - DateTime.UnixEpoch).Ticks * 100 + (ulong)extraNanos;

    public static ByteString Id(string hex) => ByteString.CopyFrom(Convert.FromHexString(hex));

    public static Span Span(string traceId, string spanId, string? parent, string name, DateTime start, DateTime end,
        params (string Key, AnyValue Value)[] attributes)
    {
        var span = new Span
        {
            TraceId = Id(traceId), SpanId = Id(spanId), Name = name, Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Internal,
            StartTimeUnixNano = Nanos(start, 789), EndTimeUnixNano = Nanos(end, 123),
        };
        if (parent is not null) span.ParentSpanId = Id(parent);
        foreach (var (k, v) in attributes) span.Attributes.Add(new KeyValue { Key = k, Value = v });
        return span;
    }

    public static AnyValue Str(string s) => new() { StringValue = s };

    /// <summary>
    /// A checkout request (server span) with a db call, a failing cache call and an rpc that has a child of its own;
    /// times have sub-millisecond parts (microseconds and nanoseconds).
    /// </summary>
    public static TracesData Checkout(string traceId = "5b8efff798038103d269b633813fc60c")
    {
        var root = Span(traceId, "1000000000000001", null, "GET /checkout", Start, Start.AddMilliseconds(100.25),
            ("http.method", Str("GET")), ("http.status_code", new AnyValue { IntValue = 200 }));
        root.Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server;
        var db = Span(traceId, "1000000000000002", "1000000000000001", "db", Start.AddMilliseconds(10.001), Start.AddMilliseconds(30.502),
            ("db.statement", Str("SELECT * FROM carts WHERE id = ?")),
            ("db.params", new AnyValue { ArrayValue = new ArrayValue { Values = { Str("42"), new AnyValue { DoubleValue = 1.5 } } } }));
        var cache = Span(traceId, "1000000000000003", "1000000000000001", "cache", Start.AddMilliseconds(40.007), Start.AddMilliseconds(41.5));
        cache.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "cache down" };
        var exception = new Span.Types.Event { Name = "exception", TimeUnixNano = cache.EndTimeUnixNano };
        exception.Attributes.Add(new KeyValue { Key = "exception.type", Value = Str("ConnectionError") });
        exception.Attributes.Add(new KeyValue { Key = "exception.message", Value = Str("cache down") });
        cache.Events.Add(exception);
        var rpc = Span(traceId, "1000000000000004", "1000000000000001", "rpc", Start.AddMilliseconds(50.3), Start.AddMilliseconds(90.9));
        rpc.Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client;
        var inner = Span(traceId, "1000000000000005", "1000000000000004", "compute", Start.AddMilliseconds(60), Start.AddMilliseconds(80));

        var web = new ResourceSpans { Resource = Resource("shop", "web", "node-1") };
        web.ScopeSpans.Add(new ScopeSpans { Scope = new InstrumentationScope { Name = "test" }, Spans = { root, db, cache, rpc } });
        var backend = new ResourceSpans { Resource = Resource("shop", "compute", "node-2") };
        backend.ScopeSpans.Add(new ScopeSpans { Spans = { inner } });
        return new TracesData { ResourceSpans = { web, backend } };
    }

    public static Resource Resource(string? project, string service, string? host)
    {
        var r = new Resource();
        r.Attributes.Add(new KeyValue { Key = "service.name", Value = Str(service) });
        if (project is not null) r.Attributes.Add(new KeyValue { Key = "service.namespace", Value = Str(project) });
        if (host is not null) r.Attributes.Add(new KeyValue { Key = "host.name", Value = Str(host) });
        return r;
    }

    /// <summary>The report tree of <see cref="Checkout"/> as (depth, name, started ms, finished ms, exception, service, host) lines.</summary>
    public static readonly string[] CheckoutTree =
    [
        "0 GET /checkout 0..100 None shop/web@node-1",
        "1 db 10..30 None shop/web@node-1",
        "1 cache 40..41 ConnectionError shop/web@node-1",
        "1 rpc 50..90 None shop/web@node-1",
        "2 compute 60..80 None shop/compute@node-2",
    ];

    public static JsonNodeReport Report(IEnumerable<TracePoint> points)
    {
        var builder = new ReportBuilder();
        foreach (var p in points) builder.Add(StoredPoint.FromDocument(TracePointJson.ToUtf8(p)));
        return new JsonNodeReport(System.Text.Json.Nodes.JsonNode.Parse(ReportJson.ToJson(builder.Build()))!);
    }
}

/// <summary>A report as JSON, flattened to one line a node for comparisons.</summary>
public sealed record JsonNodeReport(System.Text.Json.Nodes.JsonNode Json)
{
    public static List<string> Tree(System.Text.Json.Nodes.JsonNode report)
    {
        var lines = new List<string>();
        Walk(report, -1, lines);
        return lines;

        static void Walk(System.Text.Json.Nodes.JsonNode node, int depth, List<string> lines)
        {
            if (depth >= 0)
            {
                var info = node["info"]!;
                lines.Add($"{depth} {(string)info["name"]!} {(long)info["started"]!}..{(long)info["finished"]!} {(string?)info["exception"]} " +
                          $"{(string?)info["project"]}/{(string?)info["service"]}@{(string?)info["host"]}");
            }
            foreach (var child in node["children"]!.AsArray()) Walk(child!, depth + 1, lines);
        }
    }

    public List<string> Tree() => Tree(Json);
}
