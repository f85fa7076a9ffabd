using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Hosting.Tests.Web;

public sealed class QueryApiTests
{
    [Fact]
    public async Task Traces_are_listed_newest_first_and_paged_by_cursor_and_errors_filter_failed_ones()
    {
        await using var server = await ShellServer.StartAsync();
        var ids = Enumerable.Range(0, 7).Select(i => $"list-{i}").ToList();
        var points = ids.SelectMany((id, i) => Traces.Request(id, Traces.Start.AddMinutes(i), failing: i % 3 == 0)).ToList();
        using (var post = await server.PostPointsAsync(points)) Assert.Equal(HttpStatusCode.OK, post.StatusCode);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await server.GetJsonAsync("api/v1/traces?limit=3" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            var traces = page["traces"]!.AsArray();
            Assert.True(traces.Count <= 3);
            seen.AddRange(traces.Select(t => (string)t!["base_id"]!));
            Assert.All(traces, t => Assert.True(TraceTimestamp.TryParse((string)t!["timestamp"]!, out _)));
            cursor = (string?)page["next_cursor"];
            Assert.True(++pages <= 5, "paging does not end");
        } while (cursor is not null);

        Assert.Equal(ids.AsEnumerable().Reverse(), seen);
        Assert.Equal(3, pages);
        var failed = (await server.GetJsonAsync("api/v1/traces?errors=true"))["traces"]!.AsArray().Select(t => (string)t!["base_id"]!);
        Assert.Equal(["list-6", "list-3", "list-0"], failed);
    }

    [Theory]
    [InlineData("api/v1/traces?limit=0", "limit '0'")]
    [InlineData("api/v1/traces?limit=abc", "limit 'abc'")]
    [InlineData("api/v1/traces?limit=1000000", "limit '1000000'")]
    [InlineData("api/v1/traces?errors=maybe", "errors 'maybe'")]
    [InlineData("api/v1/traces?cursor=no-bar-here", "cursor 'no-bar-here'")]
    [InlineData("api/v1/traces/bad%20id", "base id 'bad id'")]
    [InlineData("api/v1/traces/bad*id.dot", "base id 'bad*id'")]
    public async Task A_bad_query_is_400_problem_details_naming_the_value(string path, string expected)
    {
        await using var server = await ShellServer.StartAsync();

        using var response = await server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!);
    }

    [Fact]
    public async Task An_unknown_trace_is_404_problem_details_for_json_and_dot()
    {
        await using var server = await ShellServer.StartAsync();

        foreach (var path in new[] { "api/v1/traces/no-such-trace", "api/v1/traces/no-such-trace.dot" })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("no-such-trace", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_trace_is_served_as_a_graphviz_digraph()
    {
        await using var server = await ShellServer.StartAsync();
        using (await server.PostPointsAsync(Traces.Request("dotted", Traces.Start))) { }

        using var response = await server.Client.GetAsync("api/v1/traces/dotted.dot");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/vnd.graphviz", response.Content.Headers.ContentType?.MediaType);
        var dot = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("digraph \"dotted\"", dot);
        Assert.Contains("wsgi", dot);
    }

    [Fact]
    public async Task Health_is_200_when_the_store_answers()
    {
        await using var server = await ShellServer.StartAsync();

        Assert.Equal("ok", (string)(await server.GetJsonAsync("health"))["status"]!);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_answer_problem_details()
    {
        await using var server = await ShellServer.StartAsync();

        using var missing = await server.Client.GetAsync("api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        using var wrongMethod = await server.Client.GetAsync("api/v1/points");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
    }

    [Fact]
    public async Task An_unexpected_failure_is_500_problem_details_without_a_stack_trace_and_logged_without_secrets()
    {
        await using var server = await ShellServer.StartAsync(
            connectionString: dir => $"sqlite:///{dir}/t.db",
            services: s => s.AddSingleton<ITraceStore>(new ExplodingStore()));

        using var response = await server.Client.GetAsync("api/v1/traces/some-trace");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("ExplodingStore", text);
        Assert.DoesNotContain(" at ", text);
        Assert.Contains("boom", server.Logs.All);
    }

    private sealed class ExplodingStore : ITraceStore
    {
        public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) => throw new InvalidOperationException("boom");
        public IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken) => throw new InvalidOperationException("boom");
        public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) => throw new InvalidOperationException("boom");
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
