using System.Text.Json.Nodes;
using OpenTelemetry.Proto.Trace.V1;
using Profiler.Domain;

namespace Profiler.Otlp.Tests;

public sealed class MappingTests
{
    [Fact]
    public void A_span_tree_becomes_points_whose_report_is_the_same_tree()
    {
        var mapped = OtlpMapping.ToPoints(Spans.Checkout().ResourceSpans);

        Assert.Empty(mapped.Rejected);
        Assert.Equal(5, mapped.SpanCount);
        Assert.Equal(10, mapped.Points.Count);
        Assert.Equal(Spans.CheckoutTree, Spans.Report(mapped.Points).Tree());
    }

    [Fact]
    public void Each_field_of_a_span_lands_where_the_mapping_says()
    {
        var points = OtlpMapping.ToPoints(Spans.Checkout().ResourceSpans).Points;

        var dbStart = points.Single(p => p.Name == "db-start");
        Assert.Equal("5b8efff7-9803-8103-d269-b633813fc60c", dbStart.BaseId);
        Assert.Equal("1000000000000002", dbStart.TraceId);
        Assert.Equal("1000000000000001", dbStart.ParentId);
        Assert.Equal("2026-03-01T12:00:00.010001", dbStart.Timestamp);   // nanoseconds cut, microseconds kept
        Assert.Equal("2026-03-01T12:00:00.030502", points.Single(p => p.Name == "db-stop").Timestamp);
        Assert.Equal(("shop", "web", "node-1"), (dbStart.Project, dbStart.Service, dbStart.Host));
        Assert.Equal("SELECT * FROM carts WHERE id = ?", (string)dbStart.Info!["db.statement"]!);
        Assert.True(JsonNode.DeepEquals(new JsonArray("42", 1.5), dbStart.Info["db.params"]));

        var root = points.Single(p => p.Name == "GET /checkout-start");
        Assert.Equal(root.BaseId, root.ParentId);
        Assert.Equal("server", (string)root.Info!["span.kind"]!);
        Assert.Equal(200, (long)root.Info["http.status_code"]!);

        var cacheStop = points.Single(p => p.Name == "cache-stop");
        Assert.Equal("ConnectionError", (string)cacheStop.Info!["etype"]!);
        Assert.Equal("cache down", (string)cacheStop.Info["message"]!);
        Assert.Null(points.Single(p => p.Name == "db-stop").Info!["etype"]);
    }

    public static TheoryData<string, string> FixtureShapes()
    {
        var data = new TheoryData<string, string>();
        foreach (var (shape, backend) in Profiler.Testing.Fixtures.All()) data.Add(shape, backend);
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureShapes))]
    public void OSProfilers_own_points_become_spans_and_come_back_as_the_same_points(string shape, string backend)
    {
        var fixture = FixtureTrace.Load(shape, backend);

        var spans = OtlpMapping.ToTracesData(fixture.Points);
        var back = OtlpMapping.ToPoints(spans.ResourceSpans).Points;

        Assert.Equal(fixture.Points.Count, back.Count);
        Assert.Equal(Normalised(fixture.Points), Normalised(back));
        // OSProfiler's UUIDs are kept: the base id is the trace id itself, the others travel as attributes.
        Assert.Equal(fixture.BaseId.Replace("-", "", StringComparison.Ordinal), Convert.ToHexStringLower(spans.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId.Span));
    }

    [Fact]
    public void Points_with_hex_ids_and_a_non_UUID_base_id_round_trip_too()
    {
        var info = new JsonObject { ["host"] = "h", ["n"] = 3, ["nested"] = new JsonObject { ["a"] = new JsonArray(true, null, "x") } };
        var points = new List<TracePoint>
        {
            new() { Name = "op-start", BaseId = "my-trace:1", TraceId = "00000000000000aa", ParentId = "my-trace:1", Timestamp = "2026-03-01T12:00:00.000001", Info = info },
            new() { Name = "child-start", BaseId = "my-trace:1", TraceId = "child.1", ParentId = "00000000000000aa", Timestamp = "2026-03-01T12:00:00.000002", Info = new JsonObject { ["host"] = "h" } },
            new() { Name = "child-stop", BaseId = "my-trace:1", TraceId = "child.1", ParentId = "00000000000000aa", Timestamp = "2026-03-01T12:00:00.999999", Info = new JsonObject { ["host"] = "h", ["result"] = "ok", ["etype"] = "E", ["message"] = "m" } },
            new() { Name = "op-stop", BaseId = "my-trace:1", TraceId = "00000000000000aa", ParentId = "my-trace:1", Timestamp = "2026-03-01T12:00:01.000000", Info = new JsonObject { ["host"] = "other-host" } },
        };

        var spans = OtlpMapping.ToTracesData(points);
        var back = OtlpMapping.ToPoints(spans.ResourceSpans).Points;

        Assert.Equal(string.Join("\n", Normalised(points)), string.Join("\n", Normalised(back)));
        var op = spans.ResourceSpans[0].ScopeSpans[0].Spans.Single(s => s.Name == "op");
        Assert.Equal("00000000000000aa", Convert.ToHexStringLower(op.SpanId.Span));
        Assert.Contains(op.Attributes, a => a.Key == OtlpMapping.BaseIdAttribute && a.Value.StringValue == "my-trace:1");
        var child = spans.ResourceSpans[0].ScopeSpans[0].Spans.Single(s => s.Name == "child");
        Assert.Equal(op.SpanId, child.ParentSpanId);
        Assert.Equal(Status.Types.StatusCode.Error, child.Status.Code);
    }

    [Fact]
    public void An_unfinished_operation_is_a_span_without_end_time_and_comes_back_as_its_start_alone()
    {
        var start = new TracePoint { Name = "op-start", BaseId = "b", TraceId = "t", ParentId = "b", Timestamp = "2026-03-01T12:00:00.000001", Info = new JsonObject { ["host"] = "h" } };

        var span = OtlpMapping.ToTracesData([start]).ResourceSpans[0].ScopeSpans[0].Spans[0];
        var back = OtlpMapping.ToPoints(OtlpMapping.ToTracesData([start]).ResourceSpans).Points;

        Assert.Equal(0UL, span.EndTimeUnixNano);
        Assert.Equal(Normalised([start]), Normalised(back));
    }

    [Theory]
    [InlineData(15, 8, "traceId is 15 byte(s)")]
    [InlineData(16, 7, "spanId is 7 byte(s)")]
    [InlineData(0, 8, "traceId is 0 byte(s)")]
    public void Ids_of_the_wrong_length_make_the_request_malformed(int traceBytes, int spanBytes, string expected)
    {
        var data = Spans.Checkout();
        var span = data.ResourceSpans[0].ScopeSpans[0].Spans[1];
        span.TraceId = Google.Protobuf.ByteString.CopyFrom(new byte[traceBytes].Select(_ => (byte)7).ToArray());
        span.SpanId = Google.Protobuf.ByteString.CopyFrom(new byte[spanBytes].Select(_ => (byte)7).ToArray());

        var e = Assert.Throws<FormatException>(() => OtlpMapping.ToPoints(data.ResourceSpans));
        Assert.Contains("span 1 ('db')", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_span_the_check_refuses_is_rejected_alone_with_its_reason()
    {
        var data = Spans.Checkout();
        data.ResourceSpans[0].ScopeSpans[0].Spans[2].Name = "bad\u0001name";

        var mapped = OtlpMapping.ToPoints(data.ResourceSpans, p => p.Name.Any(char.IsControl) ? $"name '{p.Name}' has a control character" : null);

        var rejected = Assert.Single(mapped.Rejected);
        Assert.Equal((2, "1000000000000003"), (rejected.Index, rejected.SpanId));
        Assert.Contains("control character", rejected.Message);
        Assert.Equal(8, mapped.Points.Count);
        Assert.DoesNotContain(mapped.Points, p => p.TraceId == "1000000000000003");
    }

    /// <summary>Points as comparable JSON texts: sorted, info never null (a missing info and an empty one are the same).</summary>
    internal static List<string> Normalised(IEnumerable<TracePoint> points) => points
        .Select(p => new TracePoint
        {
            Name = p.Name, BaseId = p.BaseId, TraceId = p.TraceId, ParentId = p.ParentId, Timestamp = p.Timestamp,
            Info = Sorted(p.Info ?? []), Project = p.Project, Service = p.Service,
        })
        .Select(p => System.Text.Encoding.UTF8.GetString(TracePointJson.ToUtf8(p)))
        .Order(StringComparer.Ordinal).ToList();

    private static JsonObject Sorted(JsonObject obj) =>
        new(obj.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value is JsonObject o ? Sorted(o) : kv.Value?.DeepClone())));
}
