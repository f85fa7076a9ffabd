using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Profiler.Domain.Tests;

public sealed class TracePointJsonTests
{
    [Fact]
    public void A_point_round_trips_through_OSProfilers_document_form()
    {
        var line = Profiler.Testing.Fixtures.PointLines("simple", "redis")[0];

        var point = TracePointJson.Parse(line);
        var written = System.Text.Encoding.UTF8.GetString(TracePointJson.ToUtf8(point));

        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(
            System.Text.Json.Nodes.JsonNode.Parse(line), System.Text.Json.Nodes.JsonNode.Parse(written)));
        Assert.Equal("vm", point.Host);
    }

    [Theory]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"name\": 5}", "'name' must be a string")]
    [InlineData("{\"name\": \"a-start\"}", "'base_id' is missing")]
    [InlineData("{\"name\": \"a-start\", \"base_id\": \"b\", \"trace_id\": \"t\", \"parent_id\": \"p\", \"timestamp\": \"x\", \"info\": 3}", "'info' must be an object")]
    [InlineData("{\"name\": \"a-start\"", "not valid JSON")]
    public void A_malformed_point_names_the_problem(string json, string message)
    {
        var e = Assert.Throws<FormatException>(() => TracePointJson.Parse(json));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Invalid_UTF8_is_a_format_error()
    {
        var e = Assert.Throws<FormatException>(() => TracePointJson.Parse([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]));
        Assert.Contains("UTF-8", e.Message);
    }

    /// <summary>
    /// Points whose strings exercise the writer's escaping: quotes, HTML-sensitive and non-ASCII characters, a
    /// control character, a surrogate pair; with and without info, project and service.
    /// </summary>
    private static List<TracePoint> AwkwardPoints() =>
    [
        new() { Name = "db-start", BaseId = "b-1", TraceId = "t-1", ParentId = "b-1", Timestamp = "2026-03-04T05:06:07.000008" },
        new()
        {
            Name = "wsgi-stop", BaseId = "b-2", TraceId = "t:2", ParentId = "p.2", Timestamp = "2026-03-04T05:06:07.000009",
            Info = new JsonObject
            {
                ["host"] = "h\"ost<&>'", ["payload"] = "caf\u00e9 \u2603 \ud83d\ude00 \u0001 tab\t nl\n",
                ["n"] = 12.5, ["flag"] = true, ["none"] = null, ["list"] = new JsonArray(1, "two", new JsonObject { ["x"] = "y" }),
            },
            Project = "pr\u00f6ject", Service = null,
        },
    ];

    /// <summary>The document as this class wrote it before property names were pre-encoded: the bytes to keep.</summary>
    private static byte[] Reference(TracePoint point, string? project, string? service)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("name", point.Name);
            writer.WriteString("base_id", point.BaseId);
            writer.WriteString("trace_id", point.TraceId);
            writer.WriteString("parent_id", point.ParentId);
            writer.WriteString("timestamp", point.Timestamp);
            writer.WritePropertyName("info");
            if (point.Info is null) { writer.WriteStartObject(); writer.WriteEndObject(); }
            else point.Info.WriteTo(writer);
            if ((point.Project ?? project) is { } p) writer.WriteString("project", p); else writer.WriteNull("project");
            if ((point.Service ?? service) is { } s) writer.WriteString("service", s); else writer.WriteNull("service");
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void A_point_is_written_byte_for_byte_as_OSProfiler_reads_it()
    {
        var point = AwkwardPoints()[0];

        Assert.Equal("{\"name\":\"db-start\",\"base_id\":\"b-1\",\"trace_id\":\"t-1\",\"parent_id\":\"b-1\"," +
                     "\"timestamp\":\"2026-03-04T05:06:07.000008\",\"info\":{},\"project\":\"nova\",\"service\":null}",
            System.Text.Encoding.UTF8.GetString(TracePointJson.ToUtf8(point, "nova")));
    }

    [Fact]
    public void WriteAll_and_ToUtf8_write_the_same_bytes_as_before_for_every_point()
    {
        var points = AwkwardPoints();
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("prefix"u8); // ranges count from the first byte WriteAll writes

        var ranges = TracePointJson.WriteAll(buffer, points, "defproj", "defsvc");

        var written = buffer.WrittenMemory[6..];
        for (var i = 0; i < points.Count; i++)
        {
            var expected = Reference(points[i], "defproj", "defsvc");
            Assert.Equal(expected, written[ranges[i]].ToArray());
            Assert.Equal(expected, TracePointJson.ToUtf8(points[i], "defproj", "defsvc"));
        }
        Assert.Equal(written.Length, ranges[^1].End.Value);
    }

    [Fact]
    public void WriteAll_writes_every_ASCII_and_some_other_characters_in_every_string_as_the_JSON_writer_does()
    {
        // WriteAll writes plain points itself: each character here either stays plain (written as it is) or sends the
        // point to the JSON writer; both must give the writer's bytes.
        var points = new List<TracePoint>();
        foreach (var c in Enumerable.Range(0, 128).Select(i => (char)i).Concat("\u00e9\u2603\ud83d\u0085\u2028"))
        {
            var text = "a" + c + "z";
            points.Add(Plain(name: "op" + text + "-start"));
            points.Add(Plain(baseId: "b" + text));
            points.Add(Plain(info: new JsonObject { ["k" + text] = "v" }));
            points.Add(Plain(info: new JsonObject { ["k"] = "v" + text }));
            points.Add(Plain(project: "p" + text));
        }

        AssertWrittenAsTheWriterDoes(points, "defproj", "defsvc", "defhost");
        AssertWrittenAsTheWriterDoes(points, null, null, "h" + "<&>");
    }

    [Fact]
    public void WriteAll_writes_info_host_project_and_service_in_every_combination_as_the_JSON_writer_does()
    {
        var payload = new string('x', 250);
        List<TracePoint> points =
        [
            Plain(),
            Plain(info: null),
            Plain(info: []),
            Plain(info: new JsonObject { ["host"] = "own", ["payload"] = payload }),
            Plain(info: new JsonObject { ["payload"] = payload }),
            Plain(info: new JsonObject { ["payload"] = payload, ["host"] = "own" }),
            Plain(info: new JsonObject { ["n"] = 5, ["s"] = "t" }),
            Plain(info: new JsonObject { ["none"] = null }),
            Plain(info: new JsonObject { ["inner"] = new JsonObject { ["a"] = "b" } }),
            Plain(info: (JsonObject)JsonNode.Parse("{\"host\":\"parsed\",\"p\":\"q\"}")!),
            Plain(info: (JsonObject)JsonNode.Parse("{\"p\":\"q\"}")!),
            Plain(info: new JsonObject { ["big"] = new string('y', 5000) }),
            Plain(project: null, service: null),
            Plain(project: "", service: ""),
        ];

        foreach (var (project, service, host) in new (string?, string?, string?)[]
                     { (null, null, null), ("defproj", "defsvc", null), (null, null, "defhost"), ("defproj", null, "defhost") })
            AssertWrittenAsTheWriterDoes(points, project, service, host);
    }

    private static TracePoint Plain(string name = "db-start", string baseId = "b-1", JsonObject? info = null, string? project = "nova",
        string? service = "api") =>
        new() { Name = name, BaseId = baseId, TraceId = "t-1", ParentId = baseId, Timestamp = "2026-03-04T05:06:07.000008", Info = info,
            Project = project, Service = service };

    private static void AssertWrittenAsTheWriterDoes(List<TracePoint> points, string? project, string? service, string? host)
    {
        var buffer = new ArrayBufferWriter<byte>(64); // small: the buffer grows while WriteAll writes
        var ranges = TracePointJson.WriteAll(buffer, points, project, service, host);

        for (var i = 0; i < points.Count; i++)
        {
            var expected = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(expected, new JsonWriterOptions { SkipValidation = true }))
                TracePointJson.Write(writer, points[i], project, service, host);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(expected.WrittenSpan), System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan[ranges[i]]));
        }
        Assert.Equal(buffer.WrittenCount, ranges[^1].End.Value);
    }
}
