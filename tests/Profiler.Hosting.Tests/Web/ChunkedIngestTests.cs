using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using Profiler.Domain;
using Profiler.Hosting.Web;

namespace Profiler.Hosting.Tests.Web;

/// <summary>
/// Issue 14, exactly once, for input stored in several writes: a request of more than 10,000 points is written in
/// chunks. Clients without a batch id header (every OTel exporter and Collector) send the same request again after a
/// 503 or a lost answer; the chunks stored by the first attempt must not be stored again. The store is the real SQLite
/// store of the web shell; a trigger in its database makes it fail in the second chunk, as a full disk would.
/// </summary>
public sealed class ChunkedIngestTests
{
    /// <summary>The OTel Collector's default batch: 8,192 spans, 16,384 points, two chunks.</summary>
    private const int Operations = 8_192;

    /// <summary>An operation whose points are in the second chunk (points 12,000 and 12,001).</summary>
    private const int FailingOperation = 6_000;

    private static List<TracePoint> Batch(string baseId)
    {
        var points = new List<TracePoint>(2 * Operations);
        for (var i = 0; i < Operations; i++)
        {
            var at = Traces.Start.AddMilliseconds(i);
            points.Add(Traces.Point(baseId, $"{baseId}-op{i}", baseId, "db-start", at));
            points.Add(Traces.Point(baseId, $"{baseId}-op{i}", baseId, "db-stop", at.AddTicks(5)));
        }
        return points;
    }

    private static string Database(ShellServer server) => $"Data Source={Path.Combine(server.Folder, "traces.db")};Pooling=False";

    /// <summary>From now on the store refuses (and rolls back) any write holding a point of <paramref name="traceId"/>.</summary>
    private static void FailWritesOf(ShellServer server, string traceId)
    {
        using var connection = new SqliteConnection(Database(server));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"CREATE TRIGGER fail_write BEFORE INSERT ON data WHEN NEW.trace_id = '{traceId}' " +
                              "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;";
        command.ExecuteNonQuery();
    }

    private static void Heal(ShellServer server)
    {
        using var connection = new SqliteConnection(Database(server));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DROP TRIGGER fail_write;";
        command.ExecuteNonQuery();
    }

    private static async Task<long> StoredPointsAsync(ShellServer server) => (long)(await server.GetJsonAsync("api/v1/stats"))["points"]!;

    /// <summary>A first small write creates the store's tables, so that the trigger has a table to sit on.</summary>
    private static async Task WarmUpAsync(ShellServer server)
    {
        using var response = await server.PostPointsAsync(Traces.Request("warm-up", Traces.Start));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_request_of_two_chunks_sent_again_after_the_store_failed_in_the_second_is_stored_once()
    {
        await using var server = await ShellServer.StartAsync();
        await WarmUpAsync(server);
        var body = ShellServer.PointsJson(Batch("chunked"));
        FailWritesOf(server, $"chunked-op{FailingOperation}");

        using (var failed = await server.PostAsync(body))
        {
            var text = await failed.Content.ReadAsStringAsync();
            Assert.True(failed.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)failed.StatusCode} {text}");
            var detail = (string)JsonNode.Parse(text)!["detail"]!;
            Assert.Contains("10000 of the 16384 point(s) (1 of 2 chunks", detail);
            Assert.Contains("send the same request again: the chunks already stored are not stored twice", detail);
        }
        Assert.Equal(6 + 10_000, await StoredPointsAsync(server));

        Heal(server);
        using (var retry = await server.PostAsync(body))
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);

        Assert.Equal(6 + 2 * Operations, await StoredPointsAsync(server));
        var report = await server.GetJsonAsync("api/v1/traces/chunked");
        Assert.Equal(Operations, (int)report["stats"]!["db"]!["count"]!);
    }

    [Fact]
    public async Task The_same_body_sent_twice_without_a_batch_id_is_stored_once_and_a_different_body_is_stored()
    {
        await using var server = await ShellServer.StartAsync();
        var body = ShellServer.PointsJson(Traces.Request("resent", Traces.Start));

        using (var first = await server.PostAsync(body)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var again = await server.PostAsync(body)) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var once = await StoredPointsAsync(server);
        using (var other = await server.PostAsync(ShellServer.PointsJson(Traces.Request("resent", Traces.Start.AddSeconds(1)))))
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        Assert.Equal(6, once);
        Assert.Equal(12, await StoredPointsAsync(server));
    }

    private static ExportTraceServiceRequest Export(string traceHex)
    {
        var spans = new ScopeSpans();
        for (var i = 0; i < Operations; i++)
        {
            var at = (ulong)(Traces.Start.AddMilliseconds(i) - DateTime.UnixEpoch).Ticks * 100;
            spans.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(Convert.FromHexString(traceHex)),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((ulong)i + 1).Reverse().ToArray()),
                Name = "db", StartTimeUnixNano = at, EndTimeUnixNano = at + 500,
            });
        }
        var resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "api" } } } };
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { spans } } } };
    }

    private static async Task<HttpResponseMessage> PostOtlpAsync(ShellServer server, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        return await server.Client.PostAsync("v1/traces", content);
    }

    [Fact]
    public async Task An_OTLP_export_of_two_chunks_sent_again_after_the_store_failed_in_the_second_is_stored_once()
    {
        await using var server = await ShellServer.StartAsync();
        await WarmUpAsync(server);
        const string TraceHex = "0af7651916cd43dd8448eb211c80319c";
        var body = Export(TraceHex).ToByteArray();
        // The span id (hex) of operation 6,000 is the point trace id of its start and stop points.
        FailWritesOf(server, ((ulong)FailingOperation + 1).ToString("x16", System.Globalization.CultureInfo.InvariantCulture));

        using (var failed = await PostOtlpAsync(server, body))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(6 + 10_000, await StoredPointsAsync(server));

        Heal(server);
        using (var retry = await PostOtlpAsync(server, body))
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);

        Assert.Equal(6 + 2 * Operations, await StoredPointsAsync(server));
    }

    [Fact]
    public async Task A_point_whose_info_holds_a_lone_UTF16_surrogate_is_400_naming_the_point_and_field_and_stores_nothing()
    {
        await using var server = await ShellServer.StartAsync();
        string Point(int n, string info) =>
            $$"""{"name": "db-start", "base_id": "surrogates", "trace_id": "op{{n}}", "parent_id": "surrogates", "timestamp": "2026-03-01T12:00:00.00000{{n}}", "info": {{info}}}""";
        // A pair (an emoji) is fine; the high half alone, a low half alone, and a lone half in a key are not.
        var body = "[" + string.Join(", ",
            Point(0, """{"host": "node-1", "text": "ok \ud83d\ude00"}"""),
            Point(1, """{"host": "node-1", "db": {"statement": "SELECT '\ud83d'"}}"""),
            Point(2, """{"host": "node-1", "tags": ["a", "\ude00 b"]}"""),
            Point(3, """{"host": "node-1", "k\ud800": 1}""")) + "]";

        using var response = await server.PostAsync(Encoding.UTF8.GetBytes(body));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        var problem = JsonNode.Parse(text)!;
        var errors = problem["errors"]!.AsArray().Select(e => ((int?)e!["index"], (string?)e["field"])).ToList();
        Assert.Equal([(1, "info.db.statement"), (2, "info.tags[1]"), (3, "info")], errors);
        var detail = (string)problem["detail"]!;
        Assert.StartsWith("point 1: info.db.statement \"SELECT '\\ud83d'\" holds a lone UTF-16 surrogate", detail);
        Assert.Contains("nothing of the 4 point(s) was stored", detail);
        Assert.Equal(0, await StoredPointsAsync(server));
    }

    [Fact]
    public void Content_batch_ids_are_the_same_for_the_same_bytes_and_differ_for_other_bytes()
    {
        Assert.Equal(IngestBatches.ContentId("[1]"u8), IngestBatches.ContentId("[1]"u8));
        Assert.NotEqual(IngestBatches.ContentId("[1]"u8), IngestBatches.ContentId("[2]"u8));
        Assert.True(PointText.MayHoldLoneSurrogate("\"\\uD83D\""u8));
        Assert.False(PointText.MayHoldLoneSurrogate("\"\\u00e9 \\u0041\""u8));
    }
}
