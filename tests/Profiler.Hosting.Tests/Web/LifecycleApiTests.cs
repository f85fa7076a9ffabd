using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Profiler.Domain;
using Profiler.Storage;
using ThirdPartyDriver;

using Profiler.Testing;

namespace Profiler.Hosting.Tests.Web;

/// <summary>A driver whose stores only store and read (JSON Lines files underneath): no delete, pin, prune or statistics.</summary>
internal sealed class PlainDriver : ITraceStoreDriver
{
    public string Name => "plain";
    public IReadOnlyList<string> Schemes => ["plain"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        new PlainStore(new JsonLinesDriver().Open(ConnectionString.Parse("jsonl:///" + connectionString.Path), settings));

    private sealed class PlainStore(ITraceStore inner) : ITraceStore
    {
        public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) => inner.WriteAsync(points, batchId, cancellationToken);
        public IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken) => inner.ReadTraceAsync(baseId, cancellationToken);
        public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) => inner.ListTracesAsync(query, cancellationToken);
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>A driver whose stores fail every prune (as a backend that went away would), storing and reading through JSON Lines files.</summary>
internal sealed class FailingPruneDriver : ITraceStoreDriver
{
    public string Name => "failprune";
    public IReadOnlyList<string> Schemes => ["failprune"];

    public ITraceStore Open(ConnectionString connectionString, DriverSettings settings) =>
        new Store(new JsonLinesDriver().Open(ConnectionString.Parse("jsonl:///" + connectionString.Path), settings));

    private sealed class Store(ITraceStore inner) : ITraceStore, ITraceStorePruning
    {
        public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) => inner.WriteAsync(points, batchId, cancellationToken);
        public IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken) => inner.ReadTraceAsync(baseId, cancellationToken);
        public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) => inner.ListTracesAsync(query, cancellationToken);
        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public Task<PruneResult> PruneAsync(DateTime cutoff, bool dryRun, CancellationToken cancellationToken)
            => throw new TraceStoreException("failprune://:s3cret@db is unreachable");
    }
}

/// <summary>
/// <c>DELETE /api/v1/traces/{id}</c>, <c>PUT</c>/<c>DELETE /api/v1/traces/{id}/pin</c> and <c>GET /api/v1/stats</c> on the
/// JSON Lines driver (every capability) and on <see cref="PlainDriver"/> (none: 501 naming the driver).
/// </summary>
public sealed class LifecycleApiTests
{
    private static readonly DateTime LongAgo = new(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc);

    private static Task<ShellServer> JsonLinesServer(string? ingestKey = null, TimeSpan? ttl = null, TimeSpan? pruneInterval = null) =>
        ShellServer.StartAsync(ingestKey: ingestKey, connectionString: dir => $"jsonl:///{dir}/store",
            services: s => s.AddTraceStoreDriver(new JsonLinesDriver()), ttl: ttl, pruneInterval: pruneInterval);

    private static async Task Post(ShellServer server, IEnumerable<TracePoint> points, string? key = null)
    {
        using var post = await server.PostPointsAsync(points, key);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? key = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Add("X-Profiler-Ingest-Key", key);
        return request;
    }

    [Fact]
    public async Task Deleting_a_trace_removes_it_and_an_unknown_one_is_404()
    {
        await using var server = await JsonLinesServer();
        await Post(server, Traces.Request("doomed", Traces.Start));
        await Post(server, Traces.Request("kept", Traces.Start));

        using var delete = await server.Client.SendAsync(Request(HttpMethod.Delete, "api/v1/traces/doomed"));
        using var again = await server.Client.SendAsync(Request(HttpMethod.Delete, "api/v1/traces/doomed"));

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains("'doomed'", await again.Content.ReadAsStringAsync());
        using var report = await server.Client.GetAsync("api/v1/traces/doomed");
        Assert.Equal(HttpStatusCode.NotFound, report.StatusCode);
        var listed = (await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray().Select(t => (string)t!["base_id"]!);
        Assert.Equal(["kept"], listed);
    }

    [Fact]
    public async Task Pinning_and_unpinning_show_in_the_stats_and_an_unknown_trace_is_404()
    {
        await using var server = await JsonLinesServer();
        await Post(server, Traces.Request("t1", Traces.Start));
        await Post(server, Traces.Request("t2", Traces.Start.AddSeconds(1)));

        using var pin = await server.Client.SendAsync(Request(HttpMethod.Put, "api/v1/traces/t1/pin"));
        Assert.Equal(HttpStatusCode.OK, pin.StatusCode);
        Assert.True((bool)JsonNode.Parse(await pin.Content.ReadAsStringAsync())!["pinned"]!);

        var stats = await server.GetJsonAsync("api/v1/stats");
        Assert.Equal(2, (long)stats["traces"]!);
        Assert.Equal(12, (long)stats["points"]!);
        Assert.Equal(1, (long)stats["pinned"]!);
        Assert.Equal(TraceTimestamp.FromDateTime(Traces.Start), TraceTimestamp.Parse((string)stats["oldest"]!));
        Assert.Equal(TraceTimestamp.FromDateTime(Traces.Start.AddSeconds(1).AddMilliseconds(12)), TraceTimestamp.Parse((string)stats["newest"]!));
        Assert.True((long)stats["bytes"]! > 0);

        using var unpin = await server.Client.SendAsync(Request(HttpMethod.Delete, "api/v1/traces/t1/pin"));
        Assert.Equal(HttpStatusCode.OK, unpin.StatusCode);
        Assert.Equal(0, (long)(await server.GetJsonAsync("api/v1/stats"))["pinned"]!);

        using var unknown = await server.Client.SendAsync(Request(HttpMethod.Put, "api/v1/traces/nope/pin"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData("DELETE", "api/v1/traces/t1")]
    [InlineData("PUT", "api/v1/traces/t1/pin")]
    [InlineData("DELETE", "api/v1/traces/t1/pin")]
    public async Task With_an_ingest_key_deleting_and_pinning_need_it(string method, string path)
    {
        await using var server = await JsonLinesServer(ingestKey: "s3cret");
        await Post(server, Traces.Request("t1", Traces.Start), key: "s3cret");

        using var without = await server.Client.SendAsync(Request(new HttpMethod(method), path));
        using var wrong = await server.Client.SendAsync(Request(new HttpMethod(method), path, "guess"));
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("ingest key", await without.Content.ReadAsStringAsync());
        Assert.Equal(1, (long)(await server.GetJsonAsync("api/v1/stats"))["traces"]!);

        using var with = await server.Client.SendAsync(Request(new HttpMethod(method), path, "s3cret"));
        Assert.True(with.IsSuccessStatusCode, $"{method} {path}: {(int)with.StatusCode}");
    }

    [Theory]
    [InlineData("GET", "api/v1/stats", "store statistics")]
    [InlineData("DELETE", "api/v1/traces/t1", "deleting traces")]
    [InlineData("PUT", "api/v1/traces/t1/pin", "pinning traces")]
    [InlineData("DELETE", "api/v1/traces/t1/pin", "pinning traces")]
    public async Task A_driver_without_the_capability_is_501_naming_the_driver(string method, string path, string capability)
    {
        await using var server = await ShellServer.StartAsync(connectionString: dir => $"plain:///{dir}/store",
            services: s => s.AddTraceStoreDriver(new PlainDriver()));
        await Post(server, Traces.Request("t1", Traces.Start));

        using var response = await server.Client.SendAsync(Request(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains($"the plain driver does not support {capability}", (string)problem["detail"]!);
        Assert.Equal("plain", (string)problem["driver"]!);
    }

    [Fact]
    public async Task A_prune_interval_longer_than_a_timer_allows_is_waited_for_instead_of_failing_the_shell()
    {
        // Task.Delay refuses more than about 49.7 days: the background service would fault after its first prune and the
        // host, stopping on a failed background service, would end `profiler serve` (e.g. --ttl 365d --prune-interval 60d).
        using var stop = new CancellationTokenSource();

        var wait = Profiler.Hosting.Web.PruneService.DelayAsync(TimeSpan.FromDays(60), stop.Token);

        Assert.False(wait.IsCompleted, wait.Exception?.InnerException?.Message ?? wait.Status.ToString());
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    [Fact]
    public async Task With_a_ttl_the_shell_prunes_old_traces_in_the_background_and_keeps_pinned_and_recent_ones()
    {
        // The store is filled and the old trace pinned before the shell starts: posting and pinning through the shell
        // would race its first prune rounds (200 ms apart), which could take the old trace before the pin.
        using var dir = new TempDirectory("profiler-web-prune-");
        var url = $"jsonl:///{dir.Path}/store";
        await using (var store = new JsonLinesDriver().Open(ConnectionString.Parse(url), new DriverSettings()))
        {
            await store.WriteAsync([.. Traces.Request("old", LongAgo), .. Traces.Request("old-pinned", LongAgo),
                .. Traces.Request("recent", DateTime.UtcNow)], CancellationToken.None);
            Assert.True(await ((ITraceStorePinning)store).SetPinnedAsync("old-pinned", pinned: true, CancellationToken.None));
        }
        await using var server = await ShellServer.StartAsync(connectionString: _ => url,
            services: s => s.AddTraceStoreDriver(new JsonLinesDriver()), ttl: TimeSpan.FromDays(1), pruneInterval: TimeSpan.FromMilliseconds(200));

        string[] listed = [];
        await Waiting.UntilAsync(async () =>
        {
            listed = (await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray().Select(t => (string)t!["base_id"]!).Order().ToArray();
            return listed.Length == 2 && server.Logs.Lines.Any(m => m.Contains("Retention: pruned 1 trace(s)", StringComparison.Ordinal));
        }, "a background prune to remove the old trace and log it", state: () => $"listed [{string.Join(", ", listed)}]; log:\n{server.Logs.All}");

        Assert.Equal(["old-pinned", "recent"], listed);
        Assert.Contains(server.Logs.Lines, m => m.Contains("Retention: pruned 1 trace(s), 6 point(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_a_ttl_on_a_store_that_cannot_prune_the_shell_says_so_and_keeps_serving()
    {
        await using var server = await ShellServer.StartAsync(connectionString: dir => $"plain:///{dir}/store",
            services: s => s.AddTraceStoreDriver(new PlainDriver()), ttl: TimeSpan.FromDays(1), pruneInterval: TimeSpan.FromMilliseconds(50));

        await Post(server, Traces.Request("old", LongAgo));

        // The retention service says so when it starts, on a background thread: wait for the line, not for a time.
        await Waiting.UntilAsync(() => server.Logs.Lines.Any(m => m.Contains("the plain driver does not prune", StringComparison.Ordinal)),
            "the retention service to log that the plain driver does not prune", state: () => server.Logs.All);
        Assert.Single((await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray());
    }

    [Fact]
    public async Task A_failing_background_prune_is_logged_and_retried_and_the_shell_keeps_serving()
    {
        await using var server = await ShellServer.StartAsync(connectionString: dir => $"failprune://:s3cret@db/{dir}/store",
            services: s => s.AddTraceStoreDriver(new FailingPruneDriver()), ttl: TimeSpan.FromDays(1), pruneInterval: TimeSpan.FromMilliseconds(50));

        await Waiting.UntilAsync(() => server.Logs.Lines.Count(l => l.Contains("Retention: pruning failed", StringComparison.Ordinal)) >= 2,
            "two failed background prunes in the log", state: () => server.Logs.All);

        var failures = server.Logs.Lines.Where(l => l.Contains("Retention: pruning failed", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count >= 2, "the prune was not retried: " + server.Logs.All);
        Assert.All(failures, l => Assert.DoesNotContain("s3cret", l));
        await Post(server, Traces.Request("still-serving", Traces.Start));
        Assert.Single((await server.GetJsonAsync("api/v1/traces"))["traces"]!.AsArray());
    }
}
