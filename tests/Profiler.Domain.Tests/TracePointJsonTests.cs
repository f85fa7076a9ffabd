using Profiler.Domain;

namespace Profiler.Domain.Tests;

public sealed class TracePointJsonTests
{
    [Fact]
    public void A_point_round_trips_through_OSProfilers_document_form()
    {
        var line = File.ReadLines(Profiler.Testing.Fixtures.PointsFile("simple", "redis")).First();

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
}
