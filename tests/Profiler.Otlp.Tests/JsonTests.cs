using System.Text.Json.Nodes;

namespace Profiler.Otlp.Tests;

public sealed class JsonTests
{
    /// <summary>A line as the OpenTelemetry Collector's file exporter writes it (fields it sets at their defaults included).</summary>
    private const string CollectorLine = """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}},{"key":"host.name","value":{"stringValue":"vm-7"}}]},"scopeSpans":[{"scope":{"name":"io.opentelemetry.cart","version":"1.2.0"},"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"","traceState":"","flags":257,"name":"POST /cart","kind":2,"startTimeUnixNano":"1772366400000001000","endTimeUnixNano":"1772366400250002999","attributes":[{"key":"http.request.method","value":{"stringValue":"POST"}},{"key":"retries","value":{"intValue":"2"}},{"key":"ratio","value":{"doubleValue":0.25}},{"key":"cached","value":{"boolValue":false}},{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"}]}}},{"key":"user","value":{"kvlistValue":{"values":[{"key":"id","value":{"stringValue":"u1"}}]}}}],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"links":[{"traceId":"1af7651916cd43dd8448eb211c80319c","spanId":"c7ad6b7169203331"}],"droppedLinksCount":0,"status":{}}]}],"schemaUrl":"https://opentelemetry.io/schemas/1.26.0"}]}
        """;

    [Fact]
    public void A_Collector_file_exporter_line_reads_with_hex_ids_and_maps_to_points()
    {
        var data = OtlpJson.ParseTracesData(CollectorLine);

        var span = data.ResourceSpans[0].ScopeSpans[0].Spans[0];
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal("c7ad6b7169203331", Convert.ToHexStringLower(span.Links[0].SpanId.Span));
        var points = OtlpMapping.ToPoints(data.ResourceSpans).Points;
        var start = points[0];
        Assert.Equal(("POST /cart-start", "0af76519-16cd-43dd-8448-eb211c80319c", "b7ad6b7169203331"), (start.Name, start.BaseId, start.TraceId));
        Assert.Equal("2026-03-01T12:00:00.000001", start.Timestamp);
        Assert.Equal("2026-03-01T12:00:00.250002", points[1].Timestamp);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"host":"vm-7","http.request.method":"POST","retries":2,"ratio":0.25,"cached":false,"tags":["a",1],"user":{"id":"u1"},"span.kind":"server"}
            """), start.Info));
    }

    [Fact]
    public void Written_OTLP_JSON_has_hex_ids_integer_enums_and_string_times_and_reads_back_equal()
    {
        var data = Spans.Checkout();

        var text = OtlpJson.Format(data);
        var json = JsonNode.Parse(text)!;

        var span = json["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]![1]!;
        Assert.Equal("5b8efff798038103d269b633813fc60c", (string)span["traceId"]!);
        Assert.Equal("1000000000000002", (string)span["spanId"]!);
        Assert.Equal("1000000000000001", (string)span["parentSpanId"]!);
        Assert.Equal(1, (int)span["kind"]!);
        Assert.Equal(Spans.Nanos(Spans.Start.AddMilliseconds(10.001), 789).ToString(System.Globalization.CultureInfo.InvariantCulture), (string)span["startTimeUnixNano"]!);
        Assert.Equal(2, (int)json["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]![2]!["status"]!["code"]!);
        Assert.DoesNotContain('\n', text);
        Assert.Equal(data, OtlpJson.ParseTracesData(text));
    }

    [Fact]
    public void A_line_is_read_as_TracesData_only_when_it_is_an_object_with_resourceSpans()
    {
        Assert.Equal(OtlpJson.ParseTracesData(CollectorLine), OtlpJson.ParseTracesDataLine(CollectorLine));
        Assert.Equal(OtlpJson.ParseTracesData(CollectorLine),
            OtlpJson.ParseTracesDataLine(CollectorLine.Replace("\"resourceSpans\"", "\"resource_spans\"", StringComparison.Ordinal)));
        // A trace point (even one whose info mentions resourceSpans), JSON that is not an object, text that is not JSON.
        Assert.Null(OtlpJson.ParseTracesDataLine("""{"name":"db-start","info":{"note":"resourceSpans"}}"""));
        Assert.Null(OtlpJson.ParseTracesDataLine("""["resourceSpans"]"""));
        Assert.Null(OtlpJson.ParseTracesDataLine("""{"resourceSpans": [ not json"""));
        // An OTLP line that is malformed is not something else: it is a FormatException naming the problem.
        var e = Assert.Throws<FormatException>(() =>
            OtlpJson.ParseTracesDataLine(CollectorLine.Replace("0af7651916cd43dd8448eb211c80319c", "xyz", StringComparison.Ordinal)));
        Assert.Contains("'xyz'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snake_case_names_are_read_too()
    {
        var snake = CollectorLine.Replace("resourceSpans", "resource_spans", StringComparison.Ordinal).Replace("scopeSpans", "scope_spans", StringComparison.Ordinal)
            .Replace("\"traceId\"", "\"trace_id\"", StringComparison.Ordinal).Replace("\"spanId\"", "\"span_id\"", StringComparison.Ordinal)
            .Replace("startTimeUnixNano", "start_time_unix_nano", StringComparison.Ordinal);

        Assert.Equal(OtlpJson.ParseTracesData(CollectorLine), OtlpJson.ParseTracesData(snake));
    }

    [Theory]
    [InlineData("W47/95gDgQPSabYzgT/GDA==", "is not hexadecimal")]
    [InlineData("5b8efff798038103d269b633813fc60", "is not hexadecimal")]
    public void Ids_in_base64_or_of_odd_length_are_refused_naming_them(string id, string expected)
    {
        var e = Assert.Throws<FormatException>(() => OtlpJson.ParseTracesData(CollectorLine.Replace("0af7651916cd43dd8448eb211c80319c", id, StringComparison.Ordinal)));

        Assert.Contains(expected, e.Message);
        Assert.Contains(id[..10], e.Message);
    }
}
