using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Domain;

namespace Profiler.Hosting.Tests.Web;

/// <summary><c>GET /api/v1/traces</c> with search parameters (docs/search.md): the rows, the total and the errors.</summary>
public sealed class SearchApiTests
{
    /// <summary>Six requests: services api/web alternating, the i-th lasting 12 ms + i × 100 ms, every third failed.</summary>
    private static async Task<ShellServer> FilledAsync()
    {
        var server = await ShellServer.StartAsync();
        for (var i = 0; i < 6; i++)
        {
            var at = Traces.Start.AddMinutes(i);
            var points = Traces.Request($"req-{i}", at, failing: i % 3 == 0)
                .Select(p => new TracePoint
                {
                    Name = p.Name, BaseId = p.BaseId, TraceId = p.TraceId, ParentId = p.ParentId, Info = p.Info, Project = p.Project,
                    Service = i % 2 == 0 ? "api" : "web",
                    Timestamp = p.Name == "wsgi-stop" ? TraceTimestamp.FromDateTime(at.AddMilliseconds(12 + i * 100)).ToString() : p.Timestamp,
                }).ToList();
            using var post = await server.PostPointsAsync(points);
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }
        return server;
    }

    private static string[] Ids(JsonNode page) => [.. page["traces"]!.AsArray().Select(t => (string)t!["base_id"]!)];

    [Fact]
    public async Task Search_parameters_filter_the_rows_which_carry_their_summaries_and_the_total()
    {
        await using var server = await FilledAsync();

        var page = await server.GetJsonAsync("api/v1/traces?service=web&min_duration_ms=150&limit=1");

        Assert.Equal(["req-5"], Ids(page));
        Assert.Equal(2, (long)page["total"]!); // req-3 and req-5 (req-1 lasts 112 ms)
        var row = page["traces"]![0]!;
        Assert.Equal(512.0, (double)row["duration_ms"]!);
        Assert.Equal("wsgi", (string)row["root"]!);
        Assert.Equal(["web"], row["services"]!.AsArray().Select(s => (string)s!));
        Assert.Equal(3, (int)row["operations"]!);
        Assert.False((bool)row["error"]!);
        var next = await server.GetJsonAsync("api/v1/traces?service=web&min_duration_ms=150&limit=1&cursor=" + Uri.EscapeDataString((string)page["next_cursor"]!));
        Assert.Equal(["req-3"], Ids(next));
        Assert.True((bool)next["traces"]![0]!["error"]!);
    }

    [Theory]
    [InlineData("api/v1/traces?errors=true&service=api", new[] { "req-0" }, 1)]
    [InlineData("api/v1/traces?name=db&max_duration_ms=112", new[] { "req-1", "req-0" }, 2)]
    [InlineData("api/v1/traces?since=2026-03-01T12:03:00&until=2026-03-01T12:04:00", new[] { "req-4", "req-3" }, 2)]
    [InlineData("api/v1/traces?host=node-1&project=nova&service=web", new[] { "req-5", "req-3", "req-1" }, 3)]
    [InlineData("api/v1/traces?name=nothing-like-it", new string[0], 0)]
    [InlineData("api/v1/traces", new[] { "req-5", "req-4", "req-3", "req-2", "req-1", "req-0" }, 6)]
    public async Task Every_search_parameter_narrows_the_list_and_the_total(string path, string[] expected, long total)
    {
        await using var server = await FilledAsync();

        var page = await server.GetJsonAsync(path);

        Assert.Equal(expected, Ids(page));
        Assert.Equal(total, (long)page["total"]!);
    }

    [Theory]
    [InlineData("api/v1/traces?min_duration_ms=fast", "min_duration_ms 'fast'")]
    [InlineData("api/v1/traces?max_duration_ms=-1", "max_duration_ms '-1'")]
    [InlineData("api/v1/traces?since=yesterday", "since 'yesterday' is not a time")]
    [InlineData("api/v1/traces?until=2026-13-45", "until '2026-13-45' is not a time")]
    [InlineData("api/v1/traces?min_duration_ms=50&max_duration_ms=10", "min_duration '50ms' is above max_duration '10ms'")]
    public async Task A_bad_search_parameter_is_400_naming_the_value_and_what_is_accepted(string path, string expected)
    {
        await using var server = await ShellServer.StartAsync();

        using var response = await server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_store_that_cannot_search_lists_without_a_total_and_answers_a_search_with_501()
    {
        await using var server = await ShellServer.StartAsync(connectionString: dir => $"plain:///{dir}/store",
            services: s => s.AddTraceStoreDriver(new PlainDriver()));
        using (await server.PostPointsAsync(Traces.Request("only", Traces.Start))) { }

        var page = await server.GetJsonAsync("api/v1/traces");
        using var search = await server.Client.GetAsync("api/v1/traces?service=api");

        Assert.Equal(["only"], Ids(page));
        Assert.Null(page["total"]);
        Assert.Equal(HttpStatusCode.NotImplemented, search.StatusCode);
        Assert.Contains("searching traces", await search.Content.ReadAsStringAsync());
    }
}
