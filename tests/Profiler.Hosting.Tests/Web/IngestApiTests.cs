using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Hosting.Tests.Web;

public sealed class IngestApiTests
{
    public static TheoryData<string> Shapes() => new(Fixtures.All().Select(f => f.Shape).Distinct());

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task An_OSProfiler_trace_posted_to_the_API_reads_back_as_OSProfilers_own_report(string shape)
    {
        var fixture = FixtureTrace.Load(shape, "mysql");
        await using var server = await ShellServer.StartAsync(settings: new DriverSettings { Host = fixture.SqlHost });

        using var post = await server.PostPointsAsync(fixture.Points);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var body = JsonNode.Parse(await post.Content.ReadAsStringAsync())!;
        Assert.Equal(fixture.Points.Count, (int)body["stored"]!);

        var report = await server.GetJsonAsync($"api/v1/traces/{fixture.BaseId}");
        ReportAssert.Equivalent(FixtureTrace.ReportWithOwnHosts(shape, "mysql"), report);
    }

    [Fact]
    public async Task A_batch_with_bad_points_is_rejected_naming_each_index_and_field_and_stores_nothing()
    {
        await using var server = await ShellServer.StartAsync();
        var good = Traces.Request("good-trace", Traces.Start);
        var points = new JsonArray(good.Select(p => JsonNode.Parse(ShellServer.PointsJson([p]))![0]!.DeepClone()).ToArray());
        points[1]!["name"] = "db";                         // neither -start nor -stop
        points[3]!["timestamp"] = "yesterday";
        points[4]!["base_id"] = "bad id*";
        points.Add(JsonValue.Create(42));

        using var response = await server.PostAsync(Encoding.UTF8.GetBytes(points.ToJsonString()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var errors = problem["errors"]!.AsArray().Select(e => ((int?)e!["index"], (string?)e["field"])).ToList();
        Assert.Equal([(1, "name"), (3, "timestamp"), (4, "base_id"), (6, null)], errors);
        Assert.Contains("nothing of the 7 point(s) was stored", (string)problem["detail"]!);

        using var report = await server.Client.GetAsync("api/v1/traces/good-trace");
        Assert.Equal(HttpStatusCode.NotFound, report.StatusCode);
        Assert.Empty((await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray());
    }

    private static async Task<HttpResponseMessage> PostWithBatchIdAsync(ShellServer server, IEnumerable<Profiler.Domain.TracePoint> points, string batchId)
    {
        var content = new ByteArrayContent(ShellServer.PointsJson(points));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/points") { Content = content };
        request.Headers.TryAddWithoutValidation("X-Profiler-Batch-Id", batchId);
        return await server.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_request_retried_with_the_same_batch_id_header_is_stored_once_and_one_with_another_id_again()
    {
        await using var server = await ShellServer.StartAsync();
        var points = Traces.Request("retried", Traces.Start);
        var batchId = Guid.NewGuid().ToString();

        using (var first = await PostWithBatchIdAsync(server, points, batchId)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var retry = await PostWithBatchIdAsync(server, points, batchId)) Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var once = (long)(await server.GetJsonAsync("api/v1/stats"))["points"]!;
        using (var other = await PostWithBatchIdAsync(server, points, Guid.NewGuid().ToString())) Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        var twice = (long)(await server.GetJsonAsync("api/v1/stats"))["points"]!;

        Assert.Equal(points.Count, once);
        Assert.Equal(2 * points.Count, twice);
    }

    [Fact]
    public async Task A_batch_id_header_that_is_not_a_GUID_is_400_naming_it_and_stores_nothing()
    {
        await using var server = await ShellServer.StartAsync();

        using var response = await PostWithBatchIdAsync(server, Traces.Request("bad-batch-id", Traces.Start), "batch-7");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!;
        Assert.Contains("X-Profiler-Batch-Id 'batch-7' is not a GUID", detail);
        Assert.Empty((await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray());
    }

    [Fact]
    public void Each_chunk_of_a_request_gets_its_own_batch_id_derived_from_the_header()
    {
        var id = Guid.NewGuid();
        Assert.Equal(id, Profiler.Hosting.Web.IngestBatches.ChunkId(id, 0));
        Assert.Equal(Profiler.Hosting.Web.IngestBatches.ChunkId(id, 1), Profiler.Hosting.Web.IngestBatches.ChunkId(id, 1));
        Assert.NotEqual(Profiler.Hosting.Web.IngestBatches.ChunkId(id, 1), Profiler.Hosting.Web.IngestBatches.ChunkId(id, 2));
        Assert.NotEqual(id, Profiler.Hosting.Web.IngestBatches.ChunkId(id, 1));
    }

    public static TheoryData<string, byte[], string> MalformedBodies() => new()
    {
        { "truncated", "[{\"name\": "u8.ToArray(), "not valid JSON" },
        { "not an array", "{\"name\": \"db-start\"}"u8.ToArray(), "must be a JSON array of trace points, got an object" },
        { "empty array", "[]"u8.ToArray(), "holds no trace point" },
        { "wrong type", "[{\"name\": 5, \"base_id\": \"b\", \"trace_id\": \"t\", \"parent_id\": \"b\", \"timestamp\": \"2026-03-01T12:00:00.000000\"}]"u8.ToArray(), "field 'name' must be a string" },
        { "info not an object", "[{\"name\": \"a-start\", \"base_id\": \"b\", \"trace_id\": \"t\", \"parent_id\": \"b\", \"timestamp\": \"2026-03-01T12:00:00.000000\", \"info\": [1]}]"u8.ToArray(), "field 'info' must be an object" },
        { "invalid UTF-8", [.. "[{\"name\": \"a-start"u8.ToArray(), 0xC3, 0x28, .. "\"}]"u8.ToArray()], "not valid UTF-8" },
        { "too deep", Encoding.UTF8.GetBytes("[{\"info\": " + new string('[', 200) + new string(']', 200) + "}]"), "nests deeper than 64 levels" },
        { "empty body", [], "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task A_malformed_body_is_400_naming_the_problem(string _, byte[] body, string expected)
    {
        await using var server = await ShellServer.StartAsync();

        using var response = await server.PostAsync(body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, (string)JsonNode.Parse(text)!["detail"]!);
        Assert.DoesNotContain("   at ", text);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    public async Task A_body_that_is_not_UTF8_JSON_by_its_content_type_is_415(string contentType)
    {
        await using var server = await ShellServer.StartAsync();

        using var response = await server.PostAsync(ShellServer.PointsJson(Traces.Request("t415", Traces.Start)), contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Empty((await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray());
    }

    [Fact]
    public async Task A_body_without_content_type_is_415()
    {
        await using var server = await ShellServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/points")
            { Content = new ByteArrayContent(ShellServer.PointsJson(Traces.Request("t415", Traces.Start))) };

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_the_size_limit_is_413_and_stores_nothing(bool withContentLength)
    {
        await using var server = await ShellServer.StartAsync(maxBodyBytes: 16 * 1024);
        var points = Enumerable.Range(0, 40).SelectMany(i => Traces.Request($"big-{i}", Traces.Start.AddSeconds(i))).ToList();
        var body = ShellServer.PointsJson(points);
        Assert.True(body.Length > 16 * 1024);

        HttpContent content = withContentLength ? new ByteArrayContent(body) : new StreamContent(new UnknownLengthStream(body));
        content.Headers.ContentType = new("application/json");
        using var response = await server.Client.PostAsync("api/v1/points", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("16384 bytes", (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!);
        Assert.Empty((await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray());
    }

    [Fact]
    public async Task With_an_ingest_key_only_posts_carrying_it_are_stored_and_the_key_is_never_logged()
    {
        const string key = "s3cret-ingest-key-4711";
        await using var server = await ShellServer.StartAsync(ingestKey: key);
        var body = ShellServer.PointsJson(Traces.Request("keyed", Traces.Start));

        using (var none = await server.PostAsync(body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        }
        using (var wrong = await server.PostAsync(body, key: key + "x"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Empty((await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray());

        using (var right = await server.PostAsync(body, key: key))
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var bearer = new HttpRequestMessage(HttpMethod.Post, "api/v1/points")
            { Content = new ByteArrayContent(ShellServer.PointsJson(Traces.Request("keyed-2", Traces.Start))) };
        bearer.Content.Headers.ContentType = new("application/json");
        bearer.Headers.Authorization = new("Bearer", key);
        using (var viaBearer = await server.Client.SendAsync(bearer))
            Assert.Equal(HttpStatusCode.OK, viaBearer.StatusCode);

        Assert.Equal(2, (await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray().Count);
        Assert.DoesNotContain(key, server.Logs.All);
    }

    [Fact]
    public async Task A_batch_larger_than_one_command_is_stored_completely_in_chunks()
    {
        await using var server = await ShellServer.StartAsync();
        var points = Traces.Large("chunked", Traces.Start, operations: 6_000);   // 12,000 points: two commands

        using var response = await server.PostPointsAsync(points);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await server.GetJsonAsync("api/v1/traces/chunked");
        var stats = report["stats"]!.AsObject();
        Assert.Equal(6_000, stats.Sum(s => (int)s.Value!["count"]!));
    }

    /// <summary>A body sent chunked: its length is not known up front.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
